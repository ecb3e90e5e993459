// The Dashboard and a large campaign's figures at ten million messages: both must read the
// rollups (usage_daily, campaign_rollup), never group the message table.
//
// `npm run bench -- dashboard [--messages 10000000] [--runs 9] [--explain]`
//
// A PostgreSQL of its own (the embedded server in .bench-data, port BENCH_PG_PORT or 5545, or
// DATABASE_URL's server when set) with a fresh, migrated database and one account in Paris. N
// messages written set-based (INSERT … SELECT from generate_series, in chunks, progress printed)
// over the last 90 days and 30 countries, with the rollup triggers active: one large batch
// campaign (a tenth of them, at most a million, sent over three hours five days ago), and of the
// rest half from 60 other batch campaigns, three tenths from 3 automation campaigns and two tenths
// transactional (replies); mostly delivered, some undelivered, refused (refunded), pending or
// skipped. The seeding rate is printed, and that of one chunk with the rollup triggers disabled
// (rolled back): the difference is the triggers' cost. Then the rollups are folded (as the
// keeper would) and the tables analysed.
// Timed, median of --runs after a warm-up, server time (Fastify's elapsed time of the reply),
// signed in over HTTP: GET /dashboard?range=last30, and the large campaign's report
// (GET /reporting/:id when that route exists, else its progress fragment GET /create/:id/progress
// as htmx polls it); and rebuildUsageOn of the busiest day. --explain prints EXPLAIN (ANALYZE,
// BUFFERS) of the rollup reads and of the day's rebuild.
// The last line is `BENCH dashboard messages=<n> dashboard_ms=<..> report_ms=<..> reconcile_s=<..>`.
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { openBenchDatabase, type BenchDatabase } from './database.js';
import { positiveInteger } from './args.js';
import { signIn, BENCH_PASSWORD } from './session.js';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/app.js';
import { withClient } from '../src/db/raw-client.js';
import { createAccount, createUser } from '../src/modules/accounts/accounts.service.js';
import { foldCampaignRollupOn, rebuildCampaignRollupOn } from '../src/modules/sending/index.js';
import { foldUsageOn, rebuildUsageOn, usageRows, USAGE_RECOMPUTE } from '../src/modules/reporting/usage.queries.js';
import { FOLD_BATCH } from '../src/modules/reporting/rollups.js';

const CHUNK = 250_000;
const BIG_CAMPAIGN_MAX = 1_000_000;
const BATCH_CAMPAIGNS = 60;
const AUTOMATION_CAMPAIGNS = 3;
const COUNTRIES = ['FR', 'DE', 'ES', 'IT', 'GB', 'BE', 'NL', 'PT', 'CH', 'AT', 'IE', 'PL', 'SE', 'NO', 'DK', 'FI', 'CZ', 'GR', 'RO', 'HU', 'US', 'CA', 'MX', 'BR', 'AR', 'MA', 'TN', 'SN', 'CI', 'ZA'];
const TARGET_MS = 150;
const TARGET_RECONCILE_S = 5;

function log(line: string) {
  process.stderr.write(`bench dashboard: ${line}\n`);
}

interface Seed {
  accountId: string;
  ownerEmail: string;
  gatewayId: string;
  bigId: string;
  bigSize: number;
  batchIds: string[];
  automationIds: string[];
  programIds: string[];
}

/** The account (Paris, quiet hours off), its owner, and the campaigns the messages belong to. */
async function seedAccount(db: BenchDatabase, sql: pg.ClientBase, messages: number): Promise<Seed> {
  const em = db.orm.em.fork();
  const account = createAccount(em, { name: 'Bench', timeZone: 'Europe/Paris' });
  const owner = await createUser(em, account, { email: `bench-${crypto.randomBytes(4).toString('hex')}@example.com`, password: BENCH_PASSWORD, role: 'owner' });
  await em.flush();
  await sql.query('update account set quiet_hours = false where id = $1', [account.id]);
  const gateway = await sql.query<{ id: string }>('select id from gateway where account_id = $1 and is_default', [account.id]);
  const campaigns = async (count: number, kind: 'batch' | 'automation', name: string, daysAgo: (i: string) => string) =>
    (
      await sql.query<{ id: string }>(
        `insert into campaign (id, account_id, name, kind, sender, body, recipient_source, status, created_by, created_at, updated_at, launched_at, first_sent_at, finished_at)
         select gen_random_uuid(), $1, $2 || ' ' || i, $3, 'Textcast', 'Hello {{first_name|there}}, our sale starts today. Reply STOP to opt out', $4, $5, 'bench',
                now() - make_interval(days => 91), now(), t, t, case when $3 = 'batch' then t + interval '3 hours' end
         from generate_series(1, $6::int) i, lateral (select now() - make_interval(days => ${daysAgo('i')}) as t) x
         order by i returning id`,
        [account.id, name, kind, kind === 'batch' ? 'list' : 'automation', kind === 'batch' ? 'sent' : 'sending', count],
      )
    ).rows.map((r) => r.id);
  const [bigId] = await campaigns(1, 'batch', 'Big sale', () => '5');
  return {
    accountId: account.id,
    ownerEmail: owner.email,
    gatewayId: gateway.rows[0]!.id,
    bigId: bigId!,
    bigSize: Math.min(BIG_CAMPAIGN_MAX, Math.floor(messages / 10)),
    // The batch campaign i sent 1 + 1.5 i days ago (the messages' rule below).
    batchIds: await campaigns(BATCH_CAMPAIGNS, 'batch', 'Weekly offer', (i) => `1 + (${i} - 1) * 89 / ${BATCH_CAMPAIGNS}`),
    automationIds: await campaigns(AUTOMATION_CAMPAIGNS, 'automation', 'Order shipped', () => '90'),
    programIds: Array.from({ length: AUTOMATION_CAMPAIGNS }, () => crypto.randomUUID()),
  };
}

