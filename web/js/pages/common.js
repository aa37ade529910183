// Pieces several pages share: headings, loading and empty states, error boxes, guards.
import { h } from '../dom.js';
import * as session from '../session.js';
import * as api from '../api.js';
import * as notice from '../notice.js';

export function pageHeader(title, ...extra) {
  return h('div', { class: 'page-header' }, h('h1', {}, title), ...extra);
}

export function loading(label = 'Loading…') {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), label);
}

export function emptyState(title, text, action) {
  return h('div', { class: 'empty-state' }, h('h2', {}, title), h('p', {}, text), action);
}

// An inline message box for a failure on this page (an alert, so it is announced).
export function errorBox(message, retry) {
  return h('div', { class: 'error-box', role: 'alert' },
    h('p', {}, message),
    retry ? h('button', { type: 'button', class: 'button button-secondary', onclick: retry }, 'Try again') : null);
}

// Errors a page cannot handle itself: an expired session has already sent the customer to
// sign in; anything else shows in the banner.
export function report(error) {
  if (error?.kind === 'expired') return;
  console.error(error);
  notice.showError(error?.message ?? api.messages.server);
}

// Pages for signed-in customers send everyone else to sign in, and back here afterwards.
export function requireSignIn() {
  if (session.signedIn()) return true;
  api.sessionExpired();
  return false;
}
