import { h } from '../dom.js';
import { emptyState } from './common.js';

export async function notFound(main) {
  main.append(h('section', { class: 'page narrow' },
    h('h1', {}, 'Page not found'),
    emptyState("We couldn't find that page", 'It may have moved, or the link may be mistyped.',
      h('a', { class: 'button', href: '/' }, 'Back to the shop'))));
}
