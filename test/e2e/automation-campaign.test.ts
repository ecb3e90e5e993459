// In a real browser the size of a phone: an Automation center campaign's page shows what its
// programs sent, and a marketer re-sends the messages the credit did not cover, after a top-up.
import { buildTestApp } from '../helper.js';
import { automationCampaign, PART_PRICE } from '../sending/helpers.js';
import { browse, browserTest, pathname, signIn } from './browser.js';

browserTest('a marketer re-sends the automation messages skipped for insufficient credit, from a phone', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const a = await automationCampaign(orm, { credit: PART_PRICE });
  await a.queue([{ contactId: a.ann.id }, { contactId: a.bart.id }, { contactId: a.carl.id }]);
  await a.dispatch();
  await a.topUp(10 * PART_PRICE);

  const { page, problems } = await browse(t, app);
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, a.owner.email);
  await page.goto(`/create/${a.campaign.id}`);
  t.equal(await page.locator('#automation-sending [data-stat="skipped-insufficient_credit"]').textContent(), '2');
  t.equal(await page.locator('table[data-list="messages"] tbody tr').count(), 3, 'its newest messages');
  t.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'no sideways scrolling');
  await page.getByRole('button', { name: 'Re-send the 2 messages skipped for insufficient credit…' }).click();
  await page.waitForURL(`**/create/${a.campaign.id}/resend-insufficient-credit`);
  t.equal(await page.locator('[data-field="cost"]').textContent(), '€0.10');
  await page.getByRole('button', { name: 'Re-send 2 messages' }).click();
  await page.waitForFunction(() => document.querySelector('[data-notice]')?.textContent?.includes('Re-sending 2 messages'));
  t.equal(pathname(page), `/create/${a.campaign.id}`);
  t.equal(await page.locator('#automation-sending [data-stat="queued"]').textContent(), '2', 'queued again');
  t.same(await problems(), []);
});
