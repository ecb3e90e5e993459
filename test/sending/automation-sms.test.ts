// Automation center campaigns: the Send SMS step of a program run queues one message in the
// outbox, which the dispatcher sends like any other (consent, quiet hours, credit, gateway), but
// the campaign is never "sent" and a shortage of credit skips messages instead of pausing it.
import t from 'tap';
import { buildTestApp, createKey, eventually, signedIn } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { dispatchAutomationSoon } from '../../src/modules/sending/index.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';
import { Contact } from '../../src/modules/contacts/contact.entity.js';
import { inboundNumber, NUMBER } from '../inbound/helpers.js';
import { automationCampaign, query, PART_PRICE } from './helpers.js';

t.test('a Send SMS step queues the message, or writes it skipped with the reason a launch would give', async (t) => {
  const built = await buildTestApp(t);
  const { orm } = built;
  const a = await automationCampaign(built.orm);
  // Sent from an inbound number Bart opted out of alone.
  const { inbound } = await inboundNumber(orm, a.account);
  await query(orm, 'update campaign set sender = ?, inbound_number_id = ? where id = ?', [NUMBER, inbound.id, a.campaign.id]);
  await query(orm, `insert into number_opt_out (account_id, contact_id, inbound_number_id, keyword) values (?, ?, ?, 'STOP')`, [a.account.id, a.bart.id, inbound.id]);
  const em = withAccount(orm.em.fork(), a.account.id);
  const batch = em.create(Campaign, { account: a.account.id, name: 'Spring sale', sender: 'Textcast', body: 'Hello', recipientSource: 'list', list: a.list, createdBy: 'test' });
  const cancelled = em.create(Campaign, { account: a.account.id, name: 'Old', sender: 'Textcast', body: 'Hi', kind: 'automation', recipientSource: 'automation', status: 'cancelled', createdBy: 'test' });
  await em.flush();

  const outcomes = await a.queue([
    { contactId: a.ann.id, eventData: { order_id: 'A-17', items: 2 } },
    { contactId: a.dora.id },
    { contactId: a.eve.id },
    { contactId: a.bart.id },
    { contactId: '987654321' },
    { contactId: a.ann.id, campaignId: batch.id },
    { contactId: a.ann.id, campaignId: cancelled.id },
  ]);
  t.same(
    outcomes.map((o) => [o.status, o.skipReason, o.id === null]),
    [
      ['queued', null, false],
      ['skipped', 'opted_out', false],
      ['skipped', 'bad_number', false],
      ['skipped', 'opted_out_of_number', false],
      ['skipped', 'erased', true],
      ['skipped', 'not_automation', true],
      ['skipped', 'cancelled', true],
    ],
    'one answer per step, in order',
  );
  const rows = await query<{ id: string; phone: string; status: string; run_id: string; event_data: unknown }>(orm, 'select id, phone, status, run_id, event_data from message where account_id = ? order by id', [a.account.id]);
  t.same(rows.map((r) => String(r.id)), outcomes.slice(0, 4).map((o) => o.id), 'the ids answered are the rows written');
  t.same(rows.map((r) => [r.phone, r.status, String(r.run_id)]), [
    ['+33612345601', 'queued', '1001'],
    ['+33612345604', 'skipped', '1002'],
    ['+33612345605', 'skipped', '1003'],
    ['+33612345602', 'skipped', '1004'],
  ]);
  t.same(rows[0].event_data, { order_id: 'A-17', items: 2 }, 'with the event data of its run');
});

