// In a real browser: a marketer types "STOP" from a contact's number in the simulator's form on
// Inbound SMS → Unsubscribed using STOP keyword; once the processor has run, the list (which
// follows waiting messages by itself) shows the contact with the campaign they probably answered.
// Then a question typed on the SMS inbox shows there and is marked handled in place. At 390 px
// nothing scrolls sideways; no console error or CSP violation happens.
import { addUser, buildTestApp, createTenant } from '../helper.js';
import { addInboundNumber, campaignSentTo, contactNamed, workers } from '../inbound/helpers.js';
import { browse, browserTest, signIn } from './browser.js';

browserTest('a STOP typed in the simulator form shows the contact in the STOP list, and an inbox reply is marked handled', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm, 'Inbound Lists Bakery');
  const marketer = await addUser(orm, account, 'marketer');
  await addInboundNumber(orm, account, '+33644000000');
  await contactNamed(orm, account, '+33612345601', 'Ann', 'Martin');
  await campaignSentTo(orm, account, 'Spring sale', [{ phone: '+33612345601', at: new Date(Date.now() - 3_600_000) }]);
  const { settle } = workers(orm);
  const { page, problems } = await browse(t, app, { timeoutMs: 8_000 });
  await signIn(page, marketer.email);

  await page.locator('nav#tabs').getByRole('link', { name: 'Inbound SMS', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/inbound');
  await page.getByText('No one has opted out by keyword yet.').waitFor();

  await page.getByText('Simulate an incoming SMS').click();
  await page.getByLabel(/^From/).fill('+33 6 12 34 56 01');
  await page.getByLabel(/^Text/).fill('STOP');
  await page.getByRole('button', { name: 'Receive this SMS' }).click();
  await page.getByText('Received; it is processed within a second.').waitFor();
  t.pass('the message is received');

  await settle();
  const row = page.locator('#stop-results tbody tr');
  await row.filter({ hasText: 'Ann Martin' }).waitFor();
  t.match(await row.textContent(), /\+33612345601[\s\S]*Ann Martin[\s\S]*\+33644000000[\s\S]*STOP[\s\S]*Spring sale/, 'the contact, number, keyword and the campaign they probably answered');
  t.match(await page.locator('#stop-results thead').textContent(), 'Latest campaign sent before the reply (estimate)');
  await page.waitForFunction(() => !document.querySelector('#stop-results[hx-trigger]'));
  t.pass('the list stops following once nothing waits');

  await page.getByRole('navigation', { name: 'Inbound SMS' }).getByRole('link', { name: 'SMS inbox' }).click();
  await page.waitForURL((url) => url.pathname === '/inbound/inbox');
  await page.getByText('Simulate an incoming SMS').click();
  await page.getByLabel(/^From/).fill('+33612345601');
  await page.getByLabel(/^Text/).fill('When does the sale end?');
  await page.getByRole('button', { name: 'Receive this SMS' }).click();
  await page.getByText('Received; it is processed within a second.').waitFor();
  await settle();
  const reply = page.locator('#inbox-results tbody tr', { hasText: 'When does the sale end?' });
  await reply.waitFor();
  t.match(await reply.textContent(), /Ann Martin[\s\S]*Spring sale[\s\S]*Not handled/);
  await reply.getByRole('button', { name: 'Mark as handled' }).click();
  await reply.getByRole('button', { name: 'Mark as not handled' }).waitFor();
  t.match(await reply.textContent(), `Handled by ${marketer.email}`, 'marked handled in place');
  t.equal(new URL(page.url()).pathname, '/inbound/inbox', 'without leaving the page');

  // A phone's width: the tables scroll inside their box, the page does not.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const url of ['/inbound', '/inbound/inbox']) {
    await page.goto(url);
    await page.locator('table.inbound-list').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    t.equal(overflow, 0, `${url}: no sideways scroll at 390 px`);
  }
  t.same(await problems(), [], 'no console error or CSP violation');
});
