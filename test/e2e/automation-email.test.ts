// In a real browser (Debian's Chromium driven by playwright-core): from the Automation tab, write
// an email template (an unknown placeholder refused on its field first), preview it for a contact
// chosen by phone (its name filled in, the HTML body shown in its sandboxed frame with the name as
// text), then read an email in the Email outbox. At 390 px wide no email page scrolls sideways.
// No console error or CSP violation may happen.
import { buildTestApp, createTenant } from '../helper.js';
import { contact, queue, sender } from '../automation/email-helpers.js';
import { query } from '../sending/helpers.js';
import { browse, browserTest, pathname, signIn } from './browser.js';

browserTest('a marketer writes an email template, previews it and reads an email in the outbox', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm, 'Email Browser Bakery');
  const ann = await contact(orm, account, { phone: '+33612345601', firstName: 'Ann <b>', lastName: 'Martin', email: 'ann@example.com' });
  await contact(orm, account, { phone: '+33612345602', firstName: 'Bob', email: 'bob@example.com' });
  const { page, problems } = await browse(t, app, { timeoutMs: 8_000 });
  await signIn(page, owner.email);

  await page.locator('nav#tabs').getByRole('link', { name: 'Automation', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/automation');
  await Promise.all([page.waitForURL('**/automation/emails'), page.getByRole('navigation', { name: 'Automation' }).getByRole('link', { name: 'Email templates' }).click()]);
  await Promise.all([page.waitForURL('**/automation/emails/new'), page.getByRole('button', { name: 'New email template' }).click()]);

  await page.getByLabel('Name').fill('Order ready');
  await page.getByLabel('Subject').fill('Your order, {{first_name|friend}}');
  await page.getByLabel(/^Text body/).fill('Hello {{first_name|there}} {{nickname}}');
  await page.getByLabel(/^HTML body/).fill('<h1 style="color: #a00">Hello {{first_name|there}}</h1><p>Order {{event.order_id|soon}}</p>');
  await page.getByRole('button', { name: 'Create template' }).click();
  await page.locator('#text_body-error').waitFor();
  t.equal(await page.locator('#text_body-error').textContent(), 'Unknown placeholder: {{nickname}}.', 'an unknown placeholder is refused on its field');
  t.equal(await page.getByLabel('Name').inputValue(), 'Order ready', 'what was typed is kept');

  await page.getByLabel(/^Text body/).fill('Hello {{first_name|there}} {{last_name}}');
  await Promise.all([page.waitForURL(/\/automation\/emails\/[0-9a-f-]+\/preview$/), page.getByRole('button', { name: 'Create template' }).click()]);
  t.match(await page.locator('[data-contact]').textContent(), /bob@example\.com/, 'previewed for the newest contact with an address');

  await page.getByLabel('Preview for the contact with this phone, email or id').fill('+33 6 12 34 56 01');
  await Promise.all([page.waitForURL(/contact=/), page.getByRole('button', { name: 'Preview' }).click()]);
  t.equal(await page.locator('[data-contact]').getAttribute('data-contact'), ann.id, 'the contact typed');
  t.equal(await page.locator('[data-part="subject"]').textContent(), 'Your order, Ann <b>');
  t.equal(await page.locator('[data-part="text"]').textContent(), 'Hello Ann <b> Martin');
  const frame = page.frameLocator('iframe.email-html');
  t.equal(await frame.locator('h1').textContent(), 'Hello Ann <b>', "the HTML body, the contact's name as text");
  t.equal(await frame.locator('p').textContent(), 'Order soon', 'a fallback where the event data is missing');
  t.equal(await frame.locator('b').count(), 0, 'no markup from the contact');

  // An email queued by a program, kept in the outbox (no SMTP_URL).
  const [templateRow] = await query<{ id: string }>(orm, 'select id from email_template where account_id = ?', [account.id]);
  const [email] = await queue(orm, [{ accountId: account.id, contactId: ann.id, templateId: templateRow!.id, runId: null, eventData: { order_id: 'A-17' } }]);
  await sender(orm).drain();
  await page.getByRole('navigation', { name: 'Automation' }).getByRole('link', { name: 'Email outbox' }).click();
  await page.waitForURL((url) => url.pathname === '/automation/emails/outbox');
  const row = page.locator(`#email-${email!.id}`);
  t.match(await row.textContent(), /ann@example\.com[\s\S]*Your order, Ann <b>[\s\S]*Kept in the outbox/);
  await page.getByLabel('Show').selectOption('failed');
  await page.getByText('No email has this status.').waitFor();
  t.pass('the status filter follows the choice');
  await page.getByLabel('Show').selectOption('');
  await Promise.all([page.waitForURL(`**/automation/emails/outbox/${email!.id}`), row.getByRole('link', { name: 'Your order, Ann <b>' }).click()]);
  t.equal(await page.locator('h1').textContent(), 'Your order, Ann <b>');
  t.equal(await page.locator('[data-part="text"]').textContent(), 'Hello Ann <b> Martin');
  t.equal(await page.frameLocator('iframe.email-html').locator('p').textContent(), 'Order A-17', "the event's data in the email read");

  // A phone's width: nothing scrolls sideways on any email page.
  await page.setViewportSize({ width: 390, height: 844 });
  const previewUrl = `/automation/emails/${templateRow!.id}/preview`;
  for (const url of ['/automation', '/automation/emails', '/automation/emails/new', previewUrl, `/automation/emails/${templateRow!.id}/edit`, '/automation/emails/outbox', `/automation/emails/outbox/${email!.id}`]) {
    await page.goto(url);
    t.equal(pathname(page), url);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    t.equal(overflow, 0, `${url}: no sideways scroll at 390 px`);
  }

  // Chromium logs every 4xx answer to the console; the refused form's 422 is the designed one.
  const refusedForm = /^console error: Failed to load resource: the server responded with a status of 422 \(Unprocessable Entity\) \(http:\/\/127\.0\.0\.1:\d+\/automation\/emails\)$/;
  const seen = await problems();
  t.equal(seen.filter((problem) => refusedForm.test(problem)).length, 1, 'the console reports the one refused form');
  t.same(seen.filter((problem) => !refusedForm.test(problem)), [], 'and no other console error or CSP violation');
});
