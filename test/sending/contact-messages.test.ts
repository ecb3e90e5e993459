// A contact's page lists the messages it received: the campaign (linked), when it was sent in the
// account's zone, its status, parts and cost; newest first, tests marked, at most 20 with the
// total said.
import t from 'tap';
import { buildTestApp, createTenant, signedIn } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { launchCampaign } from '../../src/modules/sending/launch.js';
import { dispatchCampaign } from '../../src/modules/sending/dispatcher.js';
import { formatTime } from '../../src/plugins/view.js';
import { readyToSend, scheduleNow, query } from './helpers.js';

const PUBLIC_URL = 'http://localhost:3000';
const TIME_ZONE = 'Europe/Paris'; // createTenant's account zone

/** The rows of the contact page's message table, cell texts without markup. */
const messageRows = (html: string) =>
  [...(/<article id="messages">([\s\S]*?)<\/article>/.exec(html)?.[1] ?? '').matchAll(/<tr><td>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...`<td>${row[1]}`.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => cell[1].replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim()),
  );

t.test('a contact who received a campaign and a test sees both on its page, newest first, the test marked', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const { campaign, contacts } = await readyToSend(orm, account);
  const [ann, , , dora] = contacts;
  const client = await signedIn(app, owner);
  const dispatch = () => dispatchCampaign(withAccount(orm.em, account.id), account.id, campaign.id, { publicUrl: PUBLIC_URL });

  const before = await client.get(`/contacts/${ann.id}`);
  t.match(before.body, 'No SMS has been sent to this contact yet.');

  await client.get(`/create/${campaign.id}`);
  await client.post(`/create/${campaign.id}/test`, { phones: ann.phone });
  await dispatch();
  await scheduleNow(orm, account, campaign.id);
  await launchCampaign(withAccount(orm.em, account.id), campaign.id, PUBLIC_URL);
  await dispatch();

  const page = await client.get(`/contacts/${ann.id}`);
  t.notMatch(page.body, 'will be listed here once campaigns are sent');
  const sent = await query<{ sent_at: Date; is_test: boolean }>(orm, 'select sent_at, is_test from message where contact_id = ? order by id desc', [ann.id]);
  t.same(messageRows(page.body), [
    ['Spring sale', formatTime(sent[0].sent_at, TIME_ZONE), 'sent', '1', '€0.05'],
    ['Spring sale (test)', formatTime(sent[1].sent_at, TIME_ZONE), 'sent', '1', '€0.05'],
  ]);
  t.match(page.body, `<a href="/create/${campaign.id}">Spring sale</a>`, 'the campaign is linked');
  t.match(page.body, /2 messages, newest first; tests of a campaign to this number are marked\. Times in Europe\/Paris\./);

  t.same(messageRows((await client.get(`/contacts/${dora.id}`)).body), [['Spring sale', '—', 'skipped: opted out', '—', '—']], 'an opted-out contact sees why nothing was sent');

  // A message in no campaign (the confirmation of an opt-out by SMS) is listed for what it is.
  await query(orm, `insert into message (account_id, campaign_id, contact_id, phone, status, is_confirmation) values (?, null, ?, ?, 'queued', true)`, [account.id, dora.id, dora.phone]);
  t.same(messageRows((await client.get(`/contacts/${dora.id}`)).body)[0], ['Opt-out confirmation', '—', 'queued', '—', '—']);
});

t.test('a contact with many messages sees the newest 20 and how many there are', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const { campaign, contacts } = await readyToSend(orm, account);
  const carl = contacts[2];
  await query(
    orm,
    `insert into message (account_id, campaign_id, contact_id, phone, status, is_test, parts, cost_micros, sent_at)
     select ?, ?, ?, ?, 'delivered', true, 1, 50000, now() - make_interval(mins => n) from generate_series(1, 25) n`,
    [account.id, campaign.id, carl.id, carl.phone],
  );
  const page = await (await signedIn(app, owner)).get(`/contacts/${carl.id}`);
  t.equal(messageRows(page.body).length, 20);
  t.match(page.body, 'The newest 20 of 25 messages, newest first');
  const [newest] = await query<{ sent_at: Date }>(orm, 'select max(sent_at) as sent_at from message where contact_id = ?', [carl.id]);
  t.equal(messageRows(page.body)[0][1], formatTime(newest.sent_at, TIME_ZONE), 'the newest first');
});
