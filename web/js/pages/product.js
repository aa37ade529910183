// One product: pick a colour (the picture follows) and a size, see what is in stock, add the
// SKU to the bag. Someone not signed in is asked to sign in first; the add happens right after.
import { h, replace } from '../dom.js';
import { money, swatch, colourCode, imageFor } from '../format.js';
import * as api from '../api.js';
import * as bag from '../bag.js';
import * as session from '../session.js';
import * as notice from '../notice.js';
import * as router from '../router.js';
import { errorBox, loading } from './common.js';

const sizeOrder = ['XS', 'S', 'M', 'L', 'XL', 'XXL'];

export async function product(main, { params, query }) {
  main.append(loading('Loading…'));
  let p;
  try {
    p = await api.get(`/api/catalog/products/${encodeURIComponent(params.id)}`);
  } catch (e) {
    if (e.status === 404) {
      replace(main, h('section', { class: 'page narrow' },
        h('h1', {}, 'Product not found'),
        h('p', {}, "We couldn't find that t-shirt. It may no longer be in our range."),
        h('a', { class: 'button', href: '/' }, 'Back to the shop')));
    } else {
      replace(main, h('section', { class: 'page narrow' }, h('h1', {}, 'Product'), errorBox(e.message, () => router.render())));
    }
    return;
  }

  const colours = [];
  for (const s of p.skus) {
    if (!colours.some((c) => c.name === s.colour)) {
      colours.push({ name: s.colour, code: colourCode(s.sku, p.product_id, s.size) });
    }
  }
  const sizes = [...new Set(p.skus.map((s) => s.size))]
    .sort((a, b) => sizeOrder.indexOf(a) - sizeOrder.indexOf(b));
  const state = {
    colour: colours.find((c) => c.code === query.colour) ?? colours[0],
    size: sizes.includes(query.size) ? query.size : '',
  };
  const skuFor = () => p.skus.find((s) => s.colour === state.colour?.name && s.size === state.size);

  const image = h('img', { class: 'product-image', width: 600, height: 600, alt: '' });
  const colourName = h('span', { class: 'chosen' });
  const colourOptions = h('div', { class: 'swatch-options swatch-options-lg' });
  const sizeOptions = h('div', { class: 'size-options' });
  const availability = h('p', { class: 'availability', id: 'availability', 'aria-live': 'polite' });
  const addButton = h('button', { type: 'submit', class: 'button button-primary button-wide', id: 'add-to-bag' }, 'Add to bag');
  const addedNote = h('div', { class: 'added-note', role: 'status' });
  const formError = h('p', { class: 'form-error', role: 'alert' });

  function update() {
    // The option groups are drawn again; keep keyboard focus on the option that had it.
    const focused = document.activeElement;
    const refocus = focused?.type === 'radio' && main.contains(focused) ? [focused.name, focused.value] : null;
    draw();
    if (refocus) main.querySelector(`input[name="${refocus[0]}"][value="${CSS.escape(refocus[1])}"]`)?.focus();
  }

  function draw() {
    image.src = imageFor(p.product_id, state.colour.code);
    image.alt = `${p.name} in ${state.colour.name}`;
    colourName.textContent = state.colour.name;
    router.setQuery({ colour: state.colour.code, size: state.size });

    replace(colourOptions, colours.map((c) => h('label', { class: 'swatch-option' },
      h('input', { type: 'radio', name: 'colour', value: c.code, checked: c === state.colour,
        onchange: () => { state.colour = c; update(); } }),
      h('span', { class: 'swatch swatch-lg', style: `--swatch: ${swatch(c.name)}`, 'aria-hidden': 'true' }),
      h('span', { class: 'visually-hidden' }, c.name))));

    replace(sizeOptions, sizes.map((size) => {
      const sku = p.skus.find((s) => s.colour === state.colour.name && s.size === size);
      const soldOut = !sku || sku.available <= 0;
      return h('label', { class: `size-option${soldOut ? ' sold-out' : ''}` },
        h('input', { type: 'radio', name: 'size', value: size, checked: state.size === size,
          onchange: () => { state.size = size; formError.textContent = ''; update(); } }),
        h('span', {}, size),
        soldOut ? h('span', { class: 'visually-hidden' }, ' (out of stock)') : null);
    }));

    const sku = skuFor();
    availability.className = 'availability';
    if (!state.size) {
      const left = p.skus.filter((s) => s.colour === state.colour.name && s.available > 0).length;
      availability.textContent = left === 0 ? `Out of stock in ${state.colour.name}` : 'Choose a size';
      if (left === 0) availability.classList.add('is-out');
    } else if (!sku || sku.available <= 0) {
      availability.textContent = `Out of stock in ${state.colour.name}, size ${state.size}`;
      availability.classList.add('is-out');
    } else if (sku.available <= 5) {
      availability.textContent = `Only ${sku.available} left in ${state.colour.name}, size ${state.size}`;
      availability.classList.add('is-low');
    } else {
      availability.textContent = `In stock · ready to ship`;
      availability.classList.add('is-in');
    }
    const colourSoldOut = !p.skus.some((s) => s.colour === state.colour.name && s.available > 0);
    addButton.disabled = colourSoldOut || (Boolean(state.size) && (!sku || sku.available <= 0));
  }

  async function addToBag(e) {
    e.preventDefault();
    formError.textContent = '';
    const sku = skuFor();
    if (!state.size || !sku) {
      formError.textContent = 'Please choose a size.';
      sizeOptions.querySelector('input:not(:disabled)')?.focus();
      return;
    }
    if (!session.signedIn()) {
      bag.rememberAdd({ sku: sku.sku, label: `${p.name}, ${state.colour.name}, ${state.size}` });
      session.flash('Sign in or create an account to add items to your bag.');
      router.navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
      return;
    }
    addButton.disabled = true;
    addButton.textContent = 'Adding…';
    try {
      await bag.add(sku.sku, 1);
      const label = `${p.name}, ${state.colour.name}, size ${state.size}`;
      notice.announce(`Added ${label} to your bag`);
      replace(addedNote,
        h('p', {}, h('strong', {}, 'Added to your bag: '), label),
        h('a', { href: '/cart', class: 'button button-secondary' }, 'View bag and check out'));
    } catch (err) {
      if (err.status === 404) formError.textContent = 'Sorry, this size and colour is no longer sold.';
      else if (err.kind !== 'expired') formError.textContent = err.message;
    } finally {
      addButton.textContent = 'Add to bag';
      update();
    }
  }

  replace(main, h('article', { class: 'page product-page' },
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' },
      h('ol', {}, h('li', {}, h('a', { href: '/' }, 'Shop')), h('li', { 'aria-current': 'page' }, p.name))),
    h('div', { class: 'product-layout' },
      h('div', { class: 'product-media' }, image),
      h('div', { class: 'product-info' },
        h('h1', {}, p.name),
        h('p', { class: 'product-price' }, money(p.price_cents, p.currency)),
        h('p', { class: 'product-description' }, p.description),
        h('form', { class: 'buy-form', onsubmit: addToBag, novalidate: true },
          h('fieldset', {},
            h('legend', {}, 'Colour: ', colourName),
            colourOptions),
          h('fieldset', {},
            h('legend', {}, 'Size'),
            sizeOptions),
          availability,
          formError,
          addButton,
          addedNote),
        h('ul', { class: 'perks' },
          h('li', {}, 'Free shipping, tracked live'),
          h('li', {}, 'Free returns within 30 days'),
          h('li', {}, '100% organic cotton'))))));
  update();
}
