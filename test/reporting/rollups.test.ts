// The rollups behind the Dashboard (usage_daily) and the campaign figures (campaign_rollup) are
// the messages summed: after a mixed run through the real dispatcher, simulator, delivery reports,
// replies and erasure, their sums equal the same figures computed here from the message rows;
// folding and rebuilding keep them so, a rebuild repairs a damaged row, and a change of time zone
// moves the days.
import t, { type Test } from 'tap';
import pg from 'pg';
import pino from 'pino';
import type { MikroORM } from '@mikro-orm/postgresql';
import { buildTestApp, createTenant, eventually, signedIn } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { withClient } from '../../src/db/raw-client.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';
import { Contact } from '../../src/modules/contacts/contact.entity.js';
import { launchCampaign } from '../../src/modules/sending/launch.js';
import { dispatchCampaign } from '../../src/modules/sending/dispatcher.js';
import { campaignRollupRows, foldCampaignRollupOn, rebuildCampaignRollupOn } from '../../src/modules/sending/index.js';
import { foldUsageOn, rebuildUsageOn, usageRows } from '../../src/modules/reporting/usage.queries.js';
import { RollupKeeper } from '../../src/modules/reporting/rollups.js';
import { SimulatorReporter } from '../../src/modules/gateways/simulator-reporter.js';
import { automationCampaign, query, scheduleNow } from '../sending/helpers.js';
import { inboundNumber, receive, workers } from '../inbound/helpers.js';

const ALL_DAYS = { from: '2000-01-01', to: '2100-01-01' };
const log = pino({ level: 'silent' });

interface MessageRow {
  campaign_id: string | null;
  program_id: string | null;
  run_id: string | null;
  is_test: boolean;
  status: string;
  skip_reason: string | null;
  waiting: string | null;
  bounce: string | null;
  country: string | null;
  parts: number | null;
  cost_micros: string | null;
  unsubscribed: boolean;
  sent: boolean;
  /** The account-local day it was sent, and local hour it was sent (or else written). */
  day: string | null;
  hour: string;
}

const messageRows = (orm: MikroORM, accountId: string) =>
  query<MessageRow>(
    orm,
    `select m.campaign_id, m.program_id, m.run_id, m.is_test, m.status, m.skip_reason, m.waiting, m.bounce, m.country, m.parts, m.cost_micros,
            m.unsubscribed_at is not null as unsubscribed, m.sent_at is not null as sent,
            to_char(m.sent_at at time zone a.time_zone, 'YYYY-MM-DD') as day,
            to_char(coalesce(m.sent_at, m.created_at) at time zone a.time_zone, 'YYYY-MM-DD HH24:00') as hour
     from message m join account a on a.id = m.account_id where m.account_id = ?`,
    [accountId],
  );

/** Adds `figures` to the entry of `key` in `totals`. */
function add(totals: Map<string, Record<string, number>>, key: string, figures: Record<string, number>) {
  const sums = totals.get(key) ?? Object.fromEntries(Object.keys(figures).map((name) => [name, 0]));
  for (const [name, value] of Object.entries(figures)) sums[name]! += value;
  totals.set(key, sums);
}

/** Keys whose figures are all zero are no figures at all. */
const withoutZeros = (totals: Map<string, Record<string, number>>) => Object.fromEntries([...totals].filter(([, sums]) => Object.values(sums).some((v) => v !== 0)).sort(([a], [b]) => a.localeCompare(b)));

/** The Dashboard's figures computed from the messages: what left (sent_at), on its local day. */
async function usageFromMessages(orm: MikroORM, accountId: string) {
  const totals = new Map<string, Record<string, number>>();
  for (const m of await messageRows(orm, accountId)) {
    if (!m.sent) continue;
    const kind = m.campaign_id === null || m.is_test ? 'transactional' : m.run_id !== null ? 'automated' : 'batch';
    add(totals, `${m.day} ${m.country ?? ''} ${kind}`, {
      messages: 1,
      parts: m.parts ?? 0,
      costMicros: Number(m.cost_micros ?? 0),
      delivered: m.status === 'delivered' ? 1 : 0,
      undelivered: m.status === 'undelivered' || m.status === 'failed' ? 1 : 0,
    });
  }
  return withoutZeros(totals);
}

