// The bag: change quantities, remove lines, see the total, go to checkout.
import { h, replace, icon, icons } from '../dom.js';
import { money, plural, colourCode, imageFor } from '../format.js';
import * as bag from '../bag.js';
import * as notice from '../notice.js';
import * as router from '../router.js';
import * as session from '../session.js';
import { errorBox, emptyState, loading, requireSignIn } from './common.js';

// The picture of the line's own colour (the cart's `image` may be the product's first colour).
export function lineImage(line) {
  if (line.product_id && line.sku && line.size) return imageFor(line.product_id, colourCode(line.sku, line.product_id, line.size));
  return line.image;
}

export async function cart(main) {
  if (session.expired()) return void requireSignIn();
  if (!session.signedIn()) {
    main.append(h('section', { class: 'page narrow' },
      h('h1', {}, 'Your bag'),
      emptyState('Sign in to see your bag', 'Your bag is saved to your account, so it follows you on every device.',
        h('div', { class: 'actions' },
          h('a', { class: 'button button-primary', href: '/login?next=%2Fcart' }, 'Sign in'),
          h('a', { class: 'button button-secondary', href: '/signup?next=%2Fcart' }, 'Create an account')))));
    return;
  }
  const body = h('div', { class: 'cart-body' }, loading('Loading your bag…'));
  main.append(h('section', { class: 'page' }, h('h1', {}, 'Your bag'), body));

  let busy = false;
  const draw = (c) => {
    if (busy) return;
    if (!c) return;
    if (!c.lines?.length) {
      replace(body, emptyState('Your bag is empty', 'Find a t-shirt you like and add it here.',
        h('a', { class: 'button button-primary', href: '/' }, 'Start shopping')));
      return;
    }
    replace(body, h('div', { class: 'cart-layout' },
      h('ul', { class: 'cart-lines', 'aria-label': 'Items in your bag' }, c.lines.map((line) => cartLine(line, c))),
      summary(c)));
  };

  async function act(fn, message) {
    busy = true;
    body.setAttribute('aria-busy', 'true');
    try {
      await fn();
      notice.announce(message);
    } catch (e) {
      if (e.kind !== 'expired') notice.showError(e.message);
    } finally {
      busy = false;
      body.removeAttribute('aria-busy');
      draw(await bag.refresh());
    }
  }

  function cartLine(line, c) {
    const label = `${line.name}, ${line.colour}, size ${line.size}`;
    const qtyId = `qty-${line.sku}`;
    const quantity = h('input', { id: qtyId, type: 'number', min: '1', max: '99', inputmode: 'numeric',
      value: String(line.quantity), class: 'qty-input',
      onchange: (e) => {
        const q = Math.max(0, Math.min(99, Math.trunc(Number(e.target.value) || 0)));
        act(() => bag.change(line.sku, q), q === 0 ? `Removed ${label}` : `${label}: quantity ${q}`);
      } });
    return h('li', { class: 'cart-line' },
      h('img', { src: lineImage(line), alt: '', width: 96, height: 96, class: 'line-image' }),
      h('div', { class: 'line-info' },
        h('h2', { class: 'line-name' }, h('a', { href: `/products/${encodeURIComponent(line.product_id)}` }, line.name)),
        h('p', { class: 'muted' }, `${line.colour} · Size ${line.size}`),
        h('p', { class: 'muted' }, `${money(line.unit_price_cents, c.currency)} each`)),
      h('div', { class: 'line-qty' },
        h('label', { for: qtyId, class: 'visually-hidden' }, `Quantity of ${label}`),
        h('div', { class: 'stepper' },
          h('button', { type: 'button', class: 'icon-button', 'aria-label': `One fewer ${label}`, disabled: line.quantity <= 1,
            onclick: () => act(() => bag.change(line.sku, line.quantity - 1), `${label}: quantity ${line.quantity - 1}`) },
          icon(icons.minus)),
          quantity,
          h('button', { type: 'button', class: 'icon-button', 'aria-label': `One more ${label}`, disabled: line.quantity >= 99,
            onclick: () => act(() => bag.change(line.sku, line.quantity + 1), `${label}: quantity ${line.quantity + 1}`) },
          icon(icons.plus))),
        h('button', { type: 'button', class: 'button button-link remove', 'aria-label': `Remove ${label}`,
          onclick: () => act(() => bag.remove(line.sku), `Removed ${label} from your bag`) }, 'Remove')),
      h('p', { class: 'line-total' }, money(line.line_total_cents, c.currency)));
  }

  function summary(c) {
    const items = bag.count(c);
    return h('aside', { class: 'summary', 'aria-labelledby': 'summary-heading' },
      h('h2', { id: 'summary-heading' }, 'Summary'),
      h('dl', {},
        h('div', {}, h('dt', {}, `Subtotal (${plural(items, 'item')})`), h('dd', {}, money(c.total_cents, c.currency))),
        h('div', {}, h('dt', {}, 'Shipping'), h('dd', {}, 'Free')),
        h('div', { class: 'total' }, h('dt', {}, 'Total'), h('dd', { id: 'cart-total' }, money(c.total_cents, c.currency)))),
      h('a', { class: 'button button-primary button-wide', href: '/checkout' }, 'Check out'),
      h('p', { class: 'muted small' }, icon(icons.truck), ' Free delivery, tracked live from our warehouse.'));
  }

  const c = await bag.refresh();
  if (!c) {
    replace(body, errorBox("We couldn't load your bag. Check your connection and try again.", () => router.render()));
  } else {
    draw(c);
  }
  return bag.onChange(draw);
}
