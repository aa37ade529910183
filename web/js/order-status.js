// An order's progress as the customer sees it, and how live events move it along.
// Statuses (docs/api.md): placed → reserved → confirmed → scheduled → dispatched → delivered →
// completed, or cancelled. The timeline shows five steps; "scheduled" is the wait for the carrier.

export const steps = [
  { key: 'placed', label: 'Order placed', statuses: ['placed'] },
  { key: 'reserved', label: 'Stock reserved', statuses: ['reserved'] },
  { key: 'paid', label: 'Paid', statuses: ['confirmed', 'scheduled'] },
  { key: 'shipped', label: 'Shipped', statuses: ['dispatched'] },
  { key: 'delivered', label: 'Delivered', statuses: ['delivered', 'completed'] },
];

const rank = { placed: 0, reserved: 1, confirmed: 2, scheduled: 2.5, dispatched: 3, delivered: 4, completed: 4.5 };

export const labels = {
  placed: 'Placed', reserved: 'Stock reserved', confirmed: 'Paid', scheduled: 'Preparing to ship',
  dispatched: 'Shipped', delivered: 'Delivered', completed: 'Delivered', cancelled: 'Cancelled',
};

export function label(status) {
  return labels[status] ?? status;
}

export function stepIndex(status) {
  return steps.findIndex((s) => s.statuses.includes(status));
}

export function isFinal(status) {
  return status === 'cancelled' || status === 'delivered' || status === 'completed';
}

// Customers may cancel until the parcel leaves the warehouse.
export function cancellable(status) {
  return ['placed', 'reserved', 'confirmed', 'scheduled'].includes(status);
}

// Is `next` further along than `current`? Cancelled ends any unfinished order.
export function isAhead(next, current) {
  if (current === 'cancelled' || next === current) return false;
  if (next === 'cancelled') return current !== 'delivered' && current !== 'completed';
  return (rank[next] ?? -1) > (rank[current] ?? -1);
}

// What an event says about the order it concerns: {status, reason?} or null.
export function fromEvent(envelope) {
  const d = envelope.data ?? {};
  switch (envelope.type) {
    case 'shop.order.placed.v1': return { status: 'placed' };
    case 'shop.inventory.stock_reserved.v1': return { status: 'reserved' };
    case 'shop.payment.authorized.v1': return { status: 'confirmed' };
    case 'shop.order.confirmed.v1': return { status: 'confirmed' };
    case 'shop.shipping.scheduled.v1': return { status: 'scheduled' };
    case 'shop.shipping.dispatched.v1': return { status: 'dispatched' };
    case 'shop.shipping.delivered.v1': return { status: 'delivered' };
    case 'shop.order.completed.v1': return { status: 'completed' };
    case 'shop.inventory.stock_rejected.v1':
      return { status: 'cancelled', reason_code: 'out_of_stock', reason: d.reason || 'Some items are out of stock.' };
    case 'shop.payment.declined.v1':
      return { status: 'cancelled', reason_code: 'payment_declined', reason: d.reason || 'Your card was declined.' };
    case 'shop.order.cancelled.v1':
      return { status: 'cancelled', reason_code: d.reason_code, reason: d.reason };
    default: return null;
  }
}

export function orderIdOf(envelope) {
  return envelope.data?.order_id ?? null;
}
