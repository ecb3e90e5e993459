// In a real browser (Debian's Chromium driven by playwright-core): open Inbound SMS → Inbound event
// setup, create an event with the keyword CONFIRM on an inbound number (a clash with STOP first,
// refused on the field), watch the reply's part count follow the text, and find the event listed
// as "SMS <number> Autoresponder: <name>". At 390 px wide no page of the tab scrolls sideways.
// No console error or CSP violation may happen.
import { buildTestApp, createTenant } from '../helper.js';
import { addInboundNumber } from '../inbound/helpers.js';
import { browse, browserTest, pathname, signIn } from './browser.js';

browserTest('a marketer creates the CONFIRM event in a real browser', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm, 'Inbound Browser Bakery');
  // Settings → Inbound numbers is another page; the number is added as it would add it.
  await addInboundNumber(orm, account, '+33644000000');
  const { page, problems } = await browse(t, app, { timeoutMs: 8_000 });
  await signIn(page, owner.email);

  await page.locator('nav#tabs').getByRole('link', { name: 'Inbound SMS', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/inbound');
  const sections = page.getByRole('navigation', { name: 'Inbound SMS' });
  t.equal(await sections.locator('a[aria-current="page"]').textContent(), 'Unsubscribed using STOP keyword');
  await Promise.all([page.waitForURL('**/inbound/events'), sections.getByRole('link', { name: 'Inbound event setup' }).click()]);
  t.equal(await sections.locator('a[aria-current="page"]').textContent(), 'Inbound event setup', 'the current section is highlighted');
  await Promise.all([page.waitForURL('**/inbound/events/new'), page.getByRole('button', { name: 'New inbound event' }).click()]);

  await page.getByLabel('Event name').fill('Confirm registration');
  await page.getByLabel('Keywords').fill('confirm stop');
  t.equal(await page.getByLabel('Inbound number', { exact: true }).inputValue(), (await page.locator('option', { hasText: '+33644000000' }).getAttribute('value')) ?? '', 'the only number is chosen');
  await page.getByRole('radio', { name: /^inboundResponder/ }).check();
  const replyBox = page.getByRole('textbox', { name: /^Reply text/ });
  await replyBox.fill('x'.repeat(161));
  await page.waitForFunction(() => document.querySelector('#reply-count [data-count="parts"]')?.textContent === '2');
  t.pass('the part count follows the reply as it is typed');
  await replyBox.fill('Thanks! Your registration is confirmed. We will email you the details.');
  await page.waitForFunction(() => document.querySelector('#reply-count [data-count="parts"]')?.textContent === '1');

  await page.getByRole('button', { name: 'Create event' }).click();
  await page.locator('#keywords-error').waitFor();
  t.equal(await page.locator('#keywords-error').textContent(), 'STOP is an opt-out keyword of +33644000000.', 'a clash with STOP is refused on the field');
  t.equal(await page.getByLabel('Event name').inputValue(), 'Confirm registration', 'what was typed is kept');

  await page.getByLabel('Keywords').fill('CONFIRM');
  await Promise.all([page.waitForURL((url) => url.pathname === '/inbound/events'), page.getByRole('button', { name: 'Create event' }).click()]);
  const listed = page.locator('article.inbound-event');
  t.equal(await listed.count(), 1);
  t.equal(await listed.locator('h2').textContent(), 'SMS +33644000000 Autoresponder: Confirm registration', 'listed by its external event name');
  t.match(await listed.textContent(), /CONFIRM[\s\S]*inboundResponder[\s\S]*\+33644000000[\s\S]*Thanks! Your registration is confirmed/);

  // A phone's width: nothing scrolls sideways on any page of the tab.
  await page.setViewportSize({ width: 390, height: 844 });
  const editUrl = (await listed.getByRole('button', { name: 'Edit' }).getAttribute('href'))!;
  for (const url of ['/inbound', '/inbound/inbox', '/inbound/events', '/inbound/events/new', editUrl, editUrl.replace(/edit$/, 'delete')]) {
    await page.goto(url);
    t.equal(pathname(page), url);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    t.equal(overflow, 0, `${url}: no sideways scroll at 390 px`);
  }

  // Chromium logs every 4xx answer to the console; the refused form's 422 is the designed one.
  const refusedForm = /^console error: Failed to load resource: the server responded with a status of 422 \(Unprocessable Entity\) \(http:\/\/127\.0\.0\.1:\d+\/inbound\/events\)$/;
  const seen = await problems();
  t.equal(seen.filter((problem) => refusedForm.test(problem)).length, 1, 'the console reports the one refused form');
  t.same(seen.filter((problem) => !refusedForm.test(problem)), [], 'and no other console error or CSP violation');
});
