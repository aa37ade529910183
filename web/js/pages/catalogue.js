// The catalogue: search as you type (debounced) and filter by size, colour, price and stock.
// The filters live in the query string, so a filtered page can be shared and reloaded.
import { h, replace, debounce, icon, icons } from '../dom.js';
import { money, swatch, plural } from '../format.js';
import * as api from '../api.js';
import * as router from '../router.js';
import { errorBox, loading } from './common.js';

const sizes = ['S', 'M', 'L', 'XL'];
const pageSize = 24;
let knownColours = null; // every colour in the catalogue, learnt once per visit

export async function catalogue(main, { query }) {
  const state = {
    q: query.q ?? '',
    size: query.size ?? '',
    colour: query.colour ?? '',
    min: query.min ?? '',
    max: query.max ?? '',
    in_stock: query.in_stock === '1',
  };
  let products = [];
  let total = 0;
  let sequence = 0;
  let left = false; // a debounced search may fire after the customer moved to another page

  const count = h('p', { class: 'result-count', role: 'status', 'aria-live': 'polite' });
  const grid = h('ul', { class: 'product-grid', 'aria-label': 'T-shirts' });
  const more = h('div', { class: 'load-more' });
  const results = h('div', { class: 'results-body' }, loading('Loading t-shirts…'));

  const search = h('input', {
    id: 'search', name: 'q', type: 'search', value: state.q, autocomplete: 'off',
    placeholder: 'Search by name, fit or colour', spellcheck: 'false',
  });
  search.addEventListener('input', debounce(() => { state.q = search.value.trim(); load(); }, 250));
  search.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); state.q = search.value.trim(); load(); } });

  const colourGroup = h('div', { class: 'swatch-options' });
  const filters = h('form', { class: 'filters', 'aria-label': 'Filters', onsubmit: (e) => e.preventDefault() },
    h('fieldset', {},
      h('legend', {}, 'Size'),
      h('div', { class: 'pill-options' },
        ['', ...sizes].map((s) => h('label', { class: 'pill' },
          h('input', { type: 'radio', name: 'size', value: s, checked: state.size === s,
            onchange: () => { state.size = s; load(); } }),
          h('span', {}, s || 'Any'))))),
    h('fieldset', {}, h('legend', {}, 'Colour'), colourGroup),
    h('fieldset', { class: 'price-range' },
      h('legend', {}, 'Price (€)'),
      priceInput('min', 'Minimum price in euros', 'Min'),
      h('span', { class: 'range-dash', 'aria-hidden': 'true' }, '–'),
      priceInput('max', 'Maximum price in euros', 'Max')),
    h('div', { class: 'check' },
      h('input', { id: 'in-stock', type: 'checkbox', name: 'in_stock', checked: state.in_stock,
        onchange: (e) => { state.in_stock = e.target.checked; load(); } }),
      h('label', { for: 'in-stock' }, 'In stock only')),
    h('button', { type: 'button', class: 'button button-link', onclick: clearFilters }, 'Clear filters'));

  function priceInput(key, label, placeholder) {
    const id = `price-${key}`;
    return h('span', { class: 'price-field' },
      h('label', { for: id, class: 'visually-hidden' }, label),
      h('input', { id, name: key, type: 'number', min: '0', step: '1', inputmode: 'numeric', placeholder,
        value: state[key], oninput: debounce((e) => { state[key] = e.target.value; load(); }, 400) }));
  }

  function renderColours() {
    const names = knownColours ?? [];
    replace(colourGroup, ['', ...names].map((c) => h('label', { class: c ? 'swatch-option' : 'pill' },
      h('input', { type: 'radio', name: 'colour', value: c, checked: state.colour === c,
        onchange: () => { state.colour = c; load(); } }),
      c ? h('span', { class: 'swatch', style: `--swatch: ${swatch(c)}`, 'aria-hidden': 'true' }) : null,
      h('span', { class: c ? 'swatch-name' : '' }, c || 'Any'))));
  }

  function clearFilters() {
    Object.assign(state, { size: '', colour: '', min: '', max: '', in_stock: false });
    for (const input of filters.querySelectorAll('input')) {
      if (input.type === 'radio') input.checked = input.value === '';
      else if (input.type === 'checkbox') input.checked = false;
      else input.value = '';
    }
    load();
  }

  function params(offset) {
    const p = new URLSearchParams();
    if (state.q) p.set('q', state.q);
    if (state.size) p.set('size', state.size);
    if (state.colour) p.set('colour', state.colour);
    const cents = (v) => String(Math.round(Number(v) * 100));
    if (state.min !== '' && Number(state.min) >= 0) p.set('min_price', cents(state.min));
    if (state.max !== '' && Number(state.max) >= 0) p.set('max_price', cents(state.max));
    if (state.in_stock) p.set('in_stock', '1');
    p.set('limit', String(pageSize));
    if (offset) p.set('offset', String(offset));
    return p;
  }

  async function load({ append = false } = {}) {
    if (left) return;
    const mine = ++sequence;
    router.setQuery({ q: state.q, size: state.size, colour: state.colour, min: state.min, max: state.max,
      in_stock: state.in_stock ? '1' : '' });
    results.setAttribute('aria-busy', 'true');
    try {
      const res = await api.get(`/api/catalog/products?${params(append ? products.length : 0)}`);
      if (mine !== sequence || left) return;
      products = append ? [...products, ...res.products] : res.products;
      total = res.total ?? products.length;
      show();
    } catch (e) {
      if (mine !== sequence) return;
      replace(results, errorBox(e.message, () => load()));
      count.textContent = '';
    } finally {
      if (mine === sequence) results.removeAttribute('aria-busy');
    }
  }

  function show() {
    count.textContent = total === 0 ? '' : `${plural(total, 't-shirt')}${state.q ? ` for “${state.q}”` : ''}`;
    if (products.length === 0) {
      replace(results, h('div', { class: 'empty-state' },
        h('h2', {}, 'No t-shirts match'),
        h('p', {}, state.q ? `Nothing found for “${state.q}”. Try another word or fewer filters.` : 'Try fewer filters.'),
        h('button', { type: 'button', class: 'button button-secondary', onclick: () => {
          search.value = ''; state.q = ''; clearFilters();
        } }, 'Show all t-shirts')));
      return;
    }
    replace(grid, products.map(card));
    replace(more, products.length < total
      ? h('button', { type: 'button', class: 'button button-secondary', onclick: () => load({ append: true }) },
        `Show more (${total - products.length} left)`)
      : null);
    replace(results, grid, more);
  }

  main.append(
    h('section', { class: 'hero' },
      h('div', { class: 'hero-text' },
        h('p', { class: 'eyebrow' }, 'New season essentials'),
        h('h1', {}, 'T-shirts made to be worn'),
        h('p', { class: 'lede' }, 'Organic cotton, honest prices, free shipping. Every order tracked live from our warehouse to your door.'))),
    h('div', { class: 'shop-layout' },
      h('aside', { class: 'sidebar' },
        h('details', { class: 'filter-panel', open: window.matchMedia('(min-width: 900px)').matches },
          h('summary', {}, 'Filters'), filters)),
      h('section', { class: 'results', 'aria-labelledby': 'results-heading' },
        h('h2', { id: 'results-heading', class: 'visually-hidden' }, 'Results'),
        h('div', { class: 'search-bar' },
          h('label', { for: 'search' }, 'Search t-shirts'),
          h('div', { class: 'search-input' },
            icon(icons.search),
            search)),
        count,
        results)));
  renderColours();
  if (!knownColours) {
    api.get('/api/catalog/products?limit=100', { auth: false }).then((res) => {
      knownColours = [...new Set(res.products.flatMap((p) => p.skus.map((s) => s.colour)))];
      renderColours();
    }).catch(() => {});
  }
  await load();
  return () => { left = true; };
}

function card(p) {
  const colours = [...new Set(p.skus.map((s) => s.colour))];
  const href = `/products/${encodeURIComponent(p.product_id)}`;
  return h('li', { class: 'product-card' },
    h('a', { href, class: 'card-link' },
      h('div', { class: 'card-image' },
        h('img', { src: p.image, alt: '', width: 600, height: 600, loading: 'lazy' }),
        p.in_stock === false ? h('span', { class: 'badge badge-muted' }, 'Out of stock') : null),
      h('div', { class: 'card-body' },
        h('h3', { class: 'card-title' }, p.name),
        h('p', { class: 'card-price' }, money(p.price_cents, p.currency)))),
    h('p', { class: 'card-colours' },
      h('span', { class: 'visually-hidden' }, `Colours: ${colours.join(', ')}`),
      colours.map((c) => h('span', { class: 'swatch swatch-sm', style: `--swatch: ${swatch(c)}`, title: c, 'aria-hidden': 'true' }))));
}