async function usageFromRollup(orm: MikroORM, accountId: string) {
  const totals = new Map<string, Record<string, number>>();
  for (const { day, country, kind, ...figures } of await usageRows(orm.em.fork(), accountId, ALL_DAYS)) add(totals, `${day} ${country} ${kind}`, figures);
  return withoutZeros(totals);
}

/** A campaign's figures computed from its messages; a message refused before it left is
 * `refused`, and its cost was refunded. */
async function campaignFromMessages(orm: MikroORM, accountId: string, campaignId: string) {
  const totals = new Map<string, Record<string, number>>();
  for (const m of await messageRows(orm, accountId)) {
    if (m.campaign_id !== campaignId || m.is_test) continue;
    const refused = m.status === 'failed' && !m.sent;
    add(totals, [m.hour, m.country ?? '', m.program_id, refused ? 'refused' : m.status, m.skip_reason, m.waiting, m.bounce].join(' '), {
      messages: 1,
      parts: m.parts ?? 0,
      costMicros: refused ? 0 : Number(m.cost_micros ?? 0),
      unsubscribes: m.unsubscribed ? 1 : 0,
    });
  }
  return withoutZeros(totals);
}

/** The local hour ('YYYY-MM-DD HH:00:00') as 'YYYY-MM-DD HH:00'. */
const hourOf = (hour: string) => hour.slice(0, 16);

async function campaignFromRollup(orm: MikroORM, accountId: string, campaignId: string) {
  const totals = new Map<string, Record<string, number>>();
  for (const { hour, country, programId, status, skipReason, waiting, bounce, ...figures } of await campaignRollupRows(orm.em.fork(), accountId, campaignId)) {
    add(totals, [hourOf(hour), country, programId, status, skipReason, waiting, bounce].join(' '), figures);
  }
  return withoutZeros(totals);
}

/** Rows per key in a rollup table, for the account: after a fold, one each. */
const rowsPerKey = async (orm: MikroORM, table: string, key: string, accountId: string) =>
  (await query<{ rows: string; keys: string }>(orm, `select count(*) as rows, count(distinct (${key})) as keys from ${table} where account_id = ?`, [accountId]))[0]!;

const USAGE_KEY = 'day, country, kind';
const CAMPAIGN_KEY = 'campaign_id, hour, country, status, program_id, skip_reason, waiting, bounce';

async function fold(orm: MikroORM) {
  await withClient(orm.em.fork(), async (client) => {
    while ((await foldUsageOn(client, 1000)) === 1000);
    while ((await foldCampaignRollupOn(client, 1000)) === 1000);
  });
}

/** An account's mixed run: a batch campaign through the simulator (refused for good, refused for
 * now and retried, delivered and undelivered reports), an automation campaign, test sends, STOP
 * replies, an erased contact, a cancelled campaign and a deleted draft with test sends. */
