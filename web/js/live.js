// Live updates: one EventSource on the gateway's /api/events while a customer is signed in.
// Every message is `event: <CloudEvents type>` with data {id, type, subject, time, data};
// EventSource resumes with Last-Event-ID by itself after a dropped connection. Subscribers get
// the parsed envelope; status listeners hear 'connecting', 'open' and 'closed'.
// Two frames come from the gateway itself: `resync` (events after our Last-Event-ID are no
// longer buffered), passed on as {type: 'resync'} so pages fetch what they show again; and
// `session_expired` (the token ran out while streaming), which ends the session.
import * as session from './session.js';
import * as api from './api.js';

// Every public event type (services/shop/events.h); EventSource delivers named events only to
// listeners registered for that name.
export const eventTypes = [
  'shop.user.registered.v1', 'shop.user.logged_in.v1', 'shop.user.profile_updated.v1',
  'shop.catalog.product_added.v1', 'shop.catalog.product_updated.v1', 'shop.catalog.items_searched.v1',
  'shop.cart.item_added.v1', 'shop.cart.item_removed.v1',
  'shop.order.placed.v1', 'shop.order.confirmed.v1', 'shop.order.cancelled.v1', 'shop.order.completed.v1',
  'shop.inventory.stock_reserved.v1', 'shop.inventory.stock_rejected.v1', 'shop.inventory.stock_released.v1',
  'shop.inventory.stock_adjusted.v1',
  'shop.payment.authorized.v1', 'shop.payment.declined.v1', 'shop.payment.refunded.v1',
  'shop.shipping.scheduled.v1', 'shop.shipping.dispatched.v1', 'shop.shipping.delivered.v1',
  'shop.shipping.cancelled.v1',
  'shop.notification.email_sent.v1',
];

const subscribers = new Set();
const statusListeners = new Set();
let source = null;
let sourceToken = null;
let status = 'closed';
let retryTimer = null;
let retryDelay = 1000;

export function subscribe(fn) {
  subscribers.add(fn);
  return () => subscribers.delete(fn);
}

export function onStatus(fn) {
  statusListeners.add(fn);
  fn(status);
  return () => statusListeners.delete(fn);
}

export function currentStatus() {
  return status;
}

function setStatus(s) {
  if (s === status) return;
  status = s;
  for (const fn of statusListeners) fn(s);
}

function deliver(message) {
  let envelope;
  try {
    envelope = JSON.parse(message.data);
  } catch {
    return;
  }
  if (!envelope.type) envelope.type = message.type;
  for (const fn of subscribers) {
    try {
      fn(envelope);
    } catch (e) {
      console.error('live subscriber failed', e);
    }
  }
}

function open(token) {
  close();
  sourceToken = token;
  setStatus('connecting');
  source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
  source.addEventListener('open', () => {
    retryDelay = 1000;
    setStatus('open');
  });
  source.addEventListener('error', () => {
    if (!source) return;
    if (source.readyState === EventSource.CLOSED) {
      // The gateway refused the stream (an expired token answers 401) or went away for good:
      // find out which, then reconnect with a growing pause.
      source = null;
      setStatus('closed');
      checkSessionThenRetry();
    } else {
      setStatus('connecting');
    }
  });
  for (const type of eventTypes) source.addEventListener(type, deliver);
  source.addEventListener('message', deliver);
  source.addEventListener('resync', () => deliver({ type: 'resync', data: '{"type":"resync"}' }));
  source.addEventListener('session_expired', () => {
    close();
    api.sessionExpired(api.messages.expired);
  });
}

function checkSessionThenRetry() {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(async () => {
    if (!session.signedIn()) return;
    try {
      await api.get('/api/users/me');
    } catch (e) {
      if (e.kind === 'expired') return;
    }
    retryDelay = Math.min(retryDelay * 2, 30000);
    if (session.signedIn()) open(session.token());
  }, retryDelay);
}

function close() {
  clearTimeout(retryTimer);
  if (source) source.close();
  source = null;
  sourceToken = null;
  setStatus('closed');
}

// Keeps the stream in step with the session: open while signed in, closed otherwise.
export function start() {
  const sync = () => {
    const t = session.token();
    if (!t) close();
    else if (t !== sourceToken) open(t);
  };
  session.onChange(sync);
  sync();
}
