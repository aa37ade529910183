// Client-side routing with the history API: the gateway answers every non-/api path with
// index.html, so /products/tee-classic or /orders/<id> can be opened, bookmarked and reloaded.
// A page is `async (main, {params, query}) => cleanup?`; the cleanup runs before the next page.

const routes = [];
let cleanup = null;
let renderCount = 0;

export function route(pattern, page) {
  const names = [];
  const regex = new RegExp('^' + pattern.replace(/:([a-z_]+)/g, (_, n) => {
    names.push(n);
    return '([^/]+)';
  }) + '/?$');
  routes.push({ regex, names, page });
}

export function navigate(href, { replace = false } = {}) {
  const url = new URL(href, location.origin);
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  return render();
}

// Updates the query string of the current page without rendering it again.
export function setQuery(query) {
  const url = new URL(location.href);
  url.search = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '' && v != null)).toString();
  history.replaceState(null, '', url);
}

export async function render() {
  const main = document.getElementById('main');
  const path = decodeURIComponent(location.pathname);
  const query = Object.fromEntries(new URLSearchParams(location.search));
  const mine = ++renderCount;
  if (cleanup) {
    try { cleanup(); } catch (e) { console.error(e); }
    cleanup = null;
  }
  for (const r of routes) {
    const m = r.regex.exec(path);
    if (!m) continue;
    const params = Object.fromEntries(r.names.map((n, i) => [n, m[i + 1]]));
    main.replaceChildren();
    main.setAttribute('aria-busy', 'true');
    const result = await r.page(main, { params, query, isCurrent: () => mine === renderCount });
    if (mine !== renderCount) {
      if (typeof result === 'function') result();
      return;
    }
    cleanup = typeof result === 'function' ? result : null;
    main.removeAttribute('aria-busy');
    focusHeading(main, { move: mine > 1 });
    document.dispatchEvent(new CustomEvent('velocity:rendered', { detail: { path } }));
    return;
  }
}

// Moves focus to the new page's heading, so keyboard and screen-reader users start there.
// The first page of a visit keeps the browser's own starting point.
function focusHeading(main, { move }) {
  const heading = main.querySelector('h1');
  if (!heading) return;
  document.title = `${heading.textContent} · Velocity`;
  if (!move) return;
  heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: true });
}

export function start() {
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target.closest('a[href]');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/images/')) return;
    e.preventDefault();
    if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
    navigate(url.pathname + url.search);
    window.scrollTo(0, 0);
  });
  window.addEventListener('popstate', () => render());
  return render();
}
