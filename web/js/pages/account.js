// The customer's profile: name, email and the address checkout starts from; and signing out.
import { h, replace, field, setFieldError } from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import * as bag from '../bag.js';
import * as notice from '../notice.js';
import * as router from '../router.js';
import { errorBox, loading, requireSignIn } from './common.js';

export async function account(main) {
  if (!requireSignIn()) return;
  const section = h('section', { class: 'page narrow' }, h('h1', {}, 'Your account'), loading('Loading your profile…'));
  main.append(section);
  let me;
  try {
    me = await api.get('/api/users/me');
  } catch (e) {
    if (e.kind === 'expired') return;
    replace(section, h('h1', {}, 'Your account'), errorBox(e.message, () => router.render()));
    return;
  }
  const address = me.address ?? {};
  const f = {
    name: field({ label: 'Full name', name: 'name', value: me.name ?? '', required: true, autocomplete: 'name' }),
    email: field({ label: 'Email', name: 'email', type: 'email', value: me.email ?? '', required: true, autocomplete: 'email' }),
    line1: field({ label: 'Address', name: 'address.line1', value: address.line1 ?? '', autocomplete: 'address-line1' }),
    line2: field({ label: 'Apartment, suite, etc.', name: 'address.line2', value: address.line2 ?? '', autocomplete: 'address-line2' }),
    city: field({ label: 'City', name: 'address.city', value: address.city ?? '', autocomplete: 'address-level2' }),
    postcode: field({ label: 'Postcode', name: 'address.postcode', value: address.postcode ?? '', autocomplete: 'postal-code' }),
    country: field({ label: 'Country', name: 'address.country', value: address.country ?? '', autocomplete: 'country-name' }),
  };
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const saved = h('p', { class: 'form-success', role: 'status' });
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Save changes');

  const form = h('form', { class: 'stack', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    formError.textContent = '';
    saved.textContent = '';
    setFieldError(form);
    const body = {
      name: f.name.input.value.trim(),
      email: f.email.input.value.trim(),
      address: {
        line1: f.line1.input.value.trim(), line2: f.line2.input.value.trim(), city: f.city.input.value.trim(),
        postcode: f.postcode.input.value.trim(), country: f.country.input.value.trim(),
      },
    };
    if (!body.name) return setFieldError(form, 'name', 'Please enter your name.');
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(body.email)) return setFieldError(form, 'email', 'Please enter an email address like name@example.com.');
    submit.disabled = true;
    try {
      const updated = await api.put('/api/users/me', body);
      session.update({ name: updated.name, email: updated.email });
      saved.textContent = 'Your changes are saved.';
    } catch (err) {
      if (err.kind === 'expired') return;
      if (err.status === 409) setFieldError(form, 'email', 'Another account already uses this email.');
      else if (err.field) setFieldError(form, err.field, err.message);
      else formError.textContent = err.message;
    } finally {
      submit.disabled = false;
    }
  } },
  h('fieldset', { class: 'card-panel' }, h('legend', {}, 'Profile'), f.name.wrap, f.email.wrap),
  h('fieldset', { class: 'card-panel' }, h('legend', {}, 'Delivery address'),
    h('p', { class: 'muted small' }, 'Checkout starts from this address.'),
    f.line1.wrap, f.line2.wrap, h('div', { class: 'field-row' }, f.city.wrap, f.postcode.wrap), f.country.wrap),
  formError, saved,
  h('div', { class: 'actions' }, submit, h('a', { class: 'button button-secondary', href: '/orders' }, 'Your orders')));

  replace(section,
    h('div', { class: 'page-header' },
      h('h1', {}, 'Your account'),
      h('button', { type: 'button', class: 'button button-secondary', id: 'sign-out', onclick: () => {
        session.end();
        bag.set(null);
        notice.announce('You are signed out.');
        router.navigate('/');
      } }, 'Sign out')),
    h('p', { class: 'muted' }, `Signed in as ${me.email}`),
    form);
}
