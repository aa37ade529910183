// The signed-in customer: the token from register or log in, kept in localStorage so it
// survives reloads and is shared by tabs. Listeners hear every sign in and sign out.

const key = 'velocity.session';
const listeners = new Set();

function read() {
  try {
    const s = JSON.parse(localStorage.getItem(key) ?? 'null');
    return s && typeof s.token === 'string' ? s : null;
  } catch {
    return null;
  }
}

export function current() {
  return read();
}

// True when a session is stored whose expiry time has passed.
export function expired() {
  const s = read();
  return Boolean(s?.expires_at) && Date.parse(s.expires_at) <= Date.now();
}

export function token() {
  const s = read();
  return s && !expired() ? s.token : null;
}

export function signedIn() {
  return token() !== null;
}

export function start({ token: t, expires_at, customer_id, name, email }) {
  localStorage.setItem(key, JSON.stringify({ token: t, expires_at, customer_id, name, email }));
  notify();
}

export function update(fields) {
  const s = read();
  if (!s) return;
  localStorage.setItem(key, JSON.stringify({ ...s, ...fields }));
  notify();
}

export function end() {
  localStorage.removeItem(key);
  notify();
}

export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function notify() {
  for (const fn of listeners) fn(read());
}

// Another tab signed in or out.
window.addEventListener('storage', (e) => {
  if (e.key === key) notify();
});

// A message to show on the next page (e.g. on the sign-in page after an expired session).
export function flash(message) {
  if (message === undefined) {
    const m = sessionStorage.getItem('velocity.flash');
    sessionStorage.removeItem('velocity.flash');
    return m;
  }
  sessionStorage.setItem('velocity.flash', message);
  return message;
}
