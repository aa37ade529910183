#!/usr/bin/env node
// DEVELOPMENT AID ONLY — not used by the browser tests, and not part of the system.
//
// A tiny in-memory stand-in for the gateway and the services, so the storefront (web/) can be
// developed and looked at before, or without, the real system: it serves web/ the way the
// gateway does (index.html for unknown non-/api paths) and fakes the HTTP API of docs/api.md,
// including the live event stream, with the order saga played out on timers. Results against
// it say nothing about the real services; storefront.test.mjs runs against the real gateway.
//
//   node tests/browser/dev-stub.mjs [--port 8090] [--step-ms 800] [--session-ttl 86400]
//   VELOCITY_STOREFRONT_URL=http://127.0.0.1:8090 node --test tests/browser/storefront.test.mjs
import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { seedProducts } from '../../web/tools/seed.mjs';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '8090' },
    'step-ms': { type: 'string', default: '800' },
    'session-ttl': { type: 'string', default: '86400' },
  },
});
const stepMs = Number(args['step-ms']);
const sessionTtlMs = Number(args['session-ttl']) * 1000;
const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');

// --- state ----------------------------------------------------------------------------------
const products = seedProducts();
const stock = new Map(products.flatMap((p) => p.skus.map((s) => [s.sku, 100])));
const users = new Map();     // email -> {customer_id, email, name, password, address}
const sessions = new Map();  // token -> {customer_id, expires}
const carts = new Map();     // customer_id -> Map(sku -> quantity)
const orders = new Map();    // order_id -> order
const payments = new Map();  // order_id -> payment
const shipments = new Map(); // order_id -> shipment
const idempotency = new Map(); // customer_id + key -> order_id
const eventLog = [];         // {seq, customer_id, envelope}
const streams = new Set();   // {customer_id, res}
let seq = 0;

const declines = {
  '4000000000000002': 'Your card was declined.',
  '4000000000009995': 'Insufficient funds.',
  '4000000000000069': 'Your card has expired.',
};

// --- helpers --------------------------------------------------------------------------------
const now = () => new Date().toISOString();
const userById = (id) => [...users.values()].find((u) => u.customer_id === id);
const skuInfo = (sku) => {
  for (const p of products) {
    const s = p.skus.find((x) => x.sku === sku);
    if (s) return { product: p, sku: s };
  }
  return null;
};
const productView = (p) => {
  const skus = p.skus.map((s) => ({ ...s, available: stock.get(s.sku) ?? 0 }));
  return { ...p, skus, in_stock: skus.some((s) => s.available > 0) };
};

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}
const fail = (res, status, error, field) => send(res, status, field ? { error, field } : { error });

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  if (chunks.length === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return null;
  }
}

function customerOf(req, url) {
  const auth = req.headers.authorization ?? '';
  const token = auth.startsWith('Bearer ') ? auth.slice(7) : url.searchParams.get('token');
  const s = token && sessions.get(token);
  if (!s || s.expires <= Date.now()) return null;
  return s.customer_id;
}

function newSession(customer_id) {
  const token = randomBytes(24).toString('base64url');
  const expires = Date.now() + sessionTtlMs;
  sessions.set(token, { customer_id, expires });
  return { token, expires_at: new Date(expires).toISOString() };
}

function publish(type, customer_id, subject, data) {
  const envelope = { id: randomUUID(), type, subject, time: now(), data: { customer_id, ...data } };
  const entry = { seq: ++seq, customer_id, envelope };
  eventLog.push(entry);
  for (const s of streams) if (s.customer_id === customer_id) writeEvent(s.res, entry);
}

function writeEvent(res, { seq: id, envelope }) {
  res.write(`id: ${id}\nevent: ${envelope.type}\ndata: ${JSON.stringify(envelope)}\n\n`);
}

