// In a real browser, with the app's jobs running: the credit in the header follows what changes
// it without a reload. A test sent from the campaign page is billed when the dispatcher sends it,
// and the header shows the lower balance; a launched campaign's progress brings it along as its
// messages are billed; a tab switched through htmx brings the balance of the moment.
import { buildTestApp, createTenant } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { CreditTransaction } from '../../src/modules/accounts/credit-transaction.entity.js';
import { readyToSend } from '../sending/helpers.js';
import { browse, browserTest, signIn } from './browser.js';

declare global {
  interface Window {
    __marker?: number;
  }
}

const headerCredit = '#balance strong';

browserTest('the header credit follows a test send, a sending campaign and a top-up without a reload', async (t) => {
  const { app, orm } = await buildTestApp(t, {}, undefined, { jobs: true, listen: true });
  const { account, owner } = await createTenant(orm);
  const { campaign } = await readyToSend(orm, account); // €100.00, €0.05 a part
  const { page, problems } = await browse(t, app, { timeoutMs: 20_000 });
  await signIn(page, owner.email);
  await page.goto(`/create/${campaign.id}`);
  t.equal(await page.locator(headerCredit).textContent(), '€100.00');
  await page.evaluate(() => (window.__marker = 1));

  await page.getByLabel('Test phone numbers').fill('+33612345601');
  await page.getByRole('button', { name: 'Send test' }).click();
  await page.locator('#test-send [data-test-notice]').waitFor();
  t.equal(await page.locator('#test-send [data-test-notice]').textContent(), 'Test sent to 1 number.');
  await page.waitForFunction((selector) => document.querySelector(selector)?.textContent === '€99.95', headerCredit);
  t.equal(await page.locator(headerCredit).textContent(), '€99.95', 'the header shows the test billed');
  await page.waitForFunction(() => !document.querySelector('#test-results')?.hasAttribute('hx-trigger'));
  t.match(await page.locator('#test-results [data-test="+33612345601"]').textContent(), /sent|delivered/, 'the test’s status followed too');
  t.equal(await page.evaluate(() => window.__marker), 1, 'without a reload');

  // Launched: three messages billed as they go (two opted out or bad numbers are skipped).
  await page.getByRole('button', { name: 'Choose recipients and schedule' }).click();
  await page.getByLabel('Send now').check();
  await page.getByRole('button', { name: 'Schedule' }).click();
  await page.waitForURL(`**/create/${campaign.id}`);
  await page.evaluate(() => (window.__marker = 2));
  await page.waitForFunction((selector) => document.querySelector(selector)?.textContent === '€99.80', headerCredit);
  t.equal(await page.locator(headerCredit).textContent(), '€99.80', 'the header follows the campaign’s billing');
  t.equal(await page.evaluate(() => window.__marker), 2, 'without a reload');

  // Credit added elsewhere (an owner in another tab, the CLI): the next tab switch shows it.
  const em = withAccount(orm.em, account.id);
  em.create(CreditTransaction, { account: account.id, kind: 'topup', amountMicros: 10_000_000, actor: 'test' });
  await em.flush();
  await page.locator('nav#tabs').getByRole('link', { name: 'Reporting', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('main#main h1')?.textContent === 'Reporting');
  t.equal(await page.locator(headerCredit).textContent(), '€109.80', 'a tab switch brings the balance of the moment');
  t.equal(await page.evaluate(() => window.__marker), 2, 'still without a reload');
  t.same(await problems(), []);
});
