// In a real browser (Debian's Chromium driven by playwright-core), against the app on a real
// socket: sign in, see the balance, switch every tab through htmx (fragment swap, pushed URL,
// aria-current), load a tab URL directly, and sign out. No console error or CSP violation may
// happen on the way.
import type { Page } from 'playwright-core';
import { buildTestApp, createTenant, PASSWORD } from '../helper.js';
import { browse, browserTest, pathname } from './browser.js';

/** Tab label in nav#tabs, its URL, and the <h1> its page shows. */
const TABS: [label: string, path: string, heading: string][] = [
  ['Create', '/create', 'Create'],
  ['Reporting', '/reporting', 'Reporting'],
  ['Inbound SMS', '/inbound', 'Unsubscribed using STOP keyword'],
  ['Contacts', '/contacts', 'Contacts'],
  ['Automation', '/automation', 'Automation'],
  ['Settings', '/settings', 'Settings'],
  ['Dashboard', '/dashboard', 'Dashboard'],
];

declare global {
  interface Window {
    __marker?: number;
  }
}

const heading = (page: Page) => page.locator('main#main h1').first().textContent();

browserTest('a user signs in and switches tabs in a real browser', async (t) => {
    const { app, orm } = await buildTestApp(t);
    const { owner, account } = await createTenant(orm, 'Browser Bakery');
    const { page, context, problems } = await browse(t, app);

    // Sign in through the form, as a person would.
    await page.goto('/login');
    t.equal(await page.title(), 'Sign in · Textcast');
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL('**/dashboard'), page.getByRole('button', { name: 'Sign in' }).click()]);
    t.equal(pathname(page), '/dashboard', 'lands on the dashboard');
    t.equal(await heading(page), 'Dashboard');
    t.match(await page.locator('#balance').textContent(), /Credit/, 'the header shows the credit balance');
    t.match(await page.locator('header').textContent(), account.name, 'the header shows the account');
    t.equal(await page.evaluate(() => typeof (window as unknown as { htmx?: unknown }).htmx), 'object', 'htmx is loaded');

    // Every tab, through htmx: same document (the marker survives), new URL, new <main>, new
    // current tab.
    await page.evaluate(() => {
      window.__marker = 1;
    });
    let loads = 0;
    page.on('load', () => loads++);
    const tabs = page.locator('nav#tabs');
    for (const [label, path, expected] of TABS) {
      await tabs.getByRole('link', { name: label, exact: true }).click();
      await page.waitForURL((url) => url.pathname === path);
      await page.waitForFunction((text) => document.querySelector('main#main h1')?.textContent === text, expected);
      t.equal(pathname(page), path, `${label}: the URL is pushed`);
      t.equal(await heading(page), expected, `${label}: <main> shows the tab`);
      t.equal(await page.title(), `${expected} · Textcast`, `${label}: the document title follows`);
      t.equal(await page.locator('main#main').count(), 1, `${label}: exactly one <main id="main">`);
      t.equal(await page.locator('nav#tabs').count(), 1, `${label}: exactly one tab bar`);
      const current = tabs.locator('a[aria-current="page"]');
      t.equal(await current.count(), 1, `${label}: one current tab`);
      t.equal(await current.textContent(), label, `${label}: is the current tab`);
      t.equal(await page.evaluate(() => window.__marker), 1, `${label}: no full page load`);
      t.match(await page.locator('#balance').textContent(), /Credit/, `${label}: the header is still there`);
    }
    t.equal(loads, 0, 'no load event during the tab switches');

    // Back in history restores the previous tab.
    await page.goBack();
    await page.waitForURL((url) => url.pathname === '/settings');
    await page.waitForFunction(() => document.querySelector('main#main h1')?.textContent === 'Settings');
    t.equal(await tabs.locator('a[aria-current="page"]').textContent(), 'Settings', 'back: Settings is current again');
    t.equal(await page.evaluate(() => window.__marker), 1, 'back: restored by htmx, no full page load');
    t.equal(await page.title(), 'Settings · Textcast', 'back: the document title follows');
    t.equal(await page.locator('main#main').count(), 1, 'back: exactly one <main id="main">');
    t.equal(await page.locator('nav#tabs').count(), 1, 'back: exactly one tab bar');

    // A tab URL loaded directly renders the whole page.
    const response = await page.goto('/contacts');
    t.equal(response?.status(), 200);
    t.equal(await page.evaluate(() => window.__marker), undefined, 'a full page load');
    t.equal(await page.title(), 'Contacts · Textcast');
    t.equal(await heading(page), 'Contacts');
    t.match(await page.locator('#balance').textContent(), /Credit/);
    t.equal(await tabs.locator('a[aria-current="page"]').textContent(), 'Contacts');
    t.equal(await page.locator('html > body > main#main').count(), 1, 'inside the layout');

    // Sign out: back to the sign-in page, and the dashboard is closed.
    await Promise.all([page.waitForURL((url) => url.pathname === '/login'), page.getByRole('button', { name: 'Sign out' }).click()]);
    t.equal(pathname(page), '/login', 'signing out lands on /login');
    t.equal(await page.locator('#balance').count(), 0, 'no balance once signed out');
    await page.goto('/dashboard');
    t.equal(pathname(page), '/login', '/dashboard redirects to /login once signed out');
    t.equal(new URL(page.url()).searchParams.get('next'), '/dashboard');

    t.same(await problems(), [], 'no console error, page error or CSP violation');
    await context.close();
});
