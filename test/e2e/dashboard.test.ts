// The Dashboard in a real browser, with a month of messages of every kind in several countries:
// its charts are drawn, choosing a range and a column swaps the page in place, nothing breaks the
// CSP or logs an error, and at 390 px the page does not scroll sideways. Takes README's
// screenshot (docs/dashboard.png, with UPDATE_SCREENSHOTS=1).
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTestApp, createTenant } from '../helper.js';
import { localNoon, sent, type Sent } from '../reporting/helpers.js';
import { browse, browserTest, signIn } from './browser.js';

// README's picture is refreshed on request (UPDATE_SCREENSHOTS=1); otherwise the screenshot is
// still taken (it must not fail) but kept out of the working tree.
const SCREENSHOT = process.env.UPDATE_SCREENSHOTS ? path.join(path.dirname(fileURLToPath(import.meta.url)), '../../docs/dashboard.png') : path.join(os.tmpdir(), `dashboard-${process.pid}.png`);

/** A month of sending: a batch campaign every few days, automated and transactional messages daily. */
function aMonthOfMessages(): Sent[] {
  const messages: Sent[] = [];
  const countries = ['FR', 'FR', 'DE', 'BE', 'ES', null];
  for (let daysAgo = 0; daysAgo < 28; daysAgo++) {
    const at = localNoon(daysAgo);
    const batch = daysAgo % 5 === 1 ? 12 + (daysAgo % 4) : 0;
    for (let i = 0; i < batch; i++) messages.push({ at, country: countries[i % countries.length], parts: 1 + (i % 2), cost: (1 + (i % 2)) * 50_000, status: i % 7 ? 'delivered' : 'undelivered' });
    for (let i = 0; i < 2 + (daysAgo % 3); i++) messages.push({ at, kind: 'automated', country: 'FR', cost: 50_000 });
    messages.push({ at, kind: 'transactional', country: 'DE', cost: 80_000, status: 'sent' });
  }
  return messages;
}

browserTest('the dashboard shows a month of usage, its charts and its table, on a desktop and a phone', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm, 'Flower Shop');
  await sent(orm, account, aMonthOfMessages());

  const { page, problems } = await browse(t, app);
  await page.setViewportSize({ width: 1200, height: 900 });
  await signIn(page, owner.email);
  t.match(await page.locator('[data-field="range"]').textContent(), / – /, 'the last 30 days by default');
  t.ok((await page.locator('#chart-messages svg rect').count()) > 20, 'the messages chart has its bars');
  t.ok((await page.locator('#chart-cost rect.chart-automated').count()) > 20, 'the cost chart has the automated bars');
  t.ok(await page.locator('tr[data-country="unknown"]').isVisible(), 'numbers of no known country are a line of the breakdown');
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  await page.getByText('The same figures as a table').click();
  t.ok(await page.locator('table.per-day').isVisible(), 'the figures per day open as a table');

  await page.getByLabel('Date range').selectOption('last7');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL('**/dashboard?*range=last7*');
  t.equal(await page.locator('main h1').textContent(), 'Dashboard');
  t.equal(await page.locator('#chart-messages svg').count(), 1, 'the chart of the new range');
  await page.getByRole('link', { name: 'Total cost' }).click();
  await page.waitForURL('**/dashboard?*sort=cost*');
  t.equal(await page.locator('th[aria-sort="descending"]').textContent(), 'Total cost ▼');

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/dashboard?range=last30');
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scrolling at 390 px');
  t.same(await problems(), []);
});
