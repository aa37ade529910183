// The storefront: routes, the header's session and bag state, live updates, and what happens
// when the session ends or the network goes away. Pages live in js/pages/.
import * as router from './js/router.js';
import * as session from './js/session.js';
import * as api from './js/api.js';
import * as live from './js/live.js';
import * as bag from './js/bag.js';
import * as notice from './js/notice.js';
import { catalogue } from './js/pages/catalogue.js';
import { product } from './js/pages/product.js';
import { cart } from './js/pages/cart.js';
import { checkout } from './js/pages/checkout.js';
import { login, signup } from './js/pages/auth.js';
import { account } from './js/pages/account.js';
import { orders } from './js/pages/orders.js';
import { order } from './js/pages/order.js';
import { notFound } from './js/pages/not-found.js';

router.route('/', catalogue);
router.route('/products/:id', product);
router.route('/cart', cart);
router.route('/checkout', checkout);
router.route('/login', login);
router.route('/signup', signup);
router.route('/account', account);
router.route('/orders', orders);
router.route('/orders/:id', order);
router.route('/.*', notFound);

// An ended session: say so on the sign-in page, and come back here afterwards.
// Several requests in flight may fail together; the first one decides what the page says.
api.onSessionExpired((message) => {
  if (location.pathname === '/login') return;
  session.flash(message);
  const here = location.pathname + location.search;
  const next = here.startsWith('/login') || here.startsWith('/signup') ? '/' : here;
  router.navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true });
});

function showSession(s) {
  const signedIn = Boolean(s) && !session.expired();
  for (const el of document.querySelectorAll('[data-when]')) {
    el.hidden = (el.dataset.when === 'signed-in') !== signedIn;
  }
  const link = document.getElementById('account-link');
  link.textContent = signedIn && s.name ? s.name.split(' ')[0] : 'Account';
  link.setAttribute('aria-label', signedIn ? `Your account${s.name ? `, ${s.name}` : ''}` : 'Account');
}

function showBag(c) {
  const n = bag.count(c);
  const badge = document.getElementById('bag-count');
  badge.textContent = String(n);
  badge.hidden = n === 0;
  document.getElementById('bag-count-label').textContent = n === 1 ? '1 item' : `${n} items`;
}

function markCurrentNav() {
  const path = location.pathname;
  for (const a of document.querySelectorAll('.site-nav a')) {
    const href = a.getAttribute('href');
    const current = href === '/' ? path === '/' || path.startsWith('/products/') : path.startsWith(href);
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function showConnectivity() {
  document.getElementById('offline-banner').hidden = navigator.onLine;
}

document.getElementById('error-close').addEventListener('click', () => {
  notice.clearError();
  document.getElementById('main').focus();
});
document.addEventListener('velocity:rendered', () => {
  notice.clearError();
  notice.hideToast();
  markCurrentNav();
});
window.addEventListener('online', () => {
  showConnectivity();
  bag.refresh();
});
window.addEventListener('offline', showConnectivity);

session.onChange(showSession);
showSession(session.current());
showConnectivity();
if (session.expired()) api.sessionExpired();
bag.onChange(showBag);
live.start();
bag.start();
router.start();
