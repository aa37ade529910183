// Building DOM nodes without a framework: h('button', {class: 'x', onclick}, 'text', child).
// Strings become text nodes, so nothing a customer or the API sends is ever parsed as HTML.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value' || key === 'checked' || key === 'selected') {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// A labelled form field: label, input, hint and an error slot tied to it for screen readers.
let fieldCount = 0;
export function field({ label, name, type = 'text', value = '', hint, required = false, autocomplete, inputmode,
  attrs = {} }) {
  const id = `f-${name.replace(/[^a-z0-9]/gi, '-')}-${++fieldCount}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = `${id}-error`;
  const input = h('input', {
    id, name, type, value, required, autocomplete, inputmode,
    'aria-describedby': [hintId, errorId].filter(Boolean).join(' '), ...attrs,
  });
  const error = h('p', { class: 'field-error', id: errorId, hidden: true });
  const wrap = h('div', { class: 'field' },
    h('label', { for: id }, label, required ? null : h('span', { class: 'optional' }, ' (optional)')),
    input,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    error);
  return { wrap, input, error };
}

// Shows `message` under the named field (or clears every field error when message is empty).
export function setFieldError(form, name, message) {
  for (const input of form.querySelectorAll('input, select, textarea')) {
    const slot = document.getElementById(`${input.id}-error`);
    if (!slot) continue;
    const match = name && input.name === name;
    if (match && message) {
      slot.textContent = message;
      slot.hidden = false;
      input.setAttribute('aria-invalid', 'true');
    } else if (!name || match) {
      slot.textContent = '';
      slot.hidden = true;
      input.removeAttribute('aria-invalid');
    }
  }
  if (name && message) form.querySelector(`[name="${CSS.escape(name)}"]`)?.focus();
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// A static icon written in this code base (never data from the API) as an SVG element.
export function icon(markup) {
  const t = document.createElement('template');
  t.innerHTML = markup.trim();
  const el = t.content.firstElementChild;
  el.setAttribute('aria-hidden', 'true');
  el.setAttribute('focusable', 'false');
  return el;
}

export const icons = {
  search: '<svg viewBox="0 0 24 24"><circle cx="11" cy="11" r="6.5" fill="none" stroke="currentColor" stroke-width="2"/><path d="m16 16 4.5 4.5" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>',
  check: '<svg viewBox="0 0 24 24"><path d="m5 12.5 4.5 4.5L19 7.5" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  cross: '<svg viewBox="0 0 24 24"><path d="M7 7l10 10M17 7 7 17" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round"/></svg>',
  truck: '<svg viewBox="0 0 24 24"><path d="M3 6h11v9H3zM14 9h4l3 3v3h-7z" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round"/><circle cx="7" cy="17" r="2" fill="currentColor"/><circle cx="17" cy="17" r="2" fill="currentColor"/></svg>',
  minus: '<svg viewBox="0 0 24 24"><path d="M6 12h12" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>',
  plus: '<svg viewBox="0 0 24 24"><path d="M6 12h12M12 6v12" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>',
};
