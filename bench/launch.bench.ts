// Launching a campaign to a million recipients: launchCampaign end to end (the checks — text,
// recipients summary, cost against the credit — then one transaction writing one message row per
// recipient with a single INSERT … SELECT).
//
// `npm run bench -- launch [--recipients 1000000] [--source list|segment] [--trace] [--explain]`
//
// A PostgreSQL of its own (the embedded server in .bench-data, port BENCH_PG_PORT or 5545, or
// DATABASE_URL's server when set) with a fresh, migrated database; N French contacts (one in
// twenty opted out) written set-based, all in a list and all matched by a segment (country is
// France), then VACUUM ANALYZE. A campaign with a placeholder and a tracked link on the list (or
// the segment) is scheduled for now and launched; only launchCampaign is timed. Afterwards the
// message rows are counted: queued + skipped must be N, skipped the opted-out ones.
// --trace prints the time of every statement of the launch; --explain then runs EXPLAIN
// (ANALYZE, BUFFERS) of the launch INSERT for a second campaign, rolled back.
// The last line is `BENCH launch recipients=<n> seconds=<launch seconds>`.
import { parseArgs } from 'node:util';
import { withAccount } from '../src/db/tenant.js';
import { launchCampaign } from '../src/modules/sending/launch.js';
import { writeRecipientsSql } from '../src/modules/sending/launch.queries.js';
import { recipientFilterOn } from '../src/modules/campaigns/recipients.queries.js';
import { positiveInteger } from './args.js';
import { openSendingFixture, seedContacts, scheduledCampaign, traceQueries, PUBLIC_URL, type SendingFixture } from './sending-fixture.js';

function log(line: string) {
  process.stderr.write(`bench launch: ${line}\n`);
}

/** EXPLAIN ANALYZE of the launch's INSERT … SELECT for another campaign, in a transaction rolled back. */
async function explainInsert(fixture: SendingFixture, source: 'list' | 'segment'): Promise<void> {
  const campaignId = await scheduledCampaign(fixture, { source, name: 'Explained' });
  const client = fixture.sql;
  await client.query('begin');
  try {
    const choice = source === 'list' ? { kind: 'list' as const, listId: fixture.listId } : { kind: 'segment' as const, rules: { combinator: 'and' as const, conditions: [{ field: 'country', operator: 'equals' as const, value: 'FR' }] } };
    const filter = await recipientFilterOn(client, fixture.accountId, choice);
    const statement = writeRecipientsSql(filter, campaignId, fixture.gatewayId);
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers, wal, timing off) ${statement.text}`, statement.values);
    log(`EXPLAIN of the launch INSERT (${source}):\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`);
  } finally {
    await client.query('rollback');
  }
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { recipients: { type: 'string' }, source: { type: 'string' }, trace: { type: 'boolean' }, explain: { type: 'boolean' } }, strict: true });
  const recipients = positiveInteger('recipients', values.recipients, 1_000_000);
  const source = (values.source ?? 'list') as 'list' | 'segment';
  if (source !== 'list' && source !== 'segment') throw new Error(`--source must be list or segment, got "${values.source}"`);

  const fixture = await openSendingFixture(log);
  try {
    const seeded = await seedContacts(fixture, recipients);
    const campaignId = await scheduledCampaign(fixture, { source });
    // A checkpoint now, so the launch does not pay for the seeding's dirty pages.
    await fixture.sql.query('checkpoint');

    log(`launching a campaign on the ${source} of ${recipients} contacts`);
    const trace = values.trace ? traceQueries() : null;
    const started = performance.now();
    const result = await launchCampaign(withAccount(fixture.db.orm.em, fixture.accountId), campaignId, PUBLIC_URL);
    const seconds = (performance.now() - started) / 1000;
    trace?.stop();
    if (trace) log(`statements of the launch (call to result, ${(trace.total() / 1000).toFixed(2)} s in all):\n${trace.report()}`);
    log(`launch: ${JSON.stringify(result)} in ${seconds.toFixed(2)} s`);
    if (result.outcome !== 'launched') throw new Error(`the launch did not happen: ${JSON.stringify(result)}`);

    const { rows } = await fixture.sql.query<{ status: string; n: string }>('select status, count(*) as n from message where account_id = $1 and campaign_id = $2 group by status', [fixture.accountId, campaignId]);
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    log(`message rows: ${JSON.stringify(byStatus)}`);
    if ((byStatus.queued ?? 0) + (byStatus.skipped ?? 0) !== recipients || byStatus.skipped !== seeded.optedOut || result.queued !== byStatus.queued) {
      throw new Error(`expected ${recipients} message rows with ${seeded.optedOut} skipped, got ${JSON.stringify(byStatus)} (launch said ${JSON.stringify(result)})`);
    }
    const size = await fixture.sql.query<{ heap: string; indexes: string }>(`select pg_size_pretty(pg_table_size('message')) as heap, pg_size_pretty(pg_indexes_size('message')) as indexes`);
    log(`message table ${size.rows[0]!.heap}, its indexes ${size.rows[0]!.indexes}`);
    if (values.explain) await explainInsert(fixture, source);

    process.stdout.write(`BENCH launch recipients=${recipients} seconds=${seconds.toFixed(2)}\n`);
  } finally {
    await fixture.close();
  }
}
