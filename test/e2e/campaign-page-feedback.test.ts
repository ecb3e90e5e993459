// In a real browser: on a campaign's page, a test send and a preview answer next to the form that
// asked, refusals included, with htmx (no page load) and as full pages without JavaScript.
import { buildTestApp, createTenant } from '../helper.js';
import { readyToSend } from '../sending/helpers.js';
import { browse, browserTest, signIn } from './browser.js';

declare global {
  interface Window {
    __marker?: number;
  }
}

browserTest('a test send and a preview answer next to their forms, with htmx and without JavaScript', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const { campaign } = await readyToSend(orm, account, { body: 'Hello {{first_name|there}}, spring sale today! https://shop.example.com/spring' });
  const { browser, base, page, context, problems } = await browse(t, app);
  await signIn(page, owner.email);
  await page.goto(`/create/${campaign.id}`);
  await page.evaluate(() => (window.__marker = 1));
  const testSend = page.locator('#test-send');

  // A refused test: the reason under its field, what was typed kept.
  await page.getByLabel('Test phone numbers').fill('+33612345601, hello');
  await page.getByRole('button', { name: 'Send test' }).click();
  await testSend.getByText('Not a phone number: hello').waitFor();
  t.equal(await page.getByLabel('Test phone numbers').inputValue(), '+33612345601, hello', 'what was typed is kept');
  t.equal(await page.getByLabel('Test phone numbers').getAttribute('aria-invalid'), 'true');
  t.equal(await page.locator('[data-notice]').count(), 0, 'nothing at the top of the page');
  // A test sent: said in the same place, with its row in the list of tests.
  await page.getByLabel('Test phone numbers').fill('+33612345601');
  await page.getByRole('button', { name: 'Send test' }).click();
  await testSend.getByText('Test sent to 1 number.').waitFor();
  t.equal(await testSend.locator('tr[data-test="+33612345601"]').count(), 1, 'the test is listed');
  t.equal(await page.locator('#test-send').count(), 1, 'one test form');

  // The preview: a number that is no recipient, then the first recipient, then a refused request;
  // each answer lands in the preview, which stays there for the next one.
  const preview = page.locator('#preview');
  await page.getByLabel('Recipient phone').fill('+33699999999');
  await page.getByRole('button', { name: 'Preview' }).click();
  await preview.getByText('No recipient of this campaign has the number +33699999999.').waitFor();
  await page.getByLabel('Recipient phone').fill('+33612345601');
  await page.getByRole('button', { name: 'Preview' }).click();
  await preview.locator('[data-preview]').waitFor();
  t.equal(await preview.locator('[data-preview]').textContent(), `Hello Ann, spring sale today! ${app.config.publicUrl}/l/xxxxxxxxxx1`, 'the link as it will be sent');
  await page.getByLabel('Recipient phone').fill('+3'.repeat(600));
  await page.getByRole('button', { name: 'Preview' }).click();
  await preview.getByText('At most 1,000 characters.', { exact: false }).waitFor();
  await page.getByLabel('Recipient phone').fill('');
  await page.getByRole('button', { name: 'Preview' }).click();
  await preview.locator('[data-preview]').waitFor();
  t.equal(await page.evaluate(() => window.__marker), 1, 'all without a page load');
  // Chromium logs every 4xx answer to a script's request; these are the refusals asked for.
  const refusals = /status of (422|400) .*\/create\/[0-9a-f-]{36}\/(test|preview\?phone=)/;
  t.same((await problems()).filter((problem) => !refusals.test(problem)), []);
  await context.close();

  // Without JavaScript: the page opens at the test form, with the answer there.
  const plain = await browser.newContext({ baseURL: base, javaScriptEnabled: false });
  const noJs = await plain.newPage();
  noJs.setDefaultTimeout(5_000);
  await signIn(noJs, owner.email);
  await noJs.goto(`/create/${campaign.id}`);
  await noJs.getByLabel('Test phone numbers').fill('hello');
  await Promise.all([noJs.waitForURL(/\/test#test-send$/), noJs.getByRole('button', { name: 'Send test' }).click()]);
  t.equal(await noJs.locator('#test-send .field-error').textContent(), 'Not a phone number: hello.');
  await noJs.getByLabel('Test phone numbers').fill('+33612345601');
  await Promise.all([noJs.waitForURL(/\?tested=1#test-send$/), noJs.getByRole('button', { name: 'Send test' }).click()]);
  t.match(await noJs.locator('#test-send [data-test-notice]').textContent(), 'Test sent to 1 number.');
  await plain.close();
});
