// Issue 11's walk in a real browser: an owner adds an inbound number, creates the inbound event
// CONFIRM on it, and a contact's "confirm" (typed in the simulator's form) is answered from the
// number and recorded as a trigger of the external event "SMS <number> Autoresponder: <name>";
// the contact's page shows the conversation. Then a STOP typed mid-send takes its contact out of
// a campaign that is still going out, and the campaign's figures say so.
import { buildTestApp, createTenant } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Account } from '../../src/modules/accounts/account.entity.js';
import { launchCampaign } from '../../src/modules/sending/launch.js';
import { dispatchCampaign } from '../../src/modules/sending/dispatcher.js';
import { readyToSend, scheduleNow, query } from '../sending/helpers.js';
import { workers } from '../inbound/helpers.js';
import { browse, browserTest, signIn } from './browser.js';

const NUMBER = '+33644000000';

browserTest('an inbound number, the CONFIRM event, a reply and its trigger; STOP mid-send', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm, 'Fromagerie Dupont');
  await withAccount(orm.em, account.id).nativeUpdate(Account, { id: account.id }, { defaultCountry: 'FR' });
  const { campaign, contacts } = await readyToSend(orm, account, { mps: 1 });
  const [ann, bart] = contacts;
  const { settle } = workers(orm);
  const { page, problems } = await browse(t, app, { timeoutMs: 8_000 });
  await signIn(page, owner.email);

  // Settings → Inbound numbers: the number, typed as people do.
  await page.goto('/settings/inbound-numbers');
  await page.getByLabel('Number').fill('06 44 00 00 00');
  await Promise.all([page.waitForURL(/\/settings\/inbound-numbers\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Add number' }).click()]);
  t.equal(await page.locator('main#main h1').textContent(), NUMBER);

  // Inbound SMS → Inbound event setup: CONFIRM answers with a reply.
  await page.goto('/inbound/events/new');
  await page.getByLabel('Event name').fill('Confirm');
  await page.getByLabel('Keywords').fill('CONFIRM');
  await page.getByRole('radio', { name: /^inboundResponder/ }).check();
  await page.getByRole('textbox', { name: /^Reply text/ }).fill('Thanks! Your confirmation email is on its way.');
  await Promise.all([page.waitForURL((url) => url.pathname === '/inbound/events'), page.getByRole('button', { name: 'Create event' }).click()]);
  await page.getByText(`SMS ${NUMBER} Autoresponder: Confirm`).waitFor();

  // Ann texts "confirm" (the simulator stands in for her phone).
  await page.goto('/inbound/inbox');
  await page.getByText('Simulate an incoming SMS').click();
  await page.getByLabel(/^From/).fill(ann.phone);
  await page.getByLabel(/^Text/).fill('confirm');
  await page.getByRole('button', { name: 'Receive this SMS' }).click();
  await page.getByText('Received; it is processed within a second.').waitFor();
  await settle();

  const triggers = await query<{ name: string; contact_id: string; data: { keyword: string } }>(
    orm,
    'select e.name, t.contact_id, t.data from event_trigger t join external_event e on e.id = t.event_id where t.account_id = ?',
    [account.id],
  );
  t.same(triggers, [{ name: `SMS ${NUMBER} Autoresponder: Confirm`, contact_id: String(ann.id), data: triggers[0]?.data }], 'the external event was triggered for Ann');
  t.equal(triggers[0]?.data.keyword, 'CONFIRM');
  await page.goto(`/contacts/${ann.id}`);
  const conversation = page.locator('#conversation');
  await conversation.getByText('Thanks! Your confirmation email is on its way.').waitFor();
  t.match(await conversation.textContent(), /Received[\s\S]*confirm[\s\S]*Sent[\s\S]*from \+33644000000[\s\S]*Thanks! Your confirmation email is on its way\./, 'her SMS and the reply, from the number');

  // A campaign is going out at one message a second; Bartholomew says STOP before his leaves.
  await scheduleNow(orm, account, campaign.id);
  await launchCampaign(withAccount(orm.em, account.id), campaign.id, 'http://localhost:3000');
  await page.goto('/inbound');
  await page.getByText('Simulate an incoming SMS').click();
  await page.getByLabel(/^From/).fill(bart.phone);
  await page.getByLabel(/^Text/).fill('STOP');
  await page.getByRole('button', { name: 'Receive this SMS' }).click();
  await page.getByText('Received; it is processed within a second.').waitFor();
  await settle();
  await dispatchCampaign(withAccount(orm.em, account.id), account.id, campaign.id, { publicUrl: 'http://localhost:3000' });
  await page.goto(`/create/${campaign.id}`);
  t.equal((await page.locator('[data-stat="skipped-opted_out"]').textContent())?.trim(), '2', 'Bartholomew joins Dora (opted out before the launch) among the skipped');
  const [bartMessage] = await query<{ status: string; skip_reason: string }>(orm, 'select status, skip_reason from message where campaign_id = ? and phone = ?', [campaign.id, bart.phone]);
  t.same(bartMessage, { status: 'skipped', skip_reason: 'opted_out' }, 'his message never left');
  await page.goto('/inbound');
  await page.locator('#stop-results tbody tr', { hasText: bart.phone }).waitFor();
  t.same(await problems(), [], 'no console error or CSP violation');
});
