// The customer's bag (the cart service's Cart) as the header shows it: the item count, kept
// fresh after every change this page makes and every cart event from the live stream.
import * as api from './api.js';
import * as session from './session.js';
import * as live from './live.js';

let cart = null;
const listeners = new Set();

export function onChange(fn) {
  listeners.add(fn);
  fn(cart);
  return () => listeners.delete(fn);
}

export function count(c = cart) {
  return (c?.lines ?? []).reduce((n, line) => n + line.quantity, 0);
}

export function set(c) {
  cart = c;
  for (const fn of listeners) fn(cart);
  return cart;
}

export async function refresh() {
  if (!session.signedIn()) return set(null);
  try {
    return set(await api.get('/api/cart'));
  } catch {
    return cart;
  }
}

export async function add(sku, quantity = 1) {
  return set(await api.post('/api/cart/items', { sku, quantity }));
}

export async function change(sku, quantity) {
  return set(await api.put(`/api/cart/items/${encodeURIComponent(sku)}`, { quantity }));
}

export async function remove(sku) {
  return set(await api.del(`/api/cart/items/${encodeURIComponent(sku)}`));
}

// An "add to bag" chosen before signing in, done right after signing in.
const pendingKey = 'velocity.pending-add';
export function rememberAdd(item) {
  sessionStorage.setItem(pendingKey, JSON.stringify(item));
}
export function takePendingAdd() {
  const raw = sessionStorage.getItem(pendingKey);
  sessionStorage.removeItem(pendingKey);
  try {
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

export function start() {
  session.onChange(() => refresh());
  live.subscribe((e) => {
    if (e.type?.startsWith('shop.cart.') || e.type === 'shop.order.placed.v1' || e.type === 'resync') refresh();
  });
  refresh();
}
