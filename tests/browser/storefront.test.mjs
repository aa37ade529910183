// The storefront end to end, in a real browser against the running system.
//
//   VELOCITY_STOREFRONT_URL=http://127.0.0.1:8080 node --test tests/browser/storefront.test.mjs
//
// A customer signs up, searches, puts two sizes of a t-shirt in the bag, checks out and watches
// the order page reach Delivered without reloading it; a declined card ends in Cancelled with
// the payment's reason; a second customer cannot open the first one's order. Screenshots of
// every step go to VELOCITY_ARTIFACTS_DIR (default tests/browser/artifacts).
//
// The browser is Debian's chromium (VELOCITY_CHROMIUM, default /usr/bin/chromium) driven by
// playwright-core; nothing is downloaded. Waits poll the page up to a deadline, never sleep.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const here = path.dirname(fileURLToPath(import.meta.url));
const baseUrl = (process.env.VELOCITY_STOREFRONT_URL ?? '').replace(/\/+$/, '');
const artifacts = path.resolve(process.env.VELOCITY_ARTIFACTS_DIR ?? path.join(here, 'artifacts'));
const chromiumPath = process.env.VELOCITY_CHROMIUM ?? '/usr/bin/chromium';
// How long an order may take to travel the whole saga; the shipping delays of the system under
// test must fit in it.
const orderDeadlineMs = Number(process.env.VELOCITY_ORDER_DEADLINE_MS ?? 120000);
const launchArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const browsers = [];
const scriptErrors = [];
let shotCount = 0;
const first = { email: `ada.${run}@example.com`, password: 'correct horse battery', name: 'Ada Lovelace', orderUrl: null };

async function openBrowser() {
  const profile = mkdtempSync(path.join(tmpdir(), 'velocity-browser-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: launchArgs,
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
  });
  browsers.push({ context, profile });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(30000);
  page.on('pageerror', (e) => scriptErrors.push(`${page.url()}: ${e.message}`));
  return page;
}

