// Dispatching a launched campaign: dispatchCampaign end to end (claim, render, parts, cost,
// debit, the simulator's send, the status writes) until every message is sent, with one lane or
// two lanes at once (two dispatchCampaign calls on the same campaign, as production runs
// DISPATCH_LANES jobs per campaign).
//
// `npm run bench -- dispatch [--messages 200000] [--lanes 1,2] [--trace]`
//
// A PostgreSQL of its own (the embedded server in .bench-data, port BENCH_PG_PORT or 5545, or
// DATABASE_URL's server when set) with a fresh, migrated database; N French contacts, all opted
// in, in a list; the simulator gateway at its highest rate (10,000 messages a second; batches of
// MAX_BATCH) with a delay of an hour before its reports (no reporter runs in a benchmark anyway).
// For each lane count, a new campaign with a placeholder and a tracked link (so every message
// gets a token) is launched untimed, VACUUM ANALYZE and a checkpoint follow, then the dispatch is
// timed while process.memoryUsage().rss is sampled every 100 ms. Afterwards: N messages sent,
// the campaign sent, N simulator messages, and the debits equal to the messages' costs.
// --trace prints the time of every statement of each dispatch (call to result, summed).
// The last line is `BENCH dispatch messages=<n> msgs_per_s=<int> rss_mb=<peak rss>` for the faster
// lane count (the line before it says which).
import { parseArgs } from 'node:util';
import { withAccount } from '../src/db/tenant.js';
import { launchCampaign } from '../src/modules/sending/launch.js';
import { dispatchCampaign, MAX_BATCH } from '../src/modules/sending/dispatcher.js';
import { positiveInteger } from './args.js';
import { openSendingFixture, seedContacts, scheduledCampaign, sampleRss, traceQueries, PUBLIC_URL, type SendingFixture } from './sending-fixture.js';

const MESSAGES_PER_SECOND = 10_000;

function log(line: string) {
  process.stderr.write(`bench dispatch: ${line}\n`);
}

interface LaneResult {
  lanes: number;
  seconds: number;
  msgsPerSecond: number;
  rssMb: number;
}

async function dispatchOnce(fixture: SendingFixture, messages: number, lanes: number, trace: boolean): Promise<LaneResult> {
  const { sql, accountId } = fixture;
  const campaignId = await scheduledCampaign(fixture, { name: `Spring sale, ${lanes} lane${lanes === 1 ? '' : 's'}` });
  const launched = await launchCampaign(withAccount(fixture.db.orm.em, accountId), campaignId, PUBLIC_URL);
  if (launched.outcome !== 'launched' || launched.queued !== messages) throw new Error(`the launch gave ${JSON.stringify(launched)}, not ${messages} queued`);
  await sql.query('vacuum analyze message');
  await sql.query('checkpoint');

  log(`${lanes} lane${lanes === 1 ? '' : 's'}: dispatching ${messages} messages`);
  const tracer = trace ? traceQueries() : null;
  const rss = sampleRss(100);
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: lanes }, () => dispatchCampaign(withAccount(fixture.db.orm.em, accountId), accountId, campaignId, { publicUrl: PUBLIC_URL, log: { warn: (obj, msg) => log(`warn: ${msg} ${JSON.stringify(obj)}`) } })),
  );
  const seconds = (performance.now() - started) / 1000;
  const rssMb = rss.stop();
  tracer?.stop();
  if (tracer) log(`${lanes} lane(s): statements (call to result, summed over lanes: ${(tracer.total() / 1000).toFixed(2)} s):\n${tracer.report()}`);

  const dispatched = outcomes.reduce((sum, o) => sum + o.dispatched, 0);
  log(`${lanes} lane(s): outcomes ${JSON.stringify(outcomes)}`);
  const { rows } = await sql.query<{ status: string; n: string; cost: string | null }>(
    'select status, count(*) as n, sum(cost_micros) as cost from message where account_id = $1 and campaign_id = $2 group by status',
    [accountId, campaignId],
  );
  const byStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  const cost = rows.reduce((sum, r) => sum + Number(r.cost ?? 0), 0);
  const [debits] = (await sql.query<{ debited: string; entries: string }>(`select coalesce(-sum(amount_micros), 0) as debited, count(*) as entries from credit_transaction where account_id = $1 and campaign_id = $2 and kind = 'debit'`, [accountId, campaignId])).rows;
  const [campaign] = (await sql.query<{ status: string }>('select status from campaign where account_id = $1 and id = $2', [accountId, campaignId])).rows;
  const [simulated] = (await sql.query<{ n: string }>(`select count(*) as n from simulator_message s join message m on m.account_id = s.account_id and m.id = s.client_ref::bigint where m.campaign_id = $1`, [campaignId])).rows;
  log(`${lanes} lane(s): messages ${JSON.stringify(byStatus)}, campaign ${campaign!.status}, simulator rows ${simulated!.n}, ${debits!.entries} debits of ${debits!.debited} for costs of ${cost}`);
  if (dispatched !== messages || byStatus.sent !== messages || campaign!.status !== 'sent' || Number(simulated!.n) !== messages || Number(debits!.debited) !== cost) {
    throw new Error(`${lanes} lane(s): the dispatch is incomplete or wrong (dispatched ${dispatched}, messages ${JSON.stringify(byStatus)}, campaign ${campaign!.status}, simulator ${simulated!.n}, debited ${debits!.debited} for ${cost})`);
  }
  const msgsPerSecond = messages / seconds;
  log(`${lanes} lane(s): ${messages} messages in ${seconds.toFixed(2)} s: ${Math.round(msgsPerSecond)} msg/s, peak RSS ${rssMb} MB (the gateway's limit allows ${MESSAGES_PER_SECOND} msg/s in batches of ${MAX_BATCH})`);
  return { lanes, seconds, msgsPerSecond, rssMb };
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { messages: { type: 'string' }, lanes: { type: 'string' }, trace: { type: 'boolean' } }, strict: true });
  const messages = positiveInteger('messages', values.messages, 200_000);
  const laneCounts = (values.lanes ?? '1,2').split(',').map((lane) => positiveInteger('lanes', lane.trim(), 1));

  const fixture = await openSendingFixture(log, { messagesPerSecond: MESSAGES_PER_SECOND });
  try {
    await seedContacts(fixture, messages, { optOutEvery: 0 });
    const results: LaneResult[] = [];
    for (const lanes of laneCounts) results.push(await dispatchOnce(fixture, messages, lanes, values.trace ?? false));
    for (const r of results) log(`summary: ${r.lanes} lane(s): ${Math.round(r.msgsPerSecond)} msg/s, ${r.seconds.toFixed(2)} s, peak RSS ${r.rssMb} MB`);
    const best = results.reduce((a, b) => (b.msgsPerSecond > a.msgsPerSecond ? b : a));
    log(`the BENCH line is the ${best.lanes}-lane run`);
    process.stdout.write(`BENCH dispatch messages=${messages} msgs_per_s=${Math.round(best.msgsPerSecond)} rss_mb=${best.rssMb}\n`);
  } finally {
    await fixture.close();
  }
}
