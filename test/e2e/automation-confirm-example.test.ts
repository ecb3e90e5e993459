// The reference's closing example, end to end in a real browser: an SMS campaign told contacts
// "Text CONFIRM to <number> to receive a confirmation of your registration via email". The owner
// creates the inbound event CONFIRM on the number, an email template, and an Automation Center
// program "on SMS <number> Autoresponder: Confirm, send the welcome email", and activates it. A
// contact's "Confirm" (typed in the simulator's form) is answered by SMS, triggers the external
// event, and the welcome email reaches a real SMTP server with the contact's data filled in. The
// application's own jobs do the work (inbound processor, reply sender, program runner, email
// sender), as in production. At 390 px wide no automation page scrolls sideways.
import { buildTestApp, createTenant, eventually } from '../helper.js';
import { query } from '../sending/helpers.js';
import { addInboundNumber } from '../inbound/helpers.js';
import { contact } from '../automation/helpers.js';
import { smtpServer } from '../automation/email-helpers.js';
import { browse, browserTest, pathname, signIn } from './browser.js';

const NUMBER = '+33644000000';
const EVENT = `SMS ${NUMBER} Autoresponder: Confirm`;

/** What a mail program shows of a raw message (quoted-printable undone). */
const decoded = (raw: string) => raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

browserTest('Text CONFIRM: an inbound event, a program on it and a welcome email with the contact’s data', async (t) => {
  const smtp = await smtpServer(t);
  const { app, orm } = await buildTestApp(t, { SMTP_URL: smtp.url }, undefined, { jobs: true });
  const { account, owner } = await createTenant(orm, 'Conference Registrations');
  await addInboundNumber(orm, account, NUMBER);
  const ann = await contact(orm, account, '+33612345678', { firstName: 'Ann', email: 'ann@example.com' });
  const { page, problems } = await browse(t, app, { timeoutMs: 8_000 });
  await signIn(page, owner.email);

  // Inbound SMS → Inbound event setup: the keyword CONFIRM on the number, with a reply.
  await page.goto('/inbound/events/new');
  await page.getByLabel('Event name').fill('Confirm');
  await page.getByLabel('Keywords').fill('CONFIRM');
  await page.getByRole('radio', { name: /^inboundResponder/ }).check();
  await page.getByRole('textbox', { name: /^Reply text/ }).fill('Thanks! Your confirmation email is on its way.');
  await Promise.all([page.waitForURL((url) => url.pathname === '/inbound/events'), page.getByRole('button', { name: 'Create event' }).click()]);

  // Automation: the event is there as an external event.
  await page.locator('nav#tabs').getByRole('link', { name: 'Automation', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/automation');
  const sections = page.getByRole('navigation', { name: 'Automation' });
  await Promise.all([page.waitForURL('**/automation/events'), sections.getByRole('link', { name: 'External events' }).click()]);
  await page.getByText(EVENT).first().waitFor();

  // Automation → Email templates: the welcome email.
  await Promise.all([page.waitForURL('**/automation/emails'), sections.getByRole('link', { name: 'Email templates' }).click()]);
  await page.goto('/automation/emails/new');
  await page.getByLabel(/^Name/).fill('Welcome');
  await page.getByLabel(/^Subject/).fill('Your registration is confirmed, {{first_name|friend}}');
  await page.getByLabel(/^Text body/).fill('Hello {{first_name|there}}, we confirm your registration. You wrote "{{event.text}}" from {{phone}}.');
  await Promise.all([page.waitForURL((url) => url.pathname.startsWith('/automation/emails') && !url.pathname.endsWith('/new')), page.getByRole('button', { name: /Create|Save/ }).click()]);

  // Automation → Programs: on the event, send the welcome email; then activate it.
  await Promise.all([page.waitForURL('**/automation/programs'), sections.getByRole('link', { name: 'Programs' }).click()]);
  await Promise.all([page.waitForURL('**/automation/programs/new'), page.getByRole('button', { name: 'New program' }).click()]);
  await page.getByLabel('Program name').fill('Welcome email on CONFIRM');
  await page.getByLabel(/^Starts when/).selectOption({ label: EVENT });
  await Promise.all([page.waitForURL(/\/automation\/programs\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Create program' }).click()]);
  const programUrl = pathname(page);
  await page.getByLabel('Step to add').selectOption({ label: 'Send email' });
  await Promise.all([page.waitForURL(/\/steps\/new\?kind=send_email$/), page.getByRole('button', { name: 'Add a step' }).click()]);
  await page.getByLabel('Email template').selectOption({ label: 'Welcome' });
  await Promise.all([page.waitForURL((url) => url.pathname === programUrl), page.getByRole('button', { name: 'Add the step' }).click()]);
  await page.getByText('Send the email "Welcome"').waitFor();
  await Promise.all([page.waitForURL((url) => url.pathname === programUrl), page.getByRole('button', { name: 'Activate' }).click()]);
  await page.getByText(/Active since/).waitFor();

  // Ann texts "Confirm" to the number (the simulator stands in for her phone).
  await page.goto('/inbound/inbox');
  await page.getByText('Simulate an incoming SMS').click();
  await page.getByLabel(/^From/).fill(ann.phone);
  await page.getByLabel(/^Text/).fill('Confirm');
  await page.getByRole('button', { name: 'Receive this SMS' }).click();
  await page.getByText('Received; it is processed within a second.').waitFor();

  // The welcome email reaches the SMTP server, with her data and the event's.
  await eventually('the welcome email to arrive', () => smtp.received.length === 1, { timeoutMs: 20_000 });
  const mail = decoded(smtp.received[0]!.raw);
  t.same(smtp.received[0]!.to, ['ann@example.com'], 'to her address');
  t.match(mail, /^Subject: Your registration is confirmed, Ann$/m);
  t.match(mail, `Hello Ann, we confirm your registration. You wrote "Confirm" from ${ann.phone}.`);

  // The SMS reply went out from the number; the trigger is recorded; the program counts her.
  const [reply] = await eventually('the reply to be sent', () => query<{ body: string; status: string }>(orm, `select body, status from message where account_id = ? and campaign_id is null and status in ('sent', 'delivered')`, [account.id]), { until: (rows) => rows.length === 1 });
  t.equal(reply!.body, 'Thanks! Your confirmation email is on its way.');
  await page.goto(programUrl);
  t.equal((await page.locator('[data-count="passed"]').textContent())?.trim(), '1', 'the email step passed once');
  t.match(await page.locator('table.program-runs').textContent(), /Ann[\s\S]*Completed[\s\S]*Send email: passed/);
  await page.goto('/automation/emails/outbox');
  await page.getByText('Your registration is confirmed, Ann').waitFor();

  // A phone's width: no automation page scrolls sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const url of ['/automation', '/automation/programs', '/automation/programs/new', programUrl, `${programUrl}/steps/new?kind=wait`, `${programUrl}/steps/new?kind=update_field`, '/automation/events', '/automation/emails', '/automation/emails/outbox', '/reporting?type=automated']) {
    await page.goto(url);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    t.equal(overflow, 0, `${url}: no sideways scroll at 390 px`);
  }
  t.same(await problems(), [], 'no console error or CSP violation');
});