/** Messages `from` to `to` (both included) of the seed, in one statement. Message i: the large
 * campaign's if i < bigSize, else by (i - bigSize) % 10 a batch (0–4), automated (5–7) or
 * transactional (8–9) one; its outcome and country are drawn from hashes of i. */
function insertMessages(sql: pg.ClientBase, seed: Seed, from: number, to: number) {
  return sql.query(
    `insert into message (account_id, campaign_id, phone, country, status, skip_reason, bounce, parts, price_micros, cost_micros, gateway_id, attempts,
                          not_before, created_at, sent_at, reported_at, run_id, program_id)
     select $1, k.campaign_id, '+3361' || lpad((i % 10000000)::text, 7, '0'), ($9::text[])[1 + c.n], o.status, o.skip_reason, o.bounce,
            case when o.status <> 'skipped' then p.parts end, case when o.status <> 'skipped' then p.price end, case when o.status <> 'skipped' then p.parts * p.price end,
            $3, case when o.status = 'skipped' then 0 else 1 end, k.at, k.at - interval '1 minute',
            case when o.status in ('delivered', 'undelivered', 'sent', 'unknown') then k.at end,
            case when o.status in ('delivered', 'undelivered') then k.at + interval '20 seconds' end,
            case when k.kind = 'automated' then i end, case when k.kind = 'automated' then ($8::uuid[])[1 + i % ${AUTOMATION_CAMPAIGNS}] end
     from generate_series($4::bigint, $5::bigint) i
     cross join lateral (select abs(hashint8(i)::bigint) % 1000 as r, abs(hashint8(i + 100000000000)::bigint) % ${COUNTRIES.length} as n) c
     cross join lateral (select case when i < $10 then 'big' when (i - $10) % 10 < 5 then 'batch' when (i - $10) % 10 < 8 then 'automated' else 'transactional' end as kind) q
     cross join lateral (select q.kind,
            case q.kind when 'big' then $2::uuid when 'batch' then ($6::uuid[])[1 + (i / 10) % ${BATCH_CAMPAIGNS}] when 'automated' then ($7::uuid[])[1 + i % ${AUTOMATION_CAMPAIGNS}] end as campaign_id,
            case q.kind
              when 'big' then now() - interval '5 days' + make_interval(secs => i * 10800.0 / $10)
              when 'batch' then now() - make_interval(days => (1 + ((i / 10) % ${BATCH_CAMPAIGNS}) * 89 / ${BATCH_CAMPAIGNS})::int) + make_interval(secs => (i * 13) % 7200)
              else now() - make_interval(secs => 60 + (i * 7919) % (90 * 86400)) end as at) k
     cross join lateral (select case when c.r < 900 then 'delivered' when c.r < 940 then 'undelivered' when c.r < 960 then 'failed' when c.r < 980 then 'sent'
                                     when c.r < 990 or k.kind = 'transactional' then 'unknown' else 'skipped' end as status,
            case when c.r >= 990 and k.kind <> 'transactional' then 'opted_out' end as skip_reason,
            case when c.r >= 900 and c.r < 940 then (array['hard', 'soft'])[1 + c.r % 2] end as bounce) o
     cross join lateral (select 1 + (c.r % 7 = 0)::int as parts, 30000 + 2000 * c.n as price) p`,
    [seed.accountId, seed.bigId, seed.gatewayId, from, to, seed.batchIds, seed.automationIds, seed.programIds, COUNTRIES, seed.bigSize],
  );
}