function cartView(customer_id) {
  const lines = [...(carts.get(customer_id) ?? new Map())].map(([sku, quantity]) => {
    const { product, sku: s } = skuInfo(sku);
    const code = sku.slice(`${product.product_id}-${s.size}-`.length);
    return {
      sku, product_id: product.product_id, name: product.name, size: s.size, colour: s.colour,
      image: `/images/${product.product_id}-${code}.svg`, quantity,
      unit_price_cents: product.price_cents, line_total_cents: product.price_cents * quantity,
    };
  });
  return { customer_id, lines, total_cents: lines.reduce((n, l) => n + l.line_total_cents, 0), currency: 'EUR' };
}

// --- the saga, on timers --------------------------------------------------------------------
function advance(order, status, detail = '') {
  order.status = status;
  order.updated_at = now();
  order.history.push({ status, at: order.updated_at, detail });
}

function cancel(order, code, reason) {
  if (order.status === 'cancelled') return;
  const held = order.status !== 'placed';
  advance(order, 'cancelled', reason);
  order.cancel_reason_code = code;
  order.cancel_reason = reason;
  if (held) for (const l of order.lines) stock.set(l.sku, stock.get(l.sku) + l.quantity);
  publish('shop.order.cancelled.v1', order.customer_id, order.order_id, { order_id: order.order_id, reason_code: code, reason });
}

function runSaga(order, card) {
  const c = order.customer_id;
  const id = order.order_id;
  const steps = [
    () => {
      const short = order.lines.filter((l) => (stock.get(l.sku) ?? 0) < l.quantity);
      if (short.length) {
        publish('shop.inventory.stock_rejected.v1', c, id, { order_id: id, unavailable: short, reason: 'Some items are out of stock.' });
        cancel(order, 'out_of_stock', 'Sorry, some items sold out before we could reserve them.');
        return false;
      }
      for (const l of order.lines) stock.set(l.sku, stock.get(l.sku) - l.quantity);
      advance(order, 'reserved');
      publish('shop.inventory.stock_reserved.v1', c, id, { order_id: id });
      return true;
    },
    () => {
      const last4 = card.number.slice(-4);
      const declined = declines[card.number];
      if (declined) {
        payments.set(id, { order_id: id, status: 'declined', amount_cents: order.total_cents, currency: 'EUR', card_last4: last4, reason: declined });
        publish('shop.payment.declined.v1', c, id, { order_id: id, reason: declined, card_last4: last4 });
        cancel(order, 'payment_declined', declined);
        return false;
      }
      payments.set(id, { order_id: id, status: 'authorized', amount_cents: order.total_cents, currency: 'EUR', card_last4: last4, reason: '' });
      publish('shop.payment.authorized.v1', c, id, { order_id: id, card_last4: last4 });
      advance(order, 'confirmed');
      publish('shop.order.confirmed.v1', c, id, { order_id: id });
      return true;
    },
    () => {
      shipments.set(id, { order_id: id, shipment_id: `shp-${id.slice(4, 12)}`, status: 'scheduled', carrier: 'Velocity Express',
        tracking_number: '', scheduled_at: now(), dispatched_at: null, delivered_at: null });
      advance(order, 'scheduled');
      publish('shop.shipping.scheduled.v1', c, id, { order_id: id });
      return true;
    },
    () => {
      const s = shipments.get(id);
      Object.assign(s, { status: 'dispatched', tracking_number: `VX${randomBytes(5).toString('hex').toUpperCase()}`, dispatched_at: now() });
      advance(order, 'dispatched');
      publish('shop.shipping.dispatched.v1', c, id, { order_id: id, tracking_number: s.tracking_number });
      return true;
    },
    () => {
      Object.assign(shipments.get(id), { status: 'delivered', delivered_at: now() });
      advance(order, 'delivered');
      publish('shop.shipping.delivered.v1', c, id, { order_id: id });
      return true;
    },
    () => {
      advance(order, 'completed');
      publish('shop.order.completed.v1', c, id, { order_id: id });
      return false;
    },
  ];
  let i = 0;
  const next = () => {
    if (order.status === 'cancelled') return;
    if (steps[i++]()) setTimeout(next, stepMs);
    else if (i < steps.length && order.status !== 'cancelled') setTimeout(next, stepMs);
  };
  setTimeout(next, stepMs);
}

