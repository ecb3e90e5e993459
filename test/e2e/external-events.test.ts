// In a real browser (Debian's Chromium driven by playwright-core): from the Automation tab, open
// External events, create an event by name (a taken name first, refused on the field), trigger it
// through API v2 as another system would, and see the trigger on the event's page with its contact
// and data. At 390 px wide no page of it scrolls sideways. No console error or CSP violation may
// happen beyond the refused form's designed 422.
import { buildTestApp, createKey, createTenant } from '../helper.js';
import { addContacts, addEvent, apiCall, phoneOf } from '../automation/event-helpers.js';
import { browse, browserTest, pathname, signIn } from './browser.js';

browserTest('a marketer creates an external event and sees the trigger an API call records', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm, 'Events Browser Bakery');
  await addEvent(orm, account, 'cart_abandoned');
  await addContacts(orm, account, 1);
  const key = await createKey(orm, account);
  const { page, problems } = await browse(t, app, { timeoutMs: 8_000 });
  await signIn(page, owner.email);

  await page.locator('nav#tabs').getByRole('link', { name: 'Automation', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/automation');
  await Promise.all([page.waitForURL('**/automation/events'), page.getByRole('navigation', { name: 'Automation' }).getByRole('link', { name: 'External events' }).click()]);

  await page.getByLabel(/^New event/).fill('cart_abandoned');
  await page.getByRole('button', { name: 'Create event' }).click();
  await page.locator('#name-error').waitFor();
  t.equal(await page.locator('#name-error').textContent(), 'There is already an event named "cart_abandoned".', 'a taken name is refused on the field');

  await page.getByLabel(/^New event/).fill('order_shipped');
  await Promise.all([page.waitForURL(/\/automation\/events\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Create event' }).click()]);
  t.equal(await page.locator('h1').textContent(), 'order_shipped');
  const eventId = (await page.locator('code.event-id').textContent())!;
  t.match(await page.locator('pre.curl').textContent(), `/api/v2/event/${eventId}/trigger`, 'the curl example names this event');
  t.match(await page.locator('#trigger-results').textContent(), 'This event has not been triggered yet.');

  const response = await apiCall(app, key)('POST', `/api/v2/event/${eventId}/trigger`, { key_id: 'phone', external_id: phoneOf(1), data: { order: 'A-1' } });
  t.equal(response.json().replyCode, 0, 'the API call is accepted');
  await page.reload();
  const row = page.locator('#trigger-results tbody tr');
  t.equal(await row.count(), 1);
  t.equal(await row.getByRole('link').textContent(), 'Contact1', 'the trigger names its contact');
  t.equal(await row.locator('code.trigger-data').textContent(), '{"order":"A-1"}', 'and its data');

  await page.setViewportSize({ width: 390, height: 844 });
  for (const url of ['/automation', '/automation/events', `/automation/events/${eventId}`, `/automation/events/${eventId}/delete`]) {
    await page.goto(url);
    t.equal(pathname(page), url);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    t.equal(overflow, 0, `${url}: no sideways scroll at 390 px`);
  }

  // Chromium logs every 4xx answer to the console; the refused form's 422 is the designed one.
  const refusedForm = /^console error: Failed to load resource: the server responded with a status of 422 \(Unprocessable Entity\) \(http:\/\/127\.0\.0\.1:\d+\/automation\/events\)$/;
  const seen = await problems();
  t.same(seen.filter((problem) => !refusedForm.test(problem)), [], 'no other console error or CSP violation');
});
