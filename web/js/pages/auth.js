// Sign in and sign up. Both end in a stored session, then any "add to bag" chosen before
// signing in, then the page the customer came from (`next`).
import { h, field, setFieldError } from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import * as bag from '../bag.js';
import * as notice from '../notice.js';
import * as router from '../router.js';

function safeNext(next) {
  // Only paths inside the shop, never another site.
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

async function finish(next) {
  const pending = bag.takePendingAdd();
  if (pending) {
    try {
      await bag.add(pending.sku, 1);
      notice.announce(`Added ${pending.label} to your bag`);
    } catch (e) {
      notice.showError(`We couldn't add ${pending.label} to your bag: ${e.message}`);
    }
  }
  await router.navigate(safeNext(next), { replace: true });
}

function flashBox() {
  const message = session.flash();
  return message ? h('div', { class: 'notice-box', role: 'alert' }, message) : null;
}

function authPage(title, intro, form, switcher) {
  return h('section', { class: 'page auth-page' },
    h('div', { class: 'auth-card' },
      h('h1', {}, title),
      h('p', { class: 'muted' }, intro),
      flashBox(),
      form,
      h('p', { class: 'auth-switch' }, switcher)));
}

export async function login(main, { query }) {
  if (session.signedIn()) return router.navigate(safeNext(query.next), { replace: true });
  const email = field({ label: 'Email', name: 'email', type: 'email', required: true, autocomplete: 'email' });
  const password = field({ label: 'Password', name: 'password', type: 'password', required: true, autocomplete: 'current-password' });
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'button button-primary button-wide' }, 'Sign in');
  const form = h('form', { class: 'stack', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    formError.textContent = '';
    setFieldError(form);
    if (!email.input.value.trim()) return setFieldError(form, 'email', 'Please enter your email address.');
    if (!password.input.value) return setFieldError(form, 'password', 'Please enter your password.');
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      const res = await api.post('/api/users/login',
        { email: email.input.value.trim(), password: password.input.value }, { auth: false });
      session.start({ ...res, email: email.input.value.trim() });
      try {
        const me = await api.get('/api/users/me');
        session.update({ name: me.name, email: me.email });
      } catch { /* the name in the header can wait */ }
      await finish(query.next);
    } catch (err) {
      formError.textContent = err.status === 401 ? 'That email and password do not match an account. Please try again.' : err.message;
      password.input.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = 'Sign in';
    }
  } }, email.wrap, password.wrap, formError, submit);

  const signupHref = `/signup${query.next ? `?next=${encodeURIComponent(query.next)}` : ''}`;
  main.append(authPage('Sign in', 'Welcome back. Sign in to see your bag and your orders.', form,
    ['New to Velocity? ', h('a', { href: signupHref }, 'Create an account')]));
}

export async function signup(main, { query }) {
  if (session.signedIn()) return router.navigate(safeNext(query.next), { replace: true });
  const name = field({ label: 'Full name', name: 'name', required: true, autocomplete: 'name' });
  const email = field({ label: 'Email', name: 'email', type: 'email', required: true, autocomplete: 'email' });
  const password = field({ label: 'Password', name: 'password', type: 'password', required: true,
    autocomplete: 'new-password', hint: 'At least 8 characters.', attrs: { minlength: 8 } });
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'button button-primary button-wide' }, 'Create account');
  const form = h('form', { class: 'stack', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    formError.textContent = '';
    setFieldError(form);
    const body = { name: name.input.value.trim(), email: email.input.value.trim(), password: password.input.value };
    if (!body.name) return setFieldError(form, 'name', 'Please tell us your name.');
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(body.email)) return setFieldError(form, 'email', 'Please enter an email address like name@example.com.');
    if (body.password.length < 8) return setFieldError(form, 'password', 'Your password needs at least 8 characters.');
    submit.disabled = true;
    submit.textContent = 'Creating your account…';
    try {
      const res = await api.post('/api/users/register', body, { auth: false });
      session.start(res);
      notice.announce(`Welcome, ${res.name}! Your account is ready.`);
      await finish(query.next);
    } catch (err) {
      if (err.status === 409) setFieldError(form, 'email', 'An account with this email already exists. Sign in instead?');
      else if (err.field) setFieldError(form, err.field, err.message);
      else formError.textContent = err.message;
    } finally {
      submit.disabled = false;
      submit.textContent = 'Create account';
    }
  } }, name.wrap, email.wrap, password.wrap, formError, submit);

  const loginHref = `/login${query.next ? `?next=${encodeURIComponent(query.next)}` : ''}`;
  main.append(authPage('Create your account', 'Track every order live, check out faster and keep your bag on every device.', form,
    ['Already have an account? ', h('a', { href: loginHref }, 'Sign in')]));
}
