// The customer's orders, newest first; statuses follow the live stream.
import { h, replace, debounce } from '../dom.js';
import { money, dateTime, shortId, plural, colourCode, imageFor } from '../format.js';
import * as api from '../api.js';
import * as live from '../live.js';
import * as router from '../router.js';
import * as status from '../order-status.js';
import { emptyState, errorBox, loading, requireSignIn } from './common.js';

export async function orders(main) {
  if (!requireSignIn()) return;
  const body = h('div', {}, loading('Loading your orders…'));
  main.append(h('section', { class: 'page' }, h('h1', {}, 'Your orders'), body));

  async function load() {
    try {
      const res = await api.get('/api/orders');
      draw(res.orders ?? []);
    } catch (e) {
      if (e.kind !== 'expired') replace(body, errorBox(e.message, () => router.render()));
    }
  }

  function draw(list) {
    if (list.length === 0) {
      replace(body, emptyState('No orders yet', 'When you place an order, you can follow it here from our warehouse to your door.',
        h('a', { class: 'button button-primary', href: '/' }, 'Start shopping')));
      return;
    }
    replace(body, h('ul', { class: 'order-list' }, list.map((o) => {
      const items = (o.lines ?? []).reduce((n, l) => n + l.quantity, 0);
      return h('li', {},
        h('a', { class: 'order-row', href: `/orders/${encodeURIComponent(o.order_id)}` },
          h('span', { class: 'order-row-pictures', 'aria-hidden': 'true' }, (o.lines ?? []).slice(0, 3).map((l) =>
            h('img', { src: imageFor(l.product_id, colourCode(l.sku, l.product_id, l.size)), alt: '', width: 48, height: 48 }))),
          h('span', { class: 'order-row-main' },
            h('span', { class: 'order-row-id' }, `Order ${shortId(o.order_id)}`),
            h('span', { class: 'muted' }, `${dateTime(o.created_at)} · ${plural(items, 'item')}`)),
          h('span', { class: `status-badge status-${o.status}` }, status.label(o.status)),
          h('span', { class: 'order-row-total' }, money(o.total_cents, o.currency))));
    })));
  }

  await load();
  const reload = debounce(load, 300);
  return live.subscribe((e) => {
    if (e.type === 'resync' || (status.orderIdOf(e) && status.fromEvent(e))) reload();
  });
}