async function seedMessages(sql: pg.ClientBase, seed: Seed, messages: number): Promise<void> {
  const started = performance.now();
  for (let from = 0; from < messages; from += CHUNK) {
    const to = Math.min(messages, from + CHUNK) - 1;
    await insertMessages(sql, seed, from, to);
    const seconds = (performance.now() - started) / 1000;
    log(`seeded ${to + 1} of ${messages} messages (${Math.round((to + 1) / seconds)}/s)`);
  }
  const seconds = (performance.now() - started) / 1000;
  log(`seeded ${messages} messages in ${seconds.toFixed(1)} s: ${Math.round(messages / seconds)} messages/s with the rollup triggers`);
}

/** One chunk more with the rollup triggers disabled, rolled back: what seeding costs without them. */
async function seedingRateWithoutTriggers(sql: pg.ClientBase, seed: Seed, messages: number): Promise<void> {
  const size = Math.min(CHUNK, messages);
  await sql.query('begin');
  try {
    for (const name of ['message_usage_rollup', 'message_campaign_rollup']) await sql.query(`alter table message disable trigger ${name}_insert`);
    const started = performance.now();
    await insertMessages(sql, seed, messages, messages + size - 1);
    const seconds = (performance.now() - started) / 1000;
    log(`without the rollup triggers: ${size} messages in ${seconds.toFixed(1)} s, ${Math.round(size / seconds)} messages/s (rolled back)`);
  } finally {
    await sql.query('rollback');
  }
}

/** With --explain: the plans of this connection's statements slower than a second, as notices. */
async function explainSlowStatements(client: pg.ClientBase): Promise<void> {
  client.on('notice', (notice) => log(`slow statement: ${notice.message}`));
  await client.query(`load 'auto_explain'`);
  for (const setting of ['log_min_duration = 1000', 'log_analyze = on', 'log_buffers = on', 'log_level = notice']) await client.query(`set auto_explain.${setting}`);
}

async function foldAll(db: BenchDatabase, sql: pg.ClientBase, explainSlow: boolean): Promise<void> {
  const started = performance.now();
  let rounds = 0;
  await withClient(db.orm.em.fork(), async (client) => {
    if (explainSlow) await explainSlowStatements(client);
    for (const [table, fold] of [['usage_daily', foldUsageOn], ['campaign_rollup', foldCampaignRollupOn]] as const) {
      const { rows } = await client.query<{ n: string }>(`select count(*) as n from ${table} where not folded`);
      const tableStarted = performance.now();
      for (let seen = FOLD_BATCH; seen === FOLD_BATCH; rounds++) seen = await fold(client, FOLD_BATCH);
      log(`folded ${rows[0]!.n} differences of ${table} in ${((performance.now() - tableStarted) / 1000).toFixed(1)} s`);
    }
  });
  await sql.query('vacuum analyze message, usage_daily, campaign_rollup');
  const { rows } = await sql.query<{ usage: string; campaign: string }>('select (select count(*) from usage_daily) as usage, (select count(*) from campaign_rollup) as campaign');
  log(`folded in ${((performance.now() - started) / 1000).toFixed(1)} s (${rounds} rounds, vacuum included): usage_daily ${rows[0]!.usage} rows, campaign_rollup ${rows[0]!.campaign} rows`);
}

