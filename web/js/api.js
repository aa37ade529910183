// The store's HTTP API (docs/api.md) as seen from the browser: JSON in and out, the session
// token as a Bearer header, and every failure turned into an ApiError whose message a customer
// can act on. A 401 on a signed-in request means the session has ended: the session is cleared
// and the handler registered with onSessionExpired runs (it takes the customer to sign in).
import * as session from './session.js';

export const messages = {
  network: "We can't reach the shop right now. Check your connection and try again.",
  expired: 'Your session has expired, please sign in again.',
  signIn: 'Please sign in to continue.',
  server: 'Something went wrong on our side. Please try again in a moment.',
  unavailable: 'This part of the shop is briefly unavailable. Please try again in a moment.',
};

export class ApiError extends Error {
  constructor(status, message, { field, kind, body } = {}) {
    super(message);
    this.status = status;
    this.field = field ?? null;
    this.kind = kind ?? 'http'; // 'network', 'expired', 'http'
    this.body = body ?? null;
  }
}

let expiredHandler = () => {};
export function onSessionExpired(fn) {
  expiredHandler = fn;
}

// `message` defaults to "expired" when a session was stored, "please sign in" otherwise.
export function sessionExpired(message) {
  const had = session.current() !== null;
  session.end();
  expiredHandler(message ?? (had ? messages.expired : messages.signIn));
}

export async function request(method, path, { body, headers = {}, auth = true } = {}) {
  const all = { Accept: 'application/json', ...headers };
  if (body !== undefined) all['Content-Type'] = 'application/json';
  const token = auth ? session.token() : null;
  if (auth && !token && session.expired()) {
    sessionExpired();
    throw new ApiError(401, messages.expired, { kind: 'expired' });
  }
  if (token) all.Authorization = `Bearer ${token}`;

  let res;
  try {
    res = await fetch(path, { method, headers: all, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, messages.network, { kind: 'network' });
  }
  let data = null;
  const text = await res.text().catch(() => '');
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.status === 401 && auth) {
    sessionExpired(token ? messages.expired : messages.signIn);
    throw new ApiError(401, token ? messages.expired : messages.signIn, { kind: 'expired', body: data });
  }
  if (!res.ok) {
    let message = data?.error;
    if (!message) message = res.status >= 502 && res.status <= 504 ? messages.unavailable : messages.server;
    throw new ApiError(res.status, message, { field: data?.field, body: data });
  }
  return data;
}

export const get = (path, opts) => request('GET', path, opts);
export const post = (path, body, opts) => request('POST', path, { ...opts, body });
export const put = (path, body, opts) => request('PUT', path, { ...opts, body });
export const del = (path, opts) => request('DELETE', path, opts);

// A fresh key for one checkout attempt (crypto.randomUUID needs a secure context; fall back).
export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}