async function mixedRun(t: Test) {
  const { app, orm, base, databaseUrl } = await buildTestApp(t, {}, undefined, { listen: true });
  const auto = await automationCampaign(orm, { simulator: { reject_rate: '0.15', soft_bounce_rate: '0.3', failure_rate: '0.4' } });
  const { account, owner, list, em } = auto;
  const more = Array.from({ length: 30 }, (_, i) => em.create(Contact, { account, phone: `+336123457${String(i).padStart(2, '0')}`, country: i % 3 ? 'FR' : 'DE' }));
  await em.flush();
  for (const contact of more) await query(orm, 'insert into contact_list_member (list_id, contact_id, account_id) values (?, ?, ?)', [list.id, contact.id, account.id]);
  const newCampaign = async (name: string) => {
    const campaign = em.create(Campaign, { account: account.id, name, sender: 'Textcast', body: 'Hello {{first_name|there}}, spring sale today!', recipientSource: 'list', list, createdBy: 'test' });
    await em.flush();
    return campaign;
  };
  const dispatch = (campaignId: string) => dispatchCampaign(withAccount(orm.em, account.id), account.id, campaignId, { publicUrl: base });
  const client = await signedIn(app, owner);
  const testSend = async (campaignId: string) => {
    await client.get(`/create/${campaignId}`);
    t.equal((await client.post(`/create/${campaignId}/test`, { phones: '+33612345601, +33612345602' })).statusCode, 303, 'test sent');
    await dispatch(campaignId);
  };
  /** Dispatches until nothing waits for a retry (a refusal for now is due again at once). */
  const sendAll = async (campaignId: string) => {
    for (let round = 0; round < 10; round++) {
      await dispatch(campaignId);
      const waiting = await query(orm, `update message set not_before = now() where campaign_id = ? and status = 'queued' returning id`, [campaignId]);
      if (!waiting.length) return;
    }
  };

  const batch = await newCampaign('Spring sale');
  await testSend(batch.id);
  await scheduleNow(orm, account, batch.id);
  await launchCampaign(withAccount(orm.em, account.id), batch.id, base);
  await sendAll(batch.id);

  await auto.queue(more.slice(0, 12).map((contact) => ({ contactId: contact.id })));
  await sendAll(auto.campaign.id);

  const { gateway } = await inboundNumber(orm, account);
  const inbound = workers(orm);
  for (const contact of more.slice(20, 24)) await receive(app, gateway, { from: contact.phone, text: 'STOP' });
  await inbound.process();
  for (let round = 0; round < 5; round++) {
    await inbound.sendReplies();
    await query(orm, `update message set not_before = now() where account_id = ? and campaign_id is null and status = 'queued'`, [account.id]);
  }

  const reporter = new SimulatorReporter(orm, base, log);
  await eventually(
    'every accepted message reported',
    async () => {
      await reporter.tick();
      return query(orm, `select id from message where account_id = ? and status = 'sent'`, [account.id]);
    },
    { until: (rows) => rows.length === 0 },
  );

  await client.get(`/contacts/${more[1]!.id}/delete`);
  t.equal((await client.post(`/contacts/${more[1]!.id}/delete`)).statusCode, 303, 'a contact erased');

  const cancelled = await newCampaign('Cancelled sale');
  await scheduleNow(orm, account, cancelled.id);
  await launchCampaign(withAccount(orm.em, account.id), cancelled.id, base);
  await client.get(`/create/${cancelled.id}/cancel`);
  t.equal((await client.post(`/create/${cancelled.id}/cancel`)).statusCode, 303, 'a campaign cancelled');

  const draft = await newCampaign('Draft');
  await testSend(draft.id);
  await client.get(`/create/${draft.id}/delete`);
  t.equal((await client.post(`/create/${draft.id}/delete`)).statusCode, 303, 'a draft deleted after its test sends');

  return { app, orm, databaseUrl, account, batch, auto, cancelled, campaignIds: [batch.id, auto.campaign.id, cancelled.id] };
}

