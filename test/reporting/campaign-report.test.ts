// The campaign report (/reporting/:id): its figures checked against known messages written with
// SQL (the rollup triggers keep the figures), an automation campaign's period and programs, the
// CSV of its messages, the refresh while it sends, and another account's campaign.
import t from 'tap';
import type { MikroORM } from '@mikro-orm/postgresql';
import { addUser, buildTestApp, createTenant, signedIn } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import type { Account } from '../../src/modules/accounts/account.entity.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';
import { query } from '../sending/helpers.js';
import { inboundNumber } from '../inbound/helpers.js';
import { addEvent, addProgram } from '../automation/event-helpers.js';

const SENT_AT = '2026-03-10T08:00:00Z'; // 09:00 in Paris

async function campaignOf(orm: MikroORM, account: Account, fields: { name?: string; status?: string; kind?: string } = {}) {
  const em = withAccount(orm.em.fork(), account.id);
  const campaign = em.create(Campaign, { account: account.id, name: fields.name ?? 'Spring sale', sender: 'ACME', body: 'Hi', createdBy: 'test' });
  await em.flush();
  await query(orm, `update campaign set status = ?, kind = ?, launched_at = ?, first_sent_at = ?, finished_at = ? where id = ?`, [
    fields.status ?? 'sent', fields.kind ?? 'batch', SENT_AT, SENT_AT, fields.status === 'sending' ? null : '2026-03-10T09:30:00Z', campaign.id,
  ]);
  return campaign;
}

interface MessageFields {
  phone?: string;
  status: string;
  skip_reason?: string;
  bounce?: string;
  waiting?: string;
  country?: string;
  parts?: number | null;
  cost_micros?: number | null;
  sent_at?: string | null;
  unsubscribed_at?: string;
  is_test?: boolean;
  error_code?: string;
  program_id?: string;
  run_id?: number;
  contact_id?: number;
}

let phones = 0;