async function shot(page, name) {
  const file = path.join(artifacts, `${String(++shotCount).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// Runs a test body; on failure keeps a screenshot of where it stopped.
async function withFailureShot(page, name, body) {
  try {
    await body();
  } catch (e) {
    await shot(page, `FAILED-${name}`).catch(() => {});
    throw e;
  }
}

// Every visible form control has a name a screen reader can announce.
async function assertLabelled(page) {
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden' && el.getClientRects().length > 0)
    .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map((el) => el.name || el.id || el.outerHTML));
  assert.deepEqual(unlabelled, [], `form controls without a label on ${page.url()}`);
}

// axe-core's WCAG 2 A/AA rules (contrast, names, roles, landmarks) find nothing serious.
async function assertAccessible(page, what) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
  });
  assert.deepEqual(violations, [], `accessibility problems on the ${what}`);
}

async function signUp(page, { name, email, password }) {
  await page.goto(`${baseUrl}/`);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  await assertLabelled(page);
  await page.getByLabel('Full name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.locator('#account-link').filter({ hasText: name.split(' ')[0] }).waitFor();
}

async function bagCount(page) {
  const badge = page.locator('#bag-count');
  return (await badge.isVisible()) ? Number(await badge.textContent()) : 0;
}

async function waitForBagCount(page, n) {
  await page.waitForFunction((want) => {
    const badge = document.getElementById('bag-count');
    return (badge.hidden ? 0 : Number(badge.textContent)) === want;
  }, n);
}

async function addToBag(page, size) {
  await page.getByRole('radio', { name: size, exact: true }).check();
  const before = await bagCount(page);
  await page.getByRole('button', { name: 'Add to bag' }).click();
  await waitForBagCount(page, before + 1);
}

async function checkOut(page, cardNumber) {
  await page.getByRole('heading', { name: 'Checkout' }).waitFor();
  await page.getByLabel('Card number').waitFor();
  await assertLabelled(page);
  const fill = async (label, value) => {
    const input = page.getByLabel(label, { exact: true });
    if (!(await input.inputValue())) await input.fill(value);
  };
  await fill('Address', '12 Analytical Row');
  await fill('City', 'London');
  await fill('Postcode', 'N1 9GU');
  await fill('Country', 'United Kingdom');
  await page.getByLabel('Card number').fill(cardNumber);
  await page.getByLabel('Name on card').fill(first.name);
}

async function placeOrder(page) {
  await page.getByRole('button', { name: /^Place order/ }).click();
  await page.waitForURL(/\/orders\/[^/?]+/);
  await page.getByRole('heading', { name: /^Order / }).waitFor();
  // A flag that survives only as long as the document does: a reload would drop it.
  await page.evaluate(() => { window.velocityNoReload = true; });
}

before(() => {
  assert.ok(baseUrl, 'VELOCITY_STOREFRONT_URL must name the storefront, e.g. http://127.0.0.1:8080');
  assert.ok(existsSync(chromiumPath), `no browser at ${chromiumPath}: install Debian's chromium (scripts/setup does)`);
  mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  for (const { context, profile } of browsers) {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
});

test('a customer signs up, buys two sizes and watches the order reach Delivered without a reload', { timeout: orderDeadlineMs + 120000 }, async () => {
  const page = await openBrowser();
  await withFailureShot(page, 'purchase', async () => {
    await page.goto(`${baseUrl}/`);
    await page.getByRole('heading', { name: 'T-shirts made to be worn' }).waitFor();
    await page.locator('.product-card').first().waitFor();
    await page.locator('.product-card img').first().evaluate((img) => img.decode());
    await assertAccessible(page, 'catalogue');
    await shot(page, 'catalogue');

    await signUp(page, first);
    await shot(page, 'signed-up');

    await page.getByLabel('Search t-shirts').fill('crew');
    await page.locator('.result-count', { hasText: '“crew”' }).waitFor();
    const titles = await page.locator('.product-card .card-title').allTextContents();
    assert.ok(titles.includes('Classic Crew Tee'), `search for "crew" found ${JSON.stringify(titles)}`);
    assert.ok(!titles.includes("Kids' Dino Tee"), `search for "crew" also found ${JSON.stringify(titles)}`);
    await shot(page, 'search-crew');

    await page.getByRole('link', { name: /Classic Crew Tee/ }).click();
    await page.getByRole('heading', { name: 'Classic Crew Tee' }).waitFor();
    const black = await page.locator('.product-image').getAttribute('src');
    await page.getByRole('radio', { name: 'Navy' }).check();
    await page.waitForFunction(() => document.querySelector('.product-image').src.endsWith('-nvy.svg'));
    await page.getByRole('radio', { name: 'Black' }).check();
    await page.waitForFunction((src) => document.querySelector('.product-image').getAttribute('src') === src, black);
    await addToBag(page, 'M');
    await addToBag(page, 'L');
    await assertAccessible(page, 'product page');
    await shot(page, 'product-added');

    await page.getByRole('link', { name: /Bag/ }).click();
    await page.getByRole('heading', { name: 'Your bag' }).waitFor();
    await page.locator('.cart-line').nth(1).waitFor();
    assert.equal(await page.locator('.cart-line').count(), 2);
    assert.equal((await page.locator('#cart-total').textContent()).trim(), '€50.00');
    await assertAccessible(page, 'bag');
    await shot(page, 'bag');

    await page.getByRole('link', { name: 'Check out' }).click();
    await checkOut(page, '4242 4242 4242 4242');
    await assertAccessible(page, 'checkout');
    await shot(page, 'checkout');
    await placeOrder(page);
    first.orderUrl = new URL(page.url()).pathname;
    await shot(page, 'order-placed');

    await page.waitForFunction(() => ['Delivered'].includes(document.getElementById('order-status')?.textContent),
      null, { timeout: orderDeadlineMs });
    assert.equal(await page.evaluate(() => window.velocityNoReload), true, 'the order page was reloaded');
    assert.equal(await page.locator('.timeline .step-done').count(), 5, 'every step of the timeline is done');
    await assertAccessible(page, 'order page');
    await shot(page, 'order-delivered');
  });
});

test('a declined card ends in Cancelled with the reason from payments', { timeout: orderDeadlineMs + 60000 }, async () => {
  const page = browsers[0] ? browsers[0].context.pages()[0] : await openBrowser();
  await withFailureShot(page, 'declined', async () => {
    await page.goto(`${baseUrl}/products/tee-pocket`);
    await page.getByRole('heading', { name: 'Pocket Tee' }).waitFor();
    await addToBag(page, 'S');
    await page.goto(`${baseUrl}/checkout`);
    await checkOut(page, '4000 0000 0000 0002');
    await placeOrder(page);
    await page.waitForFunction(() => document.getElementById('order-status')?.textContent === 'Cancelled',
      null, { timeout: orderDeadlineMs });
    assert.equal(await page.evaluate(() => window.velocityNoReload), true, 'the order page was reloaded');
    const reason = (await page.locator('#cancel-reason').textContent()).trim();
    assert.match(reason, /declined/i);
    await assertAccessible(page, 'cancelled order page');
    await shot(page, 'order-declined');
  });
});

test('an ended session sends the customer to sign in, and back to where they were', { timeout: 120000 }, async () => {
  const page = browsers[0].context.pages()[0];
  await withFailureShot(page, 'session-ended', async () => {
    // A token the gateway no longer accepts, as after it expired or its key changed.
    await page.evaluate(() => {
      const key = 'velocity.session';
      const s = JSON.parse(localStorage.getItem(key));
      localStorage.setItem(key, JSON.stringify({ ...s, token: `${s.token.slice(0, -4)}AAAA` }));
    });
    await page.goto(`${baseUrl}/orders`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'Your session has expired, please sign in again' }).waitFor();
    await shot(page, 'session-expired');
    await page.getByLabel('Email').fill(first.email);
    await page.getByLabel('Password').fill(first.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your orders' }).waitFor();
    await page.locator('.order-row').nth(1).waitFor();
    assert.equal(await page.locator('.order-row').count(), 2, 'both orders are listed');
    await shot(page, 'orders-after-sign-in');
  });
});

test("a second customer cannot open the first customer's order", { timeout: 120000 }, async () => {
  assert.ok(first.orderUrl, 'the first customer placed an order');
  const page = await openBrowser();
  await withFailureShot(page, 'other-customer', async () => {
    await signUp(page, { name: 'Grace Hopper', email: `grace.${run}@example.com`, password: 'another good password' });
    await page.goto(`${baseUrl}${first.orderUrl}`);
    await page.getByRole('heading', { name: 'Order not found' }).waitFor();
    assert.match(await page.locator('main').textContent(), /couldn't find this order/);
    assert.equal(await page.locator('.order-lines').count(), 0, 'no order lines are shown');
    await shot(page, 'other-customer-not-found');
  });
});

test('the storefront raised no script errors', () => {
  assert.deepEqual(scriptErrors, []);
});