/** The server time of each response, by URL (Fastify's elapsed time, from request to reply sent). */
function serverTimes(app: FastifyInstance): Map<string, number[]> {
  const times = new Map<string, number[]>();
  app.addHook('onResponse', async (request, reply) => {
    times.set(request.url, [...(times.get(request.url) ?? []), reply.elapsedTime]);
  });
  return times;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Median server time of `runs` GETs after one untimed. Every response must be a 200. */
async function timePage(base: string, url: string, headers: Record<string, string>, runs: number, times: Map<string, number[]>): Promise<number> {
  for (let run = 0; run <= runs; run++) {
    const response = await fetch(base + url, { headers, redirect: 'manual' });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
  }
  const ms = median((times.get(url) ?? []).slice(1));
  log(`GET ${url}: median ${ms.toFixed(1)} ms server time over ${runs} runs`);
  return ms;
}

async function explain(sql: pg.ClientBase, label: string, text: string, values: unknown[]): Promise<void> {
  const { rows } = await sql.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${text}`, values);
  log(`EXPLAIN ${label}:\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`);
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { messages: { type: 'string' }, runs: { type: 'string' }, explain: { type: 'boolean' } }, strict: true });
  const messages = positiveInteger('messages', values.messages, 10_000_000);
  const runs = positiveInteger('runs', values.runs, 9);

  const db = await openBenchDatabase(log);
  let app: FastifyInstance | undefined;
  try {
    const seed = await withClient(db.orm.em.fork(), async (sql) => {
      const seed = await seedAccount(db, sql, messages);
      await seedMessages(sql, seed, messages);
      await seedingRateWithoutTriggers(sql, seed, messages);
      await foldAll(db, sql, values.explain ?? false);
      return seed;
    });

    app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent' }), orm: db.orm, sessionSecret: crypto.randomBytes(32).toString('hex'), logger: false });
    const times = serverTimes(app);
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const cookie = await signIn(base, seed.ownerEmail);

    const dashboardMs = await timePage(base, '/dashboard?range=last30', { cookie }, runs, times);
    const hasReport = app.hasRoute({ method: 'GET', url: '/reporting/:id' });
    log(hasReport ? 'timing the campaign report page' : 'no /reporting/:id route in this branch: timing the progress fragment of the campaign page instead');
    const reportUrl = hasReport ? `/reporting/${seed.bigId}` : `/create/${seed.bigId}/progress`;
    const reportMs = await timePage(base, reportUrl, { cookie, 'hx-request': 'true' }, runs, times);

    const reconcileS = await withClient(db.orm.em.fork(), async (sql) => {
      // The busiest day: the large campaign's (five days ago, in Paris).
      const { rows } = await sql.query<{ day: string }>(`select to_char((now() - interval '5 days') at time zone 'Europe/Paris', 'YYYY-MM-DD') as day`);
      const day = rows[0]!.day;
      const usageStarted = performance.now();
      const differing = await rebuildUsageOn(sql, seed.accountId, { from: day, to: day });
      const seconds = (performance.now() - usageStarted) / 1000;
      log(`rebuildUsageOn of ${day}: ${seconds.toFixed(2)} s, ${differing} keys differed`);
      // A typical day (no large campaign in it), for comparison: the BENCH line keeps the busiest.
      const typical = (await sql.query<{ day: string }>(`select to_char((now() - interval '20 days') at time zone 'Europe/Paris', 'YYYY-MM-DD') as day`)).rows[0]!.day;
      const typicalStarted = performance.now();
      await rebuildUsageOn(sql, seed.accountId, { from: typical, to: typical });
      log(`rebuildUsageOn of a typical day (${typical}): ${((performance.now() - typicalStarted) / 1000).toFixed(2)} s`);
      const campaignStarted = performance.now();
      const campaignDiffering = await rebuildCampaignRollupOn(sql, seed.accountId, seed.bigId);
      log(`rebuildCampaignRollupOn of the large campaign (${seed.bigSize} messages; the hourly job does it for 4 days after a launch): ${((performance.now() - campaignStarted) / 1000).toFixed(2)} s, ${campaignDiffering} keys differed`);

      const usageStartedQuery = performance.now();
      const range = { from: rows[0]!.day, to: rows[0]!.day };
      await usageRows(db.orm.em.fork(), seed.accountId, range);
      log(`usageRows of one day, in process: ${(performance.now() - usageStartedQuery).toFixed(1)} ms`);
      if (values.explain) {
        await explain(sql, 'of the usage of 30 days', `select day, country, kind, sum(messages), sum(parts), sum(cost_micros), sum(delivered), sum(undelivered) from usage_daily where account_id = $1 and day between (now() - interval '29 days')::date and now()::date group by day, country, kind`, [seed.accountId]);
        await explain(sql, "of the large campaign's rollup", `select hour, country, program_id, status, skip_reason, waiting, bounce, sum(messages) from campaign_rollup where account_id = $1 and campaign_id = $2 group by hour, country, program_id, status, skip_reason, waiting, bounce`, [seed.accountId, seed.bigId]);
        const bounds = [`${day} 00:00 Europe/Paris`, `${day} 24:00 Europe/Paris`];
        await explain(sql, "of the day's recomputation", `select day, country, kind, sum(messages), sum(parts), sum(cost_micros), sum(delivered), sum(undelivered) from (${USAGE_RECOMPUTE}) d group by day, country, kind`, [seed.accountId, ...bounds]);
      }
      return seconds;
    });

    const verdict = (ok: boolean) => (ok ? 'within target' : 'OVER TARGET');
    log(`dashboard ${verdict(dashboardMs < TARGET_MS)}, report ${verdict(reportMs < TARGET_MS)}, reconcile ${verdict(reconcileS < TARGET_RECONCILE_S)}`);
    process.stdout.write(`BENCH dashboard messages=${messages} dashboard_ms=${dashboardMs.toFixed(1)} report_ms=${reportMs.toFixed(1)} reconcile_s=${reconcileS.toFixed(2)}\n`);
  } finally {
    await app?.close().catch((error) => log(`closing the app failed: ${error}`));
    await db.close();
  }
}