t.test('after a mixed run the rollups equal the messages, before and after folding, and a rebuild finds nothing to fix until a row is damaged', async (t) => {
  const { orm, account, batch, campaignIds } = await mixedRun(t);
  const outcomes = await query<{ outcome: string }>(
    orm,
    `select distinct case when status = 'failed' and sent_at is null then 'refunded' when attempts > 1 and sent_at is not null then 'retried' else status end as outcome
     from message where campaign_id = ?`,
    [batch.id],
  );
  for (const outcome of ['refunded', 'retried', 'delivered', 'undelivered', 'skipped']) t.ok(outcomes.some((o) => o.outcome === outcome), `the batch campaign has ${outcome} messages`);
  const kinds = Object.keys(await usageFromMessages(orm, account.id)).map((key) => key.split(' ')[2]);
  t.same([...new Set(kinds)].sort(), ['automated', 'batch', 'transactional'], 'the run sent every kind of message');

  const expectedUsage = await usageFromMessages(orm, account.id);
  const expectedCampaigns = await Promise.all(campaignIds.map((id) => campaignFromMessages(orm, account.id, id)));
  const check = async (when: string) => {
    t.same(await usageFromRollup(orm, account.id), expectedUsage, `${when}: usage per day, country and kind is the messages'`);
    for (const [i, id] of campaignIds.entries()) t.same(await campaignFromRollup(orm, account.id, id), expectedCampaigns[i], `${when}: campaign ${i + 1}'s rollup is its messages'`);
  };
  await check('as the triggers left them');
  t.ok(Number((await rowsPerKey(orm, 'usage_daily', USAGE_KEY, account.id)).rows) > Object.keys(expectedUsage).length, 'unfolded, there are several rows per key');

  await fold(orm);
  await check('folded');
  for (const [table, key] of [['usage_daily', USAGE_KEY], ['campaign_rollup', CAMPAIGN_KEY]] as const) {
    const { rows, keys } = await rowsPerKey(orm, table, key, account.id);
    t.equal(rows, keys, `${table}: one row per key once folded`);
  }

  await withClient(orm.em.fork(), async (client) => {
    t.equal(await rebuildUsageOn(client, account.id, ALL_DAYS), 0, 'rebuilding the usage finds nothing to fix');
    for (const id of campaignIds) t.equal(await rebuildCampaignRollupOn(client, account.id, id), 0, 'rebuilding a campaign finds nothing to fix');

    await client.query(`update usage_daily set messages = messages + 5 where id = (select min(id) from usage_daily where account_id = $1)`, [account.id]);
    await client.query(`update campaign_rollup set cost_micros = cost_micros - 1 where id = (select min(id) from campaign_rollup where campaign_id = $1)`, [batch.id]);
    t.ok((await rebuildUsageOn(client, account.id, ALL_DAYS)) > 0, 'a damaged usage row is found');
    t.ok((await rebuildCampaignRollupOn(client, account.id, batch.id)) > 0, 'a damaged campaign row is found');
  });
  await check('rebuilt');
});

t.test('statements of two connections on one campaign while a fold runs end with exact sums', async (t) => {
  const { orm, databaseUrl, account, batch } = await mixedRun(t);
  const connect = async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    t.teardown(() => client.end());
    return client;
  };
  const [one, two] = await Promise.all([connect(), connect()]);
  await one.query('begin');
  await two.query('begin');
  await one.query(`update message set status = 'delivered', bounce = null where campaign_id = $1 and sent_at is not null and id % 2 = 0`, [batch.id]);
  await two.query(`update message set status = 'undelivered', bounce = 'soft' where campaign_id = $1 and sent_at is not null and id % 2 = 1`, [batch.id]);
  // Folds run while both are in flight, and as each commits.
  await fold(orm);
  await Promise.all([withClient(orm.em.fork(), (client) => foldUsageOn(client, 1000)), one.query('commit')]);
  await Promise.all([withClient(orm.em.fork(), (client) => foldCampaignRollupOn(client, 1000)), two.query('commit')]);
  t.same(await usageFromRollup(orm, account.id), await usageFromMessages(orm, account.id), 'usage is exact');
  t.same(await campaignFromRollup(orm, account.id, batch.id), await campaignFromMessages(orm, account.id, batch.id), "the campaign's rollup is exact");
  await fold(orm);
  t.same(await usageFromRollup(orm, account.id), await usageFromMessages(orm, account.id), 'and still once all is folded');
  t.same(await campaignFromRollup(orm, account.id, batch.id), await campaignFromMessages(orm, account.id, batch.id));
});

/** An account in Paris with a campaign whose messages are written straight into the table. */
async function parisCampaign(orm: MikroORM) {
  const { account } = await createTenant(orm);
  await query(orm, `update account set time_zone = 'Europe/Paris' where id = ?`, [account.id]);
  const campaign = (await query<{ id: string }>(orm, `insert into campaign (id, account_id, name, sender, body, recipient_source, status, created_by, created_at, updated_at) values (gen_random_uuid(), ?, 'Night sale', 'Textcast', 'Hi', 'list', 'sending', 'test', now(), now()) returning id`, [account.id]))[0]!;
  const insert = (row: { status: string; sentAt?: string; createdAt: string; cost?: number }) =>
    query<{ id: string }>(
      orm,
      `insert into message (account_id, campaign_id, phone, country, status, parts, cost_micros, sent_at, created_at) values (?, ?, '+33612345601', 'FR', ?, 1, ?, ?, ?) returning id`,
      [account.id, campaign.id, row.status, row.cost ?? 50_000, row.sentAt ?? null, row.createdAt],
    );
  return { account, campaign, insert };
}

