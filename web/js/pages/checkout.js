// Checkout: shipping address and card, then one POST /api/orders/checkout. Each attempt has its
// own Idempotency-Key; when the answer is lost (network down, a 5xx) the retry sends the same
// key and body, so the customer can press "Place order" again without buying twice. A definite
// answer (an order, or a 4xx saying what to fix) ends the attempt; the next one gets a new key.
import { h, replace, field, setFieldError } from '../dom.js';
import { money, plural } from '../format.js';
import * as api from '../api.js';
import * as bag from '../bag.js';
import * as session from '../session.js';
import * as router from '../router.js';
import { errorBox, emptyState, loading, requireSignIn } from './common.js';
import { lineImage } from './cart.js';

const attemptKey = 'velocity.checkout-attempt';

export const testCards = [
  { number: '4242 4242 4242 4242', result: 'Approved' },
  { number: '4000 0000 0000 0002', result: 'Declined: card declined' },
  { number: '4000 0000 0000 9995', result: 'Declined: insufficient funds' },
  { number: '4000 0000 0000 0069', result: 'Declined: card expired' },
];

function keyFor(payload) {
  const body = JSON.stringify(payload);
  let attempt = null;
  try {
    attempt = JSON.parse(sessionStorage.getItem(attemptKey) ?? 'null');
  } catch { /* a new attempt */ }
  if (!attempt || attempt.body !== body) {
    attempt = { key: api.newIdempotencyKey(), body };
    sessionStorage.setItem(attemptKey, JSON.stringify(attempt));
  }
  return attempt.key;
}

function endAttempt() {
  sessionStorage.removeItem(attemptKey);
}

