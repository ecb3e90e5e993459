// In a real browser, against the app on a real socket with its jobs running: a marketer sends a
// campaign now from the wizard; its page follows the launch, the sending and the simulator's
// delivery reports through htmx polling, without a reload, and stops polling when all is known.
import { buildTestApp, createTenant } from '../helper.js';
import { readyToSend } from '../sending/helpers.js';
import { browse, browserTest, pathname, signIn } from './browser.js';

browserTest('a campaign sent now from the browser goes out and its page shows the delivery as it happens', async (t) => {
  const { app, orm } = await buildTestApp(t, {}, undefined, { jobs: true, listen: true });
  const { account, owner } = await createTenant(orm);
  // One message a second, reported after a second and a half: the page has progress to follow.
  const { campaign } = await readyToSend(orm, account, { mps: 1, simulator: { delay_ms: '1500' } });
  const { page, problems } = await browse(t, app, { timeoutMs: 20_000 });
  await signIn(page, owner.email);
  await page.goto(`/create/${campaign.id}/recipients`);
  await page.getByLabel('Send now').check();
  await page.getByRole('button', { name: 'Schedule' }).click();
  await page.waitForURL(`**/create/${campaign.id}`);
  t.equal(pathname(page), `/create/${campaign.id}`);
  await page.evaluate(() => ((window as unknown as { __marker: number }).__marker = 1));
  await page.waitForFunction(() => document.querySelector('#progress [data-stat="sent"]')?.textContent !== '0' || document.querySelector('#progress [data-stat="delivered"]')?.textContent !== '0');
  await page.waitForFunction(() => document.querySelector('#progress [data-stat="delivered"]')?.textContent === '3');
  t.equal(await page.locator('#progress [data-field="status"]').textContent(), 'sent');
  t.equal(await page.locator('#progress [data-stat="skipped-opted_out"]').textContent(), '1');
  t.equal(await page.locator('#progress [data-stat="spent"]').textContent(), '€0.15');
  t.equal(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker), 1, 'followed without a reload');
  await page.waitForFunction(() => !document.querySelector('#progress')?.hasAttribute('hx-trigger'));
  t.pass('polling stops once every report is in');
  // The page around the panel followed the status too: no edit, launch or unschedule any more.
  await page.waitForFunction(() => document.querySelector('[data-field="status"]')?.textContent === 'sent');
  t.equal(await page.getByRole('button', { name: 'Launch now' }).count(), 0);
  t.equal(await page.getByRole('link', { name: 'Edit' }).count(), 0);
  t.equal(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker), 1, 'still without a reload');
  await page.screenshot({ path: process.env.SCREENSHOT ?? '/dev/null', fullPage: true }).catch(() => {});
  t.same(await problems(), []);
});