// --- routes ---------------------------------------------------------------------------------
async function api(req, res, url) {
  const p = url.pathname;
  const m = (re) => re.exec(p);
  const customer = customerOf(req, url);
  const needCustomer = () => {
    if (!customer) fail(res, 401, 'Sign in required.');
    return customer;
  };
  const body = ['POST', 'PUT'].includes(req.method) ? await readBody(req) : {};
  if (body === null) return fail(res, 400, 'The request body is not valid JSON.');

  if (req.method === 'POST' && p === '/api/users/register') {
    const { email = '', password = '', name = '' } = body;
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return fail(res, 400, 'Please enter a valid email address.', 'email');
    if (password.length < 8) return fail(res, 400, 'The password needs at least 8 characters.', 'password');
    if (!name.trim() || name.length > 100) return fail(res, 400, 'Please enter your name.', 'name');
    if (users.has(email.toLowerCase())) return fail(res, 409, 'An account with this email already exists.', 'email');
    const user = { customer_id: `cus-${randomBytes(6).toString('hex')}`, email, name, password,
      address: { line1: '', line2: '', city: '', postcode: '', country: '' } };
    users.set(email.toLowerCase(), user);
    publish('shop.user.registered.v1', user.customer_id, user.customer_id, { email, name });
    return send(res, 201, { customer_id: user.customer_id, email, name, ...newSession(user.customer_id) });
  }
  if (req.method === 'POST' && p === '/api/users/login') {
    const user = users.get(String(body.email ?? '').toLowerCase());
    if (!user || user.password !== body.password) return fail(res, 401, 'Wrong email or password.');
    return send(res, 200, { customer_id: user.customer_id, ...newSession(user.customer_id) });
  }
  if (p === '/api/users/me') {
    if (!needCustomer()) return;
    const user = userById(customer);
    if (req.method === 'PUT') {
      if (body.email && body.email.toLowerCase() !== user.email.toLowerCase() && users.has(body.email.toLowerCase())) {
        return fail(res, 409, 'Another account already uses this email.', 'email');
      }
      users.delete(user.email.toLowerCase());
      if (body.name) user.name = body.name;
      if (body.email) user.email = body.email;
      if (body.address) user.address = { ...user.address, ...body.address };
      users.set(user.email.toLowerCase(), user);
    }
    return send(res, 200, { customer_id: user.customer_id, email: user.email, name: user.name, address: user.address });
  }

  if (req.method === 'GET' && p === '/api/catalog/products') {
    const q = (url.searchParams.get('q') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const size = url.searchParams.get('size');
    const colour = url.searchParams.get('colour');
    const min = url.searchParams.get('min_price');
    const max = url.searchParams.get('max_price');
    const inStock = url.searchParams.get('in_stock') === '1';
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 24), 100);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const found = products.map(productView).filter((pr) => {
      const words = `${pr.name} ${pr.description} ${pr.skus.map((s) => s.colour).join(' ')}`.toLowerCase().split(/[^a-z0-9']+/);
      if (!q.every((t) => words.some((w) => w.startsWith(t)))) return false;
      if (size && !pr.skus.some((s) => s.size === size)) return false;
      if (colour && !pr.skus.some((s) => s.colour.toLowerCase() === colour.toLowerCase())) return false;
      if (min && pr.price_cents < Number(min)) return false;
      if (max && pr.price_cents > Number(max)) return false;
      if (inStock && !pr.in_stock) return false;
      return true;
    });
    return send(res, 200, { products: found.slice(offset, offset + limit), total: found.length });
  }
  let r;
  if (req.method === 'GET' && (r = m(/^\/api\/catalog\/products\/([^/]+)$/))) {
    const pr = products.find((x) => x.product_id === decodeURIComponent(r[1]));
    return pr ? send(res, 200, productView(pr)) : fail(res, 404, 'No such product.');
  }

  if (p === '/api/cart' && req.method === 'GET') {
    if (!needCustomer()) return;
    return send(res, 200, cartView(customer));
  }
  if (p === '/api/cart/items' && req.method === 'POST') {
    if (!needCustomer()) return;
    const info = skuInfo(body.sku);
    if (!info) return fail(res, 404, 'No such item.', 'sku');
    if (!Number.isInteger(body.quantity) || body.quantity < 1 || body.quantity > 99) return fail(res, 400, 'Quantity must be 1 to 99.', 'quantity');
    const cart = carts.get(customer) ?? new Map();
    carts.set(customer, cart);
    cart.set(body.sku, Math.min(99, (cart.get(body.sku) ?? 0) + body.quantity));
    publish('shop.cart.item_added.v1', customer, customer, { sku: body.sku, quantity: body.quantity, line_quantity: cart.get(body.sku) });
    return send(res, 200, cartView(customer));
  }
  if ((r = m(/^\/api\/cart\/items\/([^/]+)$/)) && (req.method === 'PUT' || req.method === 'DELETE')) {
    if (!needCustomer()) return;
    const sku = decodeURIComponent(r[1]);
    const cart = carts.get(customer) ?? new Map();
    const q = req.method === 'DELETE' ? 0 : body.quantity;
    if (!Number.isInteger(q) || q < 0 || q > 99) return fail(res, 400, 'Quantity must be 0 to 99.', 'quantity');
    if (q === 0) cart.delete(sku);
    else cart.set(sku, q);
    publish('shop.cart.item_removed.v1', customer, customer, { sku, line_quantity: q, reason: q ? 'changed' : 'removed' });
    return send(res, 200, cartView(customer));
  }

  if (p === '/api/orders/checkout' && req.method === 'POST') {
    if (!needCustomer()) return;
    const key = req.headers['idempotency-key'];
    if (!key || key.length > 100) return fail(res, 400, 'An Idempotency-Key header is required.');
    const seen = idempotency.get(`${customer} ${key}`);
    if (seen) return send(res, 200, orders.get(seen));
    const lines = [];
    for (const [i, l] of (body.lines ?? []).entries()) {
      const info = skuInfo(l.sku);
      if (!info) return fail(res, 400, 'Unknown item.', `lines[${i}].sku`);
      if (!Number.isInteger(l.quantity) || l.quantity < 1 || l.quantity > 99) return fail(res, 400, 'Quantity must be 1 to 99.', `lines[${i}].quantity`);
      if (l.unit_price_cents !== info.product.price_cents) return fail(res, 409, 'The price has changed.', `lines[${i}].unit_price_cents`);
      lines.push({ sku: l.sku, product_id: info.product.product_id, name: info.product.name, size: info.sku.size,
        colour: info.sku.colour, quantity: l.quantity, unit_price_cents: l.unit_price_cents });
    }
    if (lines.length === 0) return fail(res, 400, 'The order has no lines.', 'lines');
    const number = String(body.card?.number ?? '');
    if (!/^\d{12,19}$/.test(number)) return fail(res, 400, 'The card number must have 12 to 19 digits.', 'card.number');
    if (!body.card?.holder) return fail(res, 400, 'Please enter the name on the card.', 'card.holder');
    for (const f of ['line1', 'city', 'postcode', 'country']) {
      if (!body.ship_to?.[f]) return fail(res, 400, 'This part of the address is missing.', `ship_to.${f}`);
    }
    const order = {
      order_id: `ord-${randomBytes(8).toString('hex')}`, customer_id: customer, status: 'placed', lines,
      total_cents: lines.reduce((n, l) => n + l.quantity * l.unit_price_cents, 0), currency: 'EUR',
      created_at: now(), updated_at: now(), cancel_reason_code: '', cancel_reason: '', history: [],
    };
    advance(order, 'placed');
    orders.set(order.order_id, order);
    idempotency.set(`${customer} ${key}`, order.order_id);
    const cart = carts.get(customer);
    for (const l of lines) cart?.delete(l.sku);
    publish('shop.order.placed.v1', customer, order.order_id, { order_id: order.order_id, total_cents: order.total_cents });
    for (const l of lines) publish('shop.cart.item_removed.v1', customer, customer, { sku: l.sku, line_quantity: 0, reason: 'ordered' });
    runSaga(order, { number });
    return send(res, 201, order);
  }
  if (p === '/api/orders' && req.method === 'GET') {
    if (!needCustomer()) return;
    const mine = [...orders.values()].filter((o) => o.customer_id === customer).reverse();
    return send(res, 200, { orders: mine });
  }
  if ((r = m(/^\/api\/orders\/([^/]+)(\/cancel)?$/))) {
    if (!needCustomer()) return;
    const order = orders.get(decodeURIComponent(r[1]));
    if (!order || order.customer_id !== customer) return fail(res, 404, 'Order not found.');
    if (!r[2] && req.method === 'GET') return send(res, 200, order);
    if (r[2] && req.method === 'POST') {
      if (!['placed', 'reserved', 'confirmed', 'scheduled'].includes(order.status)) return fail(res, 409, 'The order has already been dispatched.');
      setTimeout(() => cancel(order, 'customer_request', 'You cancelled this order.'), stepMs / 2);
      return send(res, 202, order);
    }
  }
  if ((r = m(/^\/api\/(payments|shipping)\/orders\/([^/]+)$/)) && req.method === 'GET') {
    if (!needCustomer()) return;
    const id = decodeURIComponent(r[2]);
    const found = (r[1] === 'payments' ? payments : shipments).get(id);
    if (!found || orders.get(id)?.customer_id !== customer) return fail(res, 404, 'Not found.');
    return send(res, 200, found);
  }

  if (p === '/api/events' && req.method === 'GET') {
    if (!needCustomer()) return;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    const after = Number(req.headers['last-event-id'] ?? 0);
    if (after) for (const e of eventLog) if (e.seq > after && e.customer_id === customer) writeEvent(res, e);
    const stream = { customer_id: customer, res };
    streams.add(stream);
    const ping = setInterval(() => res.write(': ping\n\n'), 15000);
    req.on('close', () => {
      clearInterval(ping);
      streams.delete(stream);
    });
    return;
  }
  return fail(res, 404, 'No such route.');
}

const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json' };

async function serveStatic(req, res, url) {
  const rel = path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
  let file = path.join(webRoot, rel);
  if (!file.startsWith(webRoot) || rel.startsWith('/tools/')) file = path.join(webRoot, 'index.html');
  try {
    const data = await readFile(file);
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' });
    res.end(data);
  } catch {
    // Unknown non-/api paths get the app, whose router decides what to show (as the gateway does).
    if (path.extname(rel) && rel !== '/') {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    const data = await readFile(path.join(webRoot, 'index.html'));
    res.writeHead(200, { 'Content-Type': types['.html'], 'Cache-Control': 'no-cache' });
    res.end(data);
  }
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://stub');
  try {
    if (url.pathname.startsWith('/api/')) await api(req, res, url);
    else await serveStatic(req, res, url);
  } catch (e) {
    console.error(e);
    if (!res.headersSent) fail(res, 500, 'The development stub failed.');
    else res.end();
  }
});
server.listen(Number(args.port), '127.0.0.1', () => {
  console.log(`dev-stub (development aid, not the real system): http://127.0.0.1:${server.address().port}`);
});
