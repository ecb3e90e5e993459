// In a real browser, against the app with its jobs running: a small campaign goes out through the
// simulator; its report follows the sending by itself (htmx polling of its figures), then shows
// the outcome, the chart of sends and deliveries, and fits a 390 px wide phone.
import { buildTestApp, createTenant } from '../helper.js';
import { readyToSend } from '../sending/helpers.js';
import { browse, browserTest, signIn } from './browser.js';

const WIDTH = 390;

browserTest("a sent campaign's report follows the sending, then shows its figures and chart, on a phone", async (t) => {
  const { app, orm } = await buildTestApp(t, {}, undefined, { jobs: true, listen: true });
  const { account, owner } = await createTenant(orm);
  const { campaign } = await readyToSend(orm, account, { mps: 1, simulator: { delay_ms: '1500' } });
  const { page, problems } = await browse(t, app, { timeoutMs: 30_000 });
  await page.setViewportSize({ width: WIDTH, height: 844 });
  await signIn(page, owner.email);
  await page.goto(`/create/${campaign.id}/recipients`);
  await page.getByLabel('Send now').check();
  await page.getByRole('button', { name: 'Schedule' }).click();
  await page.waitForURL(`**/create/${campaign.id}`);

  await page.goto(`/reporting/${campaign.id}`);
  await page.evaluate(() => ((window as unknown as { __marker: number }).__marker = 1));
  await page.waitForFunction(() => document.querySelector('#report-figures [data-stat="delivered"]')?.textContent === '3');
  await page.waitForFunction(() => !document.querySelector('#report-figures')?.hasAttribute('hx-trigger'));
  t.equal(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker), 1, 'the figures followed without a reload');
  t.equal(await page.locator('[data-stat="recipients"]').textContent(), '5');
  t.equal(await page.locator('[data-stat="sent"]').textContent(), '3');
  t.equal(await page.locator('[data-stat="delivery-rate"]').textContent(), '100.0%');
  t.equal(await page.locator('[data-stat="not-sent-opted_out"]').textContent(), '1');
  t.equal(await page.locator('[data-stat="cost"]').textContent(), '€0.15');
  t.ok((await page.locator('#report-chart svg rect.chart-delivered').count()) > 0, 'the chart draws the deliveries');
  t.equal(await page.locator('a[data-action="campaign"]').getAttribute('href'), `/create/${campaign.id}`);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  t.ok(width <= WIDTH, `no sideways scrolling at ${WIDTH} px (page ${width} px wide)`);
  await page.screenshot({ path: process.env.SCREENSHOT ?? '/dev/null', fullPage: true }).catch(() => {});
  t.same(await problems(), []);
});
