// How money, dates and colours read in the shop.

const moneyFormats = new Map();
export function money(cents, currency = 'EUR') {
  if (!moneyFormats.has(currency)) {
    moneyFormats.set(currency, new Intl.NumberFormat('en-IE', { style: 'currency', currency }));
  }
  return moneyFormats.get(currency).format((cents ?? 0) / 100);
}

export function dateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function time(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function shortId(id) {
  return String(id ?? '').replace(/^ord[-_]?/i, '').slice(0, 8).toUpperCase();
}

// Swatch shades for the catalogue's colour names (the pictures use the same shades).
const swatches = {
  black: '#242428', white: '#fbfaf7', navy: '#233354', grey: '#a4a8ad', olive: '#6e7340', sand: '#d9c4a0',
  red: '#b83330', sky: '#8fc6e6', oat: '#e8dfcf', lime: '#b6d43a', green: '#3f8f5c', yellow: '#f3c432',
};
export function swatch(colourName) {
  return swatches[String(colourName).toLowerCase()] ?? '#cccccc';
}

// A SKU is "<product_id>-<size>-<colour code>"; its picture is /images/<product_id>-<code>.svg.
export function colourCode(sku, productId, size) {
  const prefix = `${productId}-${size}-`;
  if (sku.startsWith(prefix)) return sku.slice(prefix.length);
  return sku.slice(sku.lastIndexOf('-') + 1);
}

export function imageFor(productId, code) {
  return `/images/${productId}-${code}.svg`;
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}