t.test('an automation message goes out personalised with its event, and the campaign stays open for the next runs', async (t) => {
  const built = await buildTestApp(t);
  const { orm } = built;
  const a = await automationCampaign(built.orm);
  const nameless = withAccount(orm.em.fork(), a.account.id).create(Contact, { account: a.account.id, phone: '+33612345609', country: 'FR' });
  await withAccount(orm.em.fork(), a.account.id).persist(nameless).flush();

  await a.queue([{ contactId: a.ann.id }]);
  const first = await a.dispatch();
  t.equal(first.dispatched, 1);
  t.equal(first.nextAt, null, 'nothing left to look at');
  t.same(await a.received(), ['+33612345601 Hi Ann, order A-17 has shipped.']);
  t.same(await a.campaignRow(), { status: 'draft', problem: null }, 'not "sent": its programs may send more');

  // Later runs: a contact without a first name, and Ann again (a run of her own).
  await a.queue([{ contactId: String(nameless.id), eventData: { order_id: 'B-2' } }, { contactId: a.ann.id, eventData: { order_id: 'C-3' } }]);
  t.equal((await a.dispatch()).dispatched, 2);
  t.same(await a.received(), ['+33612345601 Hi Ann, order A-17 has shipped.', '+33612345601 Hi Ann, order C-3 has shipped.', '+33612345609 Hi there, order B-2 has shipped.']);
  t.same(await a.messages(), ['+33612345601:sent', '+33612345609:sent', '+33612345601:sent'], 'Ann received the campaign once per run');
  t.equal((await a.campaignRow()).status, 'draft');

  // Its delivery reports come back through the gateway it left by.
  const [gateway] = await query<{ id: string; secret: string }>(orm, 'select id, secret from gateway where account_id = ? and is_default', [a.account.id]);
  const [sent] = await query<{ id: string; gateway_message_id: string }>(orm, 'select id, gateway_message_id from message where campaign_id = ? order by id limit 1', [a.campaign.id]);
  const report = await built.app.inject({
    method: 'POST',
    url: `/webhooks/${gateway.id}/dlr`,
    headers: { authorization: `Bearer ${gateway.secret}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ id: sent.gateway_message_id, status: 'delivered' }),
  });
  t.same(report.json(), { ok: true, changed: true });

  const client = await signedIn(built.app, a.owner);
  const page = await client.get(`/create/${a.campaign.id}`);
  t.match(page.body, /Sent by automation programs/);
  t.match(page.body, /data-stat="recipients">3</);
  t.match(page.body, /data-stat="delivered">1</);
  t.match(page.body, /data-stat="sent">2</);
  t.match(page.body, /<table data-list="messages">[\s\S]*\+33612345609[\s\S]*delivered/, 'its newest messages, newest first');
  t.notMatch(page.body, /\/launch"|\/recipients"|\/schedule"|\/test"/, 'no launch, schedule or test send');
  t.notMatch(page.body, /\/delete"/, 'a campaign whose messages went out keeps its record');
  t.equal((await client.post(`/create/${a.campaign.id}/delete`)).statusCode, 409);
});

t.test('outside quiet hours an automation message waits for the window, and the dispatcher comes back then', async (t) => {
  const built = await buildTestApp(t);
  const a = await automationCampaign(built.orm, { quietHours: true });
  await a.queue([{ contactId: a.ann.id }]);
  // A Sunday at 13:00 in Paris: France is closed all day.
  const outcome = await a.dispatch(new Date('2026-11-29T12:00:00Z'));
  t.equal(outcome.dispatched, 0);
  t.same(outcome.nextAt, new Date('2026-11-30T07:00:00Z'), 'looked at again on Monday at 08:00');
  const [row] = await query<{ status: string; waiting: string; not_before: Date }>(built.orm, 'select status, waiting, not_before from message where campaign_id = ?', [a.campaign.id]);
  t.same([row.status, row.waiting, new Date(row.not_before).toISOString()], ['queued', 'quiet_hours', '2026-11-30T07:00:00.000Z']);
  t.same(await a.received(), []);
});

t.test('an opt-out stored after the step skips the message as it leaves', async (t) => {
  const built = await buildTestApp(t);
  const a = await automationCampaign(built.orm);
  await a.queue([{ contactId: a.ann.id }]);
  await query(built.orm, 'update contact set sms_opt_in = false where id = ?', [a.ann.id]);
  await a.dispatch();
  t.same(await a.messages(), ['+33612345601:skipped:opted_out']);
  t.same(await a.received(), []);
});

t.test('when the credit runs out, automation messages are skipped for insufficient credit, the campaign keeps going, and they can be re-sent after a top-up', async (t) => {
  const built = await buildTestApp(t);
  const { orm, app } = built;
  // Credit for one message.
  const a = await automationCampaign(built.orm, { credit: PART_PRICE });
  await a.queue([{ contactId: a.ann.id }, { contactId: a.bart.id }]);
  const first = await a.dispatch();
  t.equal(first.stopped, undefined, 'not stopped');
  t.same(await a.messages(), ['+33612345601:sent', '+33612345602:skipped:insufficient_credit'], 'what the credit covers goes; the rest is skipped');
  await a.queue([{ contactId: a.carl.id }]);
  await a.dispatch();
  t.same(await a.messages(), ['+33612345601:sent', '+33612345602:skipped:insufficient_credit', '+4915112345603:skipped:insufficient_credit']);
  t.same(await a.campaignRow(), { status: 'draft', problem: null }, 'never paused');
  const [skipped] = await query<{ skipped_at: Date | null }>(orm, `select skipped_at from message where campaign_id = ? and skip_reason = 'insufficient_credit' limit 1`, [a.campaign.id]);
  t.ok(skipped.skipped_at, 'when it was skipped');

  const client = await signedIn(app, a.owner);
  const page = await client.get(`/create/${a.campaign.id}`);
  t.match(page.body, /<th>Skipped: insufficient credit<\/th><td class="num" data-stat="skipped-insufficient_credit">2</);
  t.match(page.body, /Re-send the 2 messages skipped for insufficient credit/);
  const short = await client.post(`/create/${a.campaign.id}/resend-insufficient-credit`);
  t.match(decodeURIComponent(String(short.headers.location)), /The credit does not cover them yet/, 'refused while the credit is short');
  t.same(await a.messages(), ['+33612345601:sent', '+33612345602:skipped:insufficient_credit', '+4915112345603:skipped:insufficient_credit']);

  // After a top-up, a new run's message goes at once.
  await a.topUp(10 * PART_PRICE);
  await a.queue([{ contactId: a.ann.id, eventData: { order_id: 'D-4' } }]);
  await a.dispatch();
  t.equal((await a.messages())[3], '+33612345601:sent');

  const confirm = await client.get(`/create/${a.campaign.id}/resend-insufficient-credit`);
  t.match(confirm.body, /<strong data-field="count">2<\/strong> messages were skipped/);
  t.match(confirm.body, /data-field="cost">€0\.10</, 'what they cost, about');
  const resent = await client.post(`/create/${a.campaign.id}/resend-insufficient-credit`);
  t.match(decodeURIComponent(String(resent.headers.location)), /Re-sending 2 messages skipped for insufficient credit/);
  await a.dispatch();
  t.same(await a.messages(), ['+33612345601:sent', '+33612345602:sent', '+4915112345603:sent', '+33612345601:sent']);
  t.equal((await a.received()).length, 4);
  const [ledger] = await query<{ debits: string }>(orm, `select -sum(amount_micros) as debits from credit_transaction where campaign_id = ? and kind = 'debit'`, [a.campaign.id]);
  t.equal(Number(ledger.debits), 4 * PART_PRICE, 'each message billed once');

  const again = await client.post(`/create/${a.campaign.id}/resend-insufficient-credit`);
  t.match(decodeURIComponent(String(again.headers.location)), /Nothing to re-send/);
  const key = await createKey(orm, a.account);
  const api = await app.inject({ method: 'POST', url: `/api/v1/sms-campaigns/${a.campaign.id}/resend-insufficient-credit`, headers: { authorization: `Bearer ${key}` } });
  t.equal(api.statusCode, 409);
  t.match(api.json().error.message, /Nothing to re-send/);
});

t.test('the API re-sends messages skipped for insufficient credit', async (t) => {
  const built = await buildTestApp(t);
  const a = await automationCampaign(built.orm);
  await a.emptyCredit();
  await a.queue([{ contactId: a.ann.id }]);
  await a.dispatch();
  await a.topUp(PART_PRICE);
  const key = await createKey(built.orm, a.account);
  const api = await built.app.inject({ method: 'POST', url: `/api/v1/sms-campaigns/${a.campaign.id}/resend-insufficient-credit`, headers: { authorization: `Bearer ${key}` } });
  t.equal(api.statusCode, 202);
  t.same(api.json(), { requeued: 1 });
  await a.dispatch();
  t.same(await a.messages(), ['+33612345601:sent']);
});

t.test('queued automation messages are dispatched soon after the step, and by the sending sweep when no job is left', async (t) => {
  const built = await buildTestApp(t, {}, undefined, { jobs: true });
  const a = await automationCampaign(built.orm);
  const agenda = built.scheduler!.agenda;
  await a.queue([{ contactId: a.ann.id }]);
  await dispatchAutomationSoon(agenda, a.account.id, a.campaign.id);
  await eventually('sent after the step', async () => (await a.messages()).join(), { until: (m) => m === '+33612345601:sent' });
  // As after a restart that lost the job: only the sweep knows.
  await a.queue([{ contactId: a.bart.id }]);
  await agenda.now('sending-sweep');
  await eventually('sent by the sweep', async () => (await a.messages()).join(), { until: (m) => m === '+33612345601:sent,+33612345602:sent' });
  t.equal((await a.campaignRow()).status, 'draft');
});
