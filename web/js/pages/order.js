// One order, live: the timeline moves as the saga's events arrive over the live stream (the
// event moves it at once, then the order is fetched again to be exact), without a reload.
// Events can reach the browser before the orders service has applied them, so a fetched
// status never moves the timeline backwards. While the parcel is still in the warehouse the
// customer can cancel.
import { h, replace, icon, icons } from '../dom.js';
import { money, dateTime, shortId, colourCode, imageFor } from '../format.js';
import * as api from '../api.js';
import * as live from '../live.js';
import * as notice from '../notice.js';
import * as router from '../router.js';
import * as status from '../order-status.js';
import { errorBox, loading, requireSignIn } from './common.js';

export async function order(main, { params, query }) {
  if (!requireSignIn()) return;
  const id = params.id;
  const section = h('section', { class: 'page order-page' }, h('h1', {}, 'Your order'), loading('Loading your order…'));
  main.append(section);

  let current;
  try {
    current = await api.get(`/api/orders/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e.kind === 'expired') return;
    if (e.status === 404) {
      replace(section, h('h1', {}, 'Order not found'),
        h('div', { class: 'empty-state' },
          h('p', { id: 'order-not-found' }, "We couldn't find this order. It may belong to another account, or the link may be mistyped."),
          h('a', { class: 'button button-primary', href: '/orders' }, 'See your orders')));
    } else {
      replace(section, h('h1', {}, 'Your order'), errorBox(e.message, () => router.render()));
    }
    return;
  }

  // What the page shows: the fetched order, moved ahead by events the order has not seen yet.
  let shown = { status: current.status, reason_code: current.cancel_reason_code, reason: current.cancel_reason };
  const eventTimes = {};
  let payment = null;
  let shipment = null;
  let cancelRequested = false;
  let confirmingCancel = false;
  let fetching = null;
  let fetchAgain = false;

  const badge = h('span', { class: 'status-badge', id: 'order-status', 'aria-live': 'off' });
  const liveIndicator = h('span', { class: 'live-indicator' });
  const timeline = h('ol', { class: 'timeline', 'aria-label': 'Order progress' });
  const cancelArea = h('div', { class: 'cancel-area' });
  const details = h('div', { class: 'order-details' });
  // Straight after checkout: a thank-you while the order is on its way (not again on reload).
  const thanks = h('div', { class: 'notice-box notice-success', hidden: !query.placed },
    h('strong', {}, 'Thank you for your order! '),
    'We are reserving your items and taking payment now; this page updates by itself as your order moves along.');
  if (query.placed) router.setQuery({});

  function draw() {
    section.dataset.orderStatus = shown.status;
    if (status.isFinal(shown.status)) thanks.hidden = true;
    badge.textContent = status.label(shown.status);
    badge.className = `status-badge status-${shown.status}`;
    drawTimeline();
    drawCancel();
    drawDetails();
  }

  function timeOf(step) {
    const entry = [...(current.history ?? [])].reverse().find((e) => step.statuses.includes(e.status));
    return entry?.at ?? step.statuses.map((s) => eventTimes[s]).find(Boolean) ?? null;
  }

  function drawTimeline() {
    const items = [];
    if (shown.status === 'cancelled') {
      const reached = Math.max(0, ...(current.history ?? []).map((e) => status.stepIndex(e.status)));
      status.steps.slice(0, reached + 1).forEach((step) => items.push(stepItem(step, 'done')));
      const cancelledAt = (current.history ?? []).find((e) => e.status === 'cancelled')?.at ?? eventTimes.cancelled;
      items.push(h('li', { class: 'step step-cancelled', 'aria-current': 'step' },
        h('span', { class: 'step-dot' }, icon(icons.cross)),
        h('div', { class: 'step-body' },
          h('p', { class: 'step-label' }, 'Cancelled'),
          h('p', { class: 'step-reason', id: 'cancel-reason' }, reasonText()),
          cancelledAt ? h('p', { class: 'step-time' }, dateTime(cancelledAt)) : null)));
    } else {
      const reached = status.stepIndex(shown.status);
      status.steps.forEach((step, i) => {
        let state = i <= reached ? 'done' : 'pending';
        if (i === reached + 1 && !status.isFinal(shown.status)) state = 'next';
        items.push(stepItem(step, state, i === reached));
      });
    }
    replace(timeline, items);
  }

  function stepItem(step, state, isCurrent = false) {
    const at = state === 'done' ? timeOf(step) : null;
    let note = null;
    if (step.key === 'shipped' && state === 'next' && shown.status === 'scheduled') note = 'Packed, waiting for the carrier';
    if (step.key === 'shipped' && state === 'done' && shipment?.tracking_number) {
      note = `${shipment.carrier ? `${shipment.carrier} · ` : ''}tracking ${shipment.tracking_number}`;
    }
    if (step.key === 'paid' && state === 'done' && payment?.card_last4) note = `Card ending ${payment.card_last4}`;
    const stateText = { done: 'completed', next: 'in progress', pending: 'not yet' }[state];
    return h('li', { class: `step step-${state}`, 'aria-current': isCurrent ? 'step' : null, dataset: { step: step.key } },
      h('span', { class: 'step-dot' }, state === 'done' ? icon(icons.check) : null),
      h('div', { class: 'step-body' },
        h('p', { class: 'step-label' }, step.label, h('span', { class: 'visually-hidden' }, ` (${stateText})`)),
        note ? h('p', { class: 'step-note' }, note) : null,
        at ? h('p', { class: 'step-time' }, dateTime(at)) : null));
  }

  function reasonText() {
    if (shown.reason) return shown.reason;
    return {
      out_of_stock: 'Some items were out of stock, so nothing was charged.',
      payment_declined: 'Your card was declined.',
      customer_request: 'You cancelled this order.',
    }[shown.reason_code] ?? 'This order was cancelled.';
  }

  function drawCancel() {
    if (shown.status === 'cancelled') {
      const extra = {
        payment_declined: 'Nothing was charged and the items are back in stock. You can try again with another card.',
        out_of_stock: 'Nothing was charged. Some sizes sell fast; have a look for another size or colour.',
        customer_request: 'Any payment has been refunded.',
      }[shown.reason_code];
      replace(cancelArea, extra ? h('p', { class: 'muted' }, extra) : null,
        h('a', { class: 'button button-secondary', href: '/' }, 'Continue shopping'));
      return;
    }
    if (!status.cancellable(shown.status)) {
      replace(cancelArea, status.isFinal(shown.status)
        ? h('p', { class: 'muted' }, 'Enjoy your new t-shirts!')
        : h('p', { class: 'muted' }, 'Your parcel is on its way, so it can no longer be cancelled.'));
      return;
    }
    if (cancelRequested) {
      replace(cancelArea, h('p', { class: 'muted', role: 'status' }, 'Cancellation requested. This page will show it in a moment.'));
      return;
    }
    if (confirmingCancel) {
      replace(cancelArea, h('div', { class: 'confirm-cancel', role: 'group', 'aria-labelledby': 'confirm-cancel-q' },
        h('p', { id: 'confirm-cancel-q' }, 'Cancel this order? Any payment is refunded.'),
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'button button-danger', id: 'confirm-cancel', onclick: cancelOrder }, 'Yes, cancel order'),
          h('button', { type: 'button', class: 'button button-secondary', onclick: () => {
            confirmingCancel = false;
            drawCancel();
            cancelArea.querySelector('button')?.focus();
          } }, 'Keep order'))));
      cancelArea.querySelector('#confirm-cancel').focus();
      return;
    }
    replace(cancelArea, h('button', { type: 'button', class: 'button button-secondary', id: 'cancel-order', onclick: () => {
      confirmingCancel = true;
      drawCancel();
    } }, 'Cancel order'), h('p', { class: 'muted small' }, 'You can cancel until your parcel leaves our warehouse.'));
  }

  async function cancelOrder() {
    try {
      current = await api.post(`/api/orders/${encodeURIComponent(id)}/cancel`, {});
      cancelRequested = true;
      notice.announce('Cancellation requested.');
    } catch (e) {
      if (e.kind === 'expired') return;
      if (e.status === 409) {
        notice.showError("It's too late to cancel: your order has already left our warehouse.");
      } else {
        notice.showError(e.message);
      }
    }
    confirmingCancel = false;
    draw();
    refetch();
  }

  function drawDetails() {
    replace(details,
      h('h2', {}, 'Items'),
      h('ul', { class: 'order-lines' }, (current.lines ?? []).map((line) => h('li', {},
        h('img', { src: imageFor(line.product_id, colourCode(line.sku, line.product_id, line.size)), alt: '', width: 72, height: 72 }),
        h('div', {},
          h('p', { class: 'line-name' }, line.name),
          h('p', { class: 'muted' }, `${line.colour} · Size ${line.size} · × ${line.quantity}`)),
        h('p', { class: 'line-total' }, money(line.unit_price_cents * line.quantity, current.currency))))),
      h('dl', { class: 'order-total' },
        h('div', {}, h('dt', {}, 'Shipping'), h('dd', {}, 'Free')),
        h('div', { class: 'total' }, h('dt', {}, 'Total'), h('dd', {}, money(current.total_cents, current.currency)))));
  }

  async function refetch() {
    if (fetching) {
      fetchAgain = true;
      return fetching;
    }
    fetching = (async () => {
      do {
        fetchAgain = false;
        try {
          current = await api.get(`/api/orders/${encodeURIComponent(id)}`);
          const fetched = { status: current.status, reason_code: current.cancel_reason_code, reason: current.cancel_reason };
          if (!status.isAhead(shown.status, fetched.status)) {
            if (fetched.status !== shown.status) announceStatus(fetched.status);
            shown = fetched;
          }
          await extras();
          draw();
        } catch (e) {
          if (e.kind === 'expired') return;
        }
      } while (fetchAgain);
    })();
    try {
      await fetching;
    } finally {
      fetching = null;
    }
  }

  // Payment and shipment details, once they exist; missing ones are simply not shown.
  async function extras() {
    const s = shown.status;
    if (!payment && ['confirmed', 'scheduled', 'dispatched', 'delivered', 'completed'].includes(s)) {
      payment = await api.get(`/api/payments/orders/${encodeURIComponent(id)}`).catch(() => null);
    }
    if ((!shipment || !shipment.tracking_number) && ['dispatched', 'delivered', 'completed'].includes(s)) {
      shipment = await api.get(`/api/shipping/orders/${encodeURIComponent(id)}`).catch(() => null);
    }
  }

  function announceStatus(s) {
    notice.announce(s === 'cancelled' ? `Your order was cancelled: ${reasonText()}` : `Order update: ${status.label(s)}`);
  }

  const unsubscribe = live.subscribe((envelope) => {
    if (envelope.type === 'resync') return void refetch();
    if (status.orderIdOf(envelope) !== id) return;
    const change = status.fromEvent(envelope);
    if (change && status.isAhead(change.status, shown.status)) {
      shown = { ...shown, ...change };
      if (envelope.time) eventTimes[change.status] = envelope.time;
      announceStatus(change.status);
      draw();
    }
    refetch();
  });
  let wasOpen = live.currentStatus() === 'open';
  const unwatch = live.onStatus((s) => {
    liveIndicator.className = `live-indicator live-${s}`;
    liveIndicator.textContent = s === 'open' ? 'Live' : s === 'connecting' ? 'Reconnecting…' : 'Offline';
    // Anything missed while the stream was down is in the order itself.
    if (s === 'open' && !wasOpen) refetch();
    wasOpen = s === 'open';
  });

  await extras();
  replace(section,
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' },
      h('ol', {}, h('li', {}, h('a', { href: '/orders' }, 'Orders')), h('li', { 'aria-current': 'page' }, `Order ${shortId(current.order_id)}`))),
    h('div', { class: 'page-header' },
      h('div', {},
        h('h1', {}, `Order ${shortId(current.order_id)}`),
        h('p', { class: 'muted' }, `Placed ${dateTime(current.created_at)}`)),
      h('div', { class: 'order-state' }, badge, liveIndicator)),
    thanks,
    h('div', { class: 'order-layout' },
      h('div', { class: 'card-panel' }, h('h2', {}, 'Progress'), timeline, cancelArea),
      h('div', { class: 'card-panel' }, details)));
  draw();
  // Events published between the first fetch and subscribing are caught by one more fetch.
  refetch();
  return () => {
    unsubscribe();
    unwatch();
  };
}