export async function checkout(main) {
  if (!requireSignIn()) return;
  main.append(h('section', { class: 'page' }, h('h1', {}, 'Checkout'), loading('Loading your bag…')));
  let [cart, me] = await Promise.all([bag.refresh(), api.get('/api/users/me').catch(() => null)]);
  const section = main.querySelector('section');
  if (!session.signedIn()) return;
  if (!cart) {
    replace(section, h('h1', {}, 'Checkout'), errorBox("We couldn't load your bag. Check your connection and try again.", () => router.render()));
    return;
  }
  if (!cart.lines?.length) {
    replace(section, h('h1', {}, 'Checkout'), emptyState('Your bag is empty', 'Add a t-shirt to your bag, then come back to check out.',
      h('a', { class: 'button button-primary', href: '/' }, 'Start shopping')));
    return;
  }

  const address = me?.address ?? {};
  const f = {
    line1: field({ label: 'Address', name: 'ship_to.line1', value: address.line1 ?? '', required: true, autocomplete: 'address-line1' }),
    line2: field({ label: 'Apartment, suite, etc.', name: 'ship_to.line2', value: address.line2 ?? '', autocomplete: 'address-line2' }),
    city: field({ label: 'City', name: 'ship_to.city', value: address.city ?? '', required: true, autocomplete: 'address-level2' }),
    postcode: field({ label: 'Postcode', name: 'ship_to.postcode', value: address.postcode ?? '', required: true, autocomplete: 'postal-code' }),
    country: field({ label: 'Country', name: 'ship_to.country', value: address.country ?? '', required: true, autocomplete: 'country-name' }),
    number: field({ label: 'Card number', name: 'card.number', required: true, autocomplete: 'cc-number', inputmode: 'numeric',
      hint: 'Simulated payments: use a test card below.', attrs: { placeholder: '4242 4242 4242 4242', maxlength: 23 } }),
    holder: field({ label: 'Name on card', name: 'card.holder', value: me?.name ?? session.current()?.name ?? '', required: true, autocomplete: 'cc-name' }),
  };
  const hasAddress = Boolean(address.line1);
  const save = h('input', { id: 'save-address', type: 'checkbox', name: 'save_address', checked: !hasAddress });
  const formError = h('div', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'button button-primary button-wide', id: 'place-order' });
  const summaryBox = h('aside', { class: 'summary', 'aria-labelledby': 'order-summary-heading' });

  function drawSummary() {
    submit.textContent = `Place order · ${money(cart.total_cents, cart.currency)}`;
    replace(summaryBox,
      h('h2', { id: 'order-summary-heading' }, 'Your order'),
      h('ul', { class: 'summary-lines' }, cart.lines.map((line) => h('li', {},
        h('img', { src: lineImage(line), alt: '', width: 56, height: 56 }),
        h('span', { class: 'summary-line-name' }, line.name, h('span', { class: 'muted' }, `${line.colour} · ${line.size} · × ${line.quantity}`)),
        h('span', {}, money(line.line_total_cents, cart.currency))))),
      h('dl', {},
        h('div', {}, h('dt', {}, `Subtotal (${plural(bag.count(cart), 'item')})`), h('dd', {}, money(cart.total_cents, cart.currency))),
        h('div', {}, h('dt', {}, 'Shipping'), h('dd', {}, 'Free')),
        h('div', { class: 'total' }, h('dt', {}, 'Total'), h('dd', {}, money(cart.total_cents, cart.currency)))));
  }

  const cardsTable = h('details', { class: 'test-cards', open: true },
    h('summary', {}, 'Test cards'),
    h('p', { class: 'muted small' }, 'This shop takes no real payments. Any other card number of 12–19 digits is approved.'),
    h('table', {},
      h('caption', { class: 'visually-hidden' }, 'Test card numbers and what they do'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Card number'), h('th', { scope: 'col' }, 'Result'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Action')))),
      h('tbody', {}, testCards.map((c) => h('tr', {},
        h('td', { class: 'mono' }, c.number),
        h('td', {}, c.result),
        h('td', {}, h('button', { type: 'button', class: 'button button-link', 'aria-label': `Use card ${c.number}`,
          onclick: () => { f.number.input.value = c.number; f.number.input.focus(); } }, 'Use')))))));

  async function placeOrder(e) {
    e.preventDefault();
    formError.textContent = '';
    setFieldError(form);
    const ship_to = {
      line1: f.line1.input.value.trim(), line2: f.line2.input.value.trim(), city: f.city.input.value.trim(),
      postcode: f.postcode.input.value.trim(), country: f.country.input.value.trim(),
    };
    const digits = f.number.input.value.replace(/[\s-]/g, '');
    const holder = f.holder.input.value.trim();
    for (const [key, label] of [['line1', 'your address'], ['city', 'your city'], ['postcode', 'your postcode'], ['country', 'your country']]) {
      if (!ship_to[key]) return setFieldError(form, `ship_to.${key}`, `Please enter ${label}.`);
    }
    if (!/^\d{12,19}$/.test(digits)) return setFieldError(form, 'card.number', 'Please enter a card number of 12 to 19 digits.');
    if (!holder) return setFieldError(form, 'card.holder', 'Please enter the name on the card.');

    const payload = {
      lines: cart.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unit_price_cents: l.unit_price_cents })),
      card: { number: digits, holder },
      ship_to,
    };
    const key = keyFor(payload);
    submit.disabled = true;
    submit.textContent = 'Placing your order…';
    try {
      const order = await api.post('/api/orders/checkout', payload, { headers: { 'Idempotency-Key': key } });
      endAttempt();
      if (save.checked) api.put('/api/users/me', { address: ship_to }).catch(() => {});
      bag.refresh();
      await router.navigate(`/orders/${encodeURIComponent(order.order_id)}?placed=1`);
      return;
    } catch (err) {
      if (err.kind === 'expired') return;
      if (err.kind === 'network' || err.status >= 500) {
        // The order may or may not exist: keep the key, so trying again cannot buy twice.
        formError.textContent = `${err.message} Your order was not confirmed yet; press “Place order” again, you will not be charged twice.`;
      } else {
        endAttempt();
        await explain(err);
      }
    } finally {
      submit.disabled = false;
      drawSummary();
    }
  }

  async function explain(err) {
    const line = /^lines\[(\d+)\]/.exec(err.field ?? '');
    const item = line ? cart.lines[Number(line[1])] : null;
    if (err.status === 409) {
      cart = (await bag.refresh()) ?? cart;
      formError.textContent = `${item ? `The price of ${item.name} has changed` : 'A price has changed'} since you added it to your bag. ` +
        'Please check the new total, then place your order again.';
      if (!cart.lines?.length) router.render();
    } else if (err.field && form.querySelector(`[name="${CSS.escape(err.field)}"]`)) {
      setFieldError(form, err.field, err.message);
    } else if (item) {
      formError.textContent = `${item.name} (${item.colour}, ${item.size}): ${err.message}`;
    } else {
      formError.textContent = err.message;
    }
  }

  const form = h('form', { class: 'checkout-form', novalidate: true, onsubmit: placeOrder },
    h('fieldset', { class: 'card-panel' },
      h('legend', {}, h('span', { class: 'step-no', 'aria-hidden': 'true' }, '1'), 'Shipping address'),
      f.line1.wrap, f.line2.wrap,
      h('div', { class: 'field-row' }, f.city.wrap, f.postcode.wrap),
      f.country.wrap,
      h('div', { class: 'check' }, save, h('label', { for: 'save-address' }, 'Save this address to my account'))),
    h('fieldset', { class: 'card-panel' },
      h('legend', {}, h('span', { class: 'step-no', 'aria-hidden': 'true' }, '2'), 'Payment'),
      f.number.wrap, f.holder.wrap, cardsTable),
    formError,
    submit);

  drawSummary();
  replace(section, h('h1', {}, 'Checkout'), h('div', { class: 'checkout-layout' }, form, summaryBox));
}
