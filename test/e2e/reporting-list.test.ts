// In a real browser the size of a phone (390 px): the Reporting list fits without sideways
// scrolling of the page, sorts by a header and pages through htmx (the URL follows), and a
// launched campaign's edit form renames it. No console error, no CSP violation.
import { buildTestApp, createTenant } from '../helper.js';
import { campaignWith, times } from '../reporting/list-helpers.js';
import { browse, browserTest, signIn } from './browser.js';

const WIDTH = 390;

declare global {
  interface Window {
    __listMarker?: number;
  }
}

browserTest('the Reporting list on a phone: sorted by a header, paged, and a launched campaign renamed', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm, 'Phone-sized Flower Shop International');
  for (let i = 1; i <= 26; i++) {
    await campaignWith(orm, account, `Weekly flowers for our loyal customers, week ${i}`, new Date(Date.UTC(2026, 10, i, 9)).toISOString(), times(i % 4, { status: 'delivered' }));
  }
  const { page, problems } = await browse(t, app);
  await page.setViewportSize({ width: WIDTH, height: 844 });
  await signIn(page, owner.email);

  await page.goto('/reporting');
  const fits = () => page.evaluate(() => document.documentElement.scrollWidth);
  t.ok((await fits()) <= WIDTH, 'the page does not scroll sideways (the table scrolls in its box)');
  t.equal(await page.locator('#campaign-list tbody tr').count(), 25);

  await page.evaluate(() => (window.__listMarker = 1));
  await page.locator('#campaign-list th a[data-sort="sent"]').click();
  await page.waitForURL('**/reporting?sort=sent&dir=desc');
  await page.locator('#campaign-list th[aria-sort="descending"] a[data-sort="sent"]').waitFor();
  t.equal(await page.locator('#campaign-list tbody tr:first-child [data-field="sent"]').textContent(), '3', 'the most sent first');

  await page.getByRole('button', { name: 'More →' }).click();
  await page.waitForURL(/after=/);
  await page.locator('#campaign-list tbody tr').first().waitFor();
  t.equal(await page.locator('#campaign-list tbody tr').count(), 1, 'the 26th on the second page');
  t.ok((await fits()) <= WIDTH);
  t.equal(await page.evaluate(() => window.__listMarker), 1, 'sorted and paged by htmx, without a reload');

  await page.locator('#campaign-list tbody tr').first().getByRole('link', { name: 'Edit' }).click();
  await page.getByLabel('Campaign name').fill('Weekly flowers, renamed');
  await page.getByLabel('Unsubscribe landing page text').fill('Flower Shop, 1 Rose Street');
  t.ok((await fits()) <= WIDTH, 'the edit form fits too');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(/\/create\/[0-9a-f-]{36}$/);
  await page.goto('/reporting?q=renamed');
  t.equal(await page.locator('#campaign-list tbody tr').count(), 1);
  t.same(await problems(), []);
});