/** `count` messages of the campaign, as the dispatcher and delivery reports leave them. */
async function messages(orm: MikroORM, account: Account, campaignId: string, count: number, m: MessageFields) {
  const sent = m.sent_at === undefined ? (['queued', 'sending', 'skipped'].includes(m.status) ? null : SENT_AT) : m.sent_at;
  for (let i = 0; i < count; i++) {
    await query(
      orm,
      `insert into message (account_id, campaign_id, phone, status, skip_reason, bounce, waiting, country, parts, cost_micros, sent_at, unsubscribed_at, is_test, error_code, program_id, run_id, contact_id, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        account.id, campaignId, m.phone ?? `+336000${String(++phones).padStart(5, '0')}`, m.status, m.skip_reason ?? null, m.bounce ?? null, m.waiting ?? null, m.country ?? 'FR',
        m.parts === undefined ? (sent ? 1 : null) : m.parts, m.cost_micros === undefined ? (sent ? 50_000 : null) : m.cost_micros, sent, m.unsubscribed_at ?? null, m.is_test ?? false,
        m.error_code ?? null, m.program_id ?? null, m.run_id ?? null, m.contact_id ?? null, '2026-03-10T07:55:00Z',
      ],
    );
  }
}

/** The figure shown next to `data-stat="<name>"`. */
function stat(html: string, name: string): string {
  const match = new RegExp(`data-stat="${name}">([^<]*)<`).exec(html);
  return match ? match[1]!.trim() : `(no ${name})`;
}

/** The cells of the table row whose first cell names `label`. */
function rowOf(html: string, tableId: string, label: string): string[] {
  const table = new RegExp(`<table[^>]*id="${tableId}"[\\s\\S]*?</table>`).exec(html)?.[0] ?? '';
  const row = [...table.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').trim()));
  return row.find((cells) => cells[0] === label) ?? [];
}

t.test('a batch campaign report: sent, delivered, bounces, pending, not sent and why, rate, unsubscribes, clicks and countries', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const campaign = await campaignOf(orm, account);
  const add = (count: number, m: MessageFields) => messages(orm, account, campaign.id, count, m);
  await add(1, { status: 'delivered', phone: '+33611111111', unsubscribed_at: '2026-03-10T08:30:00Z' });
  await add(2, { status: 'delivered' });
  await add(1, { status: 'delivered', country: 'DE', parts: 2, cost_micros: 100_000, sent_at: '2026-03-10T09:10:00Z' });
  await add(1, { status: 'undelivered', bounce: 'hard' });
  await add(1, { status: 'undelivered', bounce: 'soft' });
  await add(1, { status: 'undelivered' }); // no bounce known: unknown
  await add(1, { status: 'failed' }); // failed after it was sent, no bounce: unknown
  await add(1, { status: 'failed', sent_at: null, parts: 1, cost_micros: 50_000 }); // refused before it left: refunded
  await add(1, { status: 'sent' });
  await add(2, { status: 'skipped', skip_reason: 'opted_out' });
  for (const reason of ['bad_number', 'opted_out_of_number', 'insufficient_credit', 'cancelled', 'erased', 'duplicate']) await add(1, { status: 'skipped', skip_reason: reason });
  await add(1, { status: 'queued', waiting: 'quiet_hours' });
  await add(1, { status: 'queued' });
  await add(1, { status: 'sending' });
  await add(3, { status: 'delivered', is_test: true }); // test sends are not the campaign's
  const [clicked] = await query<{ id: string }>(orm, `select id from message where phone = '+33611111111'`);
  const [link] = await query<{ id: string }>(orm, `insert into link (account_id, campaign_id, position, url) values (?, ?, 1, 'https://shop.example/spring') returning id`, [account.id, campaign.id]);
  for (let i = 0; i < 2; i++) await query(orm, 'insert into click (account_id, link_id, message_id) values (?, ?, ?)', [account.id, link!.id, clicked!.id]);
  const { inbound } = await inboundNumber(orm, account, '+33644000001');
  await query(
    orm,
    `insert into inbound_message (account_id, gateway_id, gateway_message_id, inbound_number_id, from_raw, phone, to_number, body, received_at, status, classification, keyword)
     select ?, gateway_id, 'stop-1', id, '+33611111111', '+33611111111', number, 'STOP', '2026-03-11T10:00:00Z', 'processed', 'opt_out', 'STOP' from inbound_number where id = ?`,
    [account.id, inbound.id],
  );

  const viewer = await signedIn(app, await addUser(orm, account, 'viewer'));
  const page = await viewer.get(`/reporting/${campaign.id}`);
  t.equal(page.statusCode, 200, 'a viewer may read the report');
  const html = page.body;
  t.same(
    Object.fromEntries(['recipients', 'sent', 'delivered', 'delivery-rate', 'undelivered', 'bounce-hard', 'bounce-soft', 'bounce-unknown', 'pending', 'parts', 'cost'].map((name) => [name, stat(html, name)])),
    { recipients: '21', sent: '9', delivered: '4', 'delivery-rate': '44.4%', undelivered: '4', 'bounce-hard': '1', 'bounce-soft': '1', 'bounce-unknown': '2', pending: '2', parts: '11', cost: '€0.50' },
  );
  t.same(
    Object.fromEntries(['opted_out', 'bad_number', 'opted_out_of_number', 'insufficient_credit', 'quiet_hours', 'cancelled', 'erased', 'duplicate', 'refused'].map((r) => [r, stat(html, `not-sent-${r}`)])),
    { opted_out: '2', bad_number: '1', opted_out_of_number: '1', insufficient_credit: '1', quiet_hours: '1', cancelled: '1', erased: '1', duplicate: '1', refused: '1' },
  );
  t.equal(stat(html, 'not-sent'), '10');
  t.equal(stat(html, 'unsubscribes'), '1', 'unsubscribed by the link');
  t.equal(stat(html, 'stop-replies'), '1', 'the STOP reply the next day');
  t.match(html, 'attributed by time');
  t.same(rowOf(html, 'report-clicks', 'https://shop.example/spring'), ['https://shop.example/spring', '1', '2'], 'unique and total clicks');
  t.same(rowOf(html, 'report-countries', 'France (FR)').slice(1), ['8', '9', '€0.40'], 'France: sent, parts (a refused message had its part), cost (refunded)');
  t.same(rowOf(html, 'report-countries', 'Germany (DE)').slice(1), ['1', '2', '€0.10']);
  t.same(rowOf(html, 'report-chart-table', '10-03 09:00'), ['10-03 09:00', '3', '4', '1'], 'per local hour: delivered, undelivered, other');
  t.same(rowOf(html, 'report-chart-table', '10-03 10:00'), ['10-03 10:00', '1', '0', '0']);
  t.match(html, '<figure class="chart" id="report-chart"');
  t.match(html, `href="/create/${campaign.id}"`, 'links to the campaign page');
  t.match(html, `href="/reporting/${campaign.id}/messages.csv"`, 'links to the CSV');
});

t.test('country labels, when unknown', async (t) => {
  // (kept simple: the country table names a message without a known country "Unknown")
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const campaign = await campaignOf(orm, account);
  await query(orm, `insert into message (account_id, campaign_id, phone, status, parts, cost_micros, sent_at) values (?, ?, '+99900000001', 'delivered', 1, 50000, ?)`, [account.id, campaign.id, SENT_AT]);
  const html = (await (await signedIn(app, owner)).get(`/reporting/${campaign.id}`)).body;
  t.same(rowOf(html, 'report-countries', 'Unknown').slice(1), ['1', '1', '€0.05']);
});

t.test('a report spanning more than three days is drawn per local day', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const campaign = await campaignOf(orm, account);
  await messages(orm, account, campaign.id, 2, { status: 'delivered', sent_at: '2026-03-10T22:30:00Z' }); // 23:30 in Paris
  await messages(orm, account, campaign.id, 1, { status: 'undelivered', bounce: 'hard', sent_at: '2026-03-10T23:30:00Z' }); // 00:30 on the 11th
  await messages(orm, account, campaign.id, 1, { status: 'sent', sent_at: '2026-03-14T12:00:00Z' });
  const html = (await (await signedIn(app, owner)).get(`/reporting/${campaign.id}`)).body;
  t.match(html, 'Messages sent per day');
  t.same(rowOf(html, 'report-chart-table', '10-03-2026'), ['10-03-2026', '2', '0', '0']);
  t.same(rowOf(html, 'report-chart-table', '11-03-2026'), ['11-03-2026', '0', '1', '0']);
  t.same(rowOf(html, 'report-chart-table', '12-03-2026'), ['12-03-2026', '0', '0', '0'], 'a day without sends is a bar of nothing');
  t.same(rowOf(html, 'report-chart-table', '14-03-2026'), ['14-03-2026', '0', '0', '1']);
});

t.test('an automation campaign is reported for a period, per program', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const campaign = await campaignOf(orm, account, { name: 'Order shipped', kind: 'automation', status: 'sending' });
  await query(orm, `update campaign set launched_at = null, recipient_source = 'automation' where id = ?`, [campaign.id]);
  const event = await addEvent(orm, account, 'order_shipped');
  const shipping = await addProgram(orm, account, event, 'Shipping notice');
  const survey = await addProgram(orm, account, event, 'Survey');
  const gone = '00000000-0000-4000-8000-0000000000aa';
  let run = 0;
  const add = (count: number, m: MessageFields) => messages(orm, account, campaign.id, count, { ...m, run_id: ++run });
  await add(2, { status: 'delivered', program_id: shipping.id, sent_at: '2026-03-10T22:30:00Z' }); // 10 March, 23:30 in Paris
  await add(1, { status: 'undelivered', bounce: 'soft', program_id: shipping.id, sent_at: '2026-03-10T23:30:00Z' }); // 11 March
  await add(1, { status: 'delivered', program_id: survey.id, sent_at: '2026-03-10T12:00:00Z' });
  await add(1, { status: 'delivered', program_id: gone, sent_at: '2026-03-10T13:00:00Z' });
  await add(1, { status: 'skipped', skip_reason: 'opted_out', program_id: survey.id, sent_at: null });
  await add(4, { status: 'delivered', program_id: survey.id, sent_at: '2026-02-10T12:00:00Z' }); // a month earlier

  const client = await signedIn(app, owner);
  const html = (await client.get(`/reporting/${campaign.id}?range=custom&from=2026-03-10&to=2026-03-10`)).body;
  t.match(html, '10 Mar 2026', 'the period shown');
  t.same([stat(html, 'recipients'), stat(html, 'sent'), stat(html, 'delivered'), stat(html, 'not-sent-opted_out'), stat(html, 'bounce-soft')], ['5', '4', '4', '1', '0'], "10 March's messages only (local days)");
  t.same(rowOf(html, 'report-programs', 'Shipping notice').slice(1), ['2', '2', '2', '0', '0', '€0.10']);
  t.same(rowOf(html, 'report-programs', 'Survey').slice(1), ['2', '1', '1', '0', '1', '€0.05']);
  t.same(rowOf(html, 'report-programs', 'Deleted program').slice(1), ['1', '1', '1', '0', '0', '€0.05']);
  t.same(rowOf(html, 'report-chart-table', '10-03 23:00'), ['10-03 23:00', '2', '0', '0'], 'one day: per local hour');

  const wider = (await client.get(`/reporting/${campaign.id}?range=custom&from=2026-03-10&to=2026-03-11`)).body;
  t.same([stat(wider, 'sent'), stat(wider, 'bounce-soft')], ['5', '1'], 'the next local day brings the soft bounce');
  t.same(rowOf(wider, 'report-programs', 'Shipping notice').slice(1, 5), ['3', '3', '2', '1']);
  const bad = (await client.get(`/reporting/${campaign.id}?range=custom&from=2026-03-11&to=2026-03-01`)).body;
  t.match(bad, 'The end day comes before the start day.');
});

t.test('the CSV export lists every message of the campaign with its status and times in the account zone', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const campaign = await campaignOf(orm, account);
  await messages(orm, account, campaign.id, 1, { status: 'undelivered', bounce: 'hard', phone: '+33612345678', contact_id: 42, error_code: '1', parts: 2, cost_micros: 100_000 });
  await messages(orm, account, campaign.id, 1, { status: 'skipped', skip_reason: 'opted_out', phone: '+33612345679' });
  await messages(orm, account, campaign.id, 1, { status: 'failed', sent_at: null, phone: '+33612345670', parts: 1, cost_micros: 50_000 });
  await messages(orm, account, campaign.id, 1, { status: 'delivered', is_test: true, phone: '+33699999999' });
  await query(orm, `update message set reported_at = '2026-03-10T08:01:00Z' where phone = '+33612345678'`);

  const response = await (await signedIn(app, owner)).get(`/reporting/${campaign.id}/messages.csv`);
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], /text\/csv/);
  t.match(response.headers['content-disposition'], /attachment; filename="campaign-spring-sale-\d{4}-\d{2}-\d{2}\.csv"/);
  t.same(response.body.split('\r\n'), [
    'phone,contact_id,country,status,skip_reason,bounce,error_code,parts,cost,currency,created_at,sent_at,reported_at',
    '+33612345678,42,FR,undelivered,,hard,1,2,0.1,EUR,2026-03-10T08:55:00+01:00,2026-03-10T09:00:00+01:00,2026-03-10T09:01:00+01:00',
    '+33612345679,,FR,skipped,opted_out,,,,,EUR,2026-03-10T08:55:00+01:00,,',
    '+33612345670,,FR,refused,,,,1,0,EUR,2026-03-10T08:55:00+01:00,,',
    '',
  ], 'test sends left out; a refused message was refunded');
});

t.test('a campaign of thousands of messages streams completely', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const campaign = await campaignOf(orm, account);
  await query(
    orm,
    `insert into message (account_id, campaign_id, phone, status, country, parts, cost_micros, sent_at)
     select ?, ?, '+3361' || lpad(g::text, 7, '0'), 'delivered', 'FR', 1, 50000, ? from generate_series(1, 4500) g`,
    [account.id, campaign.id, SENT_AT],
  );
  const lines = (await (await signedIn(app, owner)).get(`/reporting/${campaign.id}/messages.csv`)).body.split('\r\n').filter(Boolean);
  t.equal(lines.length, 4501, 'the header and every message, over several batches');
  t.match(lines[4500], /^\+33610004500,/, 'the last one written is the last line');
});

t.test('the figures refresh while the campaign sends, and stop once it is done', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const campaign = await campaignOf(orm, account, { status: 'sending' });
  await messages(orm, account, campaign.id, 2, { status: 'queued' });
  await messages(orm, account, campaign.id, 1, { status: 'delivered' });
  const client = await signedIn(app, owner);
  const sending = (await client.get(`/reporting/${campaign.id}`)).body;
  t.match(sending, `hx-get="/reporting/${campaign.id}/figures" hx-trigger="every 5s"`, 'while sending, the figures poll');
  t.equal(stat(sending, 'pending'), '2');

  await query(orm, `update message set status = 'delivered', sent_at = ?, parts = 1, cost_micros = 50000 where campaign_id = ? and status = 'queued'`, [SENT_AT, campaign.id]);
  await query(orm, `update campaign set status = 'sent' where id = ?`, [campaign.id]);
  const fragment = await client.get(`/reporting/${campaign.id}/figures`, { 'hx-request': 'true' });
  t.equal(fragment.statusCode, 200);
  t.match(fragment.body, /^\s*<section id="report-figures"/, 'the figures alone');
  t.equal(stat(fragment.body, 'delivered'), '3');
  t.notMatch(fragment.body, 'hx-get', 'done: no more polling');
  t.notMatch((await client.get(`/reporting/${campaign.id}`)).body, 'hx-trigger="every 5s"', 'a finished campaign does not poll');
  const plain = await client.get(`/reporting/${campaign.id}/figures`);
  t.equal(plain.statusCode, 303, 'without htmx, the figures URL leads to the report');
  t.equal(plain.headers.location, `/reporting/${campaign.id}`);
});

t.test("another account's campaign report is not found", async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const campaign = await campaignOf(orm, account);
  await messages(orm, account, campaign.id, 1, { status: 'delivered' });
  const other = await createTenant(orm, 'Other');
  const client = await signedIn(app, other.owner);
  for (const path of ['', '/figures', '/messages.csv']) t.equal((await client.get(`/reporting/${campaign.id}${path}`, { 'hx-request': 'true' })).statusCode, 404, `/reporting/:id${path}`);
  t.equal((await client.get('/reporting/not-a-uuid')).statusCode, 404, 'a malformed id');
});