t.test('a message sent at 23:30 local time counts on that day, and one refused for good after midnight counts nowhere', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account, campaign, insert } = await parisCampaign(orm);
  // 23:30 in Paris on 30 November; its delivery report comes after midnight.
  const [late] = await insert({ status: 'sent', sentAt: '2026-11-30T22:30:00Z', createdAt: '2026-11-30T22:29:00Z' });
  await query(orm, `update message set status = 'delivered' where id = ?`, [late!.id]);
  // Billed at 23:50 in Paris, refused for good at 00:10 and refunded.
  const [refused] = await insert({ status: 'sending', createdAt: '2026-11-30T22:50:00Z' });
  await query(orm, `update message set status = 'failed', error_code = 'SIM-REJECTED' where id = ?`, [refused!.id]);

  t.same(await usageRows(orm.em.fork(), account.id, ALL_DAYS), [{ day: '2026-11-30', country: 'FR', kind: 'batch', messages: 1, parts: 1, costMicros: 50_000, delivered: 1, undelivered: 0 }]);
  const rows = (await campaignRollupRows(orm.em.fork(), account.id, campaign.id)).map((r) => [hourOf(r.hour), r.status, r.messages, r.costMicros]);
  t.same(rows.sort(), [
    ['2026-11-30 23:00', 'delivered', 1, 50_000],
    ['2026-11-30 23:00', 'refused', 1, 0],
  ]);
});

t.test('after a change of time zone the rollup keeper rebuilds the rollups on the new local days', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account, campaign, insert } = await parisCampaign(orm);
  await insert({ status: 'delivered', sentAt: '2026-11-30T23:30:00Z', createdAt: '2026-11-30T23:29:00Z' }); // 00:30 on 1 December in Paris
  const keeper = new RollupKeeper(orm, log);
  await keeper.tick();
  t.same((await usageRows(orm.em.fork(), account.id, ALL_DAYS)).map((r) => r.day), ['2026-12-01']);

  await query(orm, `update account set time_zone = 'America/New_York' where id = ?`, [account.id]);
  await keeper.tick();
  t.same((await usageRows(orm.em.fork(), account.id, ALL_DAYS)).map((r) => r.day), ['2026-11-30'], '18:30 on 30 November in New York');
  t.same((await campaignRollupRows(orm.em.fork(), account.id, campaign.id)).map((r) => hourOf(r.hour)), ['2026-11-30 18:00']);
});

t.test('deleting a campaign or an account leaves no rollup rows behind', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account, campaign, insert } = await parisCampaign(orm);
  await insert({ status: 'delivered', sentAt: '2026-11-30T10:00:00Z', createdAt: '2026-11-30T09:00:00Z' });
  const other = await parisCampaign(orm);
  await other.insert({ status: 'delivered', sentAt: '2026-11-30T10:00:00Z', createdAt: '2026-11-30T09:00:00Z' });
  await query(orm, 'delete from campaign where id = ?', [campaign.id]);
  t.same(await query(orm, 'select id from campaign_rollup where campaign_id = ?', [campaign.id]), [], "the campaign's rollup went with it");
  await fold(orm);
  t.same(await usageRows(orm.em.fork(), account.id, ALL_DAYS), [], 'its messages went, and the usage with them');

  await query(orm, 'delete from account where id = ?', [other.account.id]);
  for (const table of ['usage_daily', 'campaign_rollup', 'rollup_zone']) t.same(await query(orm, `select account_id from ${table} where account_id = ?`, [other.account.id]), [], `no ${table} rows of the deleted account`);
});
