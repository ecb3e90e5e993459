// Delivery-report webhook throughput: POST /webhooks/<gateway>/dlr as the simulator (or a
// generic gateway) sends them, each for a different message, against the floor of a bare Fastify
// POST route taking the same requests.
//
// `npm run bench -- dlr [--requests 100000] [--connections 50] [--warmup 5000]`
//
// A PostgreSQL of its own (the embedded server in .bench-data, port BENCH_PG_PORT or 5545, or
// DATABASE_URL's server when set) with a fresh, migrated database; the app as main.ts builds it
// (logging off) listening on a port; a campaign to requests + warmup (+ slack) French contacts,
// launched, then every message set `sent` with a gateway message id of its own (UUID-shaped,
// numbered) by SQL, VACUUM ANALYZE and a checkpoint. autocannon (in a worker thread, so the load
// generator does not share the app's event loop) sends a fixed number of requests, each with the
// gateway's bearer secret and the next message's id (one in twenty "undelivered" with an error
// code, the others "delivered"): an untimed warm-up on their own ids first, then the measured
// run; then the same for the bare route. Every report must be answered 200, and the
// message_event rows written during the measured run must equal its 200 responses.
// The last line is `BENCH dlr rps=<int> p99_ms=<p99 latency> empty_rps=<int> ratio=<dlr/empty>`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/app.js';
import { withAccount } from '../src/db/tenant.js';
import { launchCampaign } from '../src/modules/sending/launch.js';
import { positiveInteger } from './args.js';
import { openSendingFixture, seedContacts, scheduledCampaign, PUBLIC_URL } from './sending-fixture.js';

function log(line: string) {
  process.stderr.write(`bench dlr: ${line}\n`);
}

/** The gateway message id of the k-th message: UUID-shaped, as the simulator's are. */
const GATEWAY_ID_SQL = `'00000000-0000-4000-8000-' || lpad(k::text, 12, '0')`;

/** A setupRequest module for autocannon's worker: each request reports on the next message of
 * [first, first + count), cycling if autocannon asks for more. */
function writeSetupModule(dir: string, name: string, first: number, count: number): string {
  const file = path.join(dir, `${name}.cjs`);
  fs.writeFileSync(
    file,
    `'use strict';
let next = 0;
module.exports = (request) => {
  const k = ${first} + (next++ % ${count});
  const undelivered = k % 20 === 0;
  request.body = JSON.stringify({ id: '00000000-0000-4000-8000-' + String(k).padStart(12, '0'), status: undelivered ? 'undelivered' : 'delivered', error_code: undelivered ? 'SIM-UNREACHABLE' : null });
  return request;
};
`,
  );
  return file;
}

interface Load {
  url: string;
  amount: number;
  connections: number;
  setupRequest: string;
  headers: Record<string, string>;
}

async function load(options: Load) {
  return autocannon({
    url: options.url,
    amount: options.amount,
    connections: options.connections,
    workers: 1,
    requests: [{ method: 'POST', headers: options.headers, setupRequest: options.setupRequest as never }],
  });
}

function describe(label: string, result: autocannon.Result): { rps: number; ok: number } {
  const rps = result.requests.total / result.duration;
  const codes = Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => `${code}×${stat.count ?? 0}`).join(' ');
  log(
    `${label}: ${result.requests.total} requests in ${result.duration.toFixed(2)} s, ${Math.round(rps)}/s, latency avg ${result.latency.average} p50 ${result.latency.p50} p90 ${result.latency.p90} ` +
      `p99 ${result.latency.p99} max ${result.latency.max} ms, status ${codes || 'none'}, errors ${result.errors}, timeouts ${result.timeouts}`,
  );
  return { rps, ok: result.statusCodeStats?.['200']?.count ?? 0 };
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { requests: { type: 'string' }, connections: { type: 'string' }, warmup: { type: 'string' } }, strict: true });
  const requests = positiveInteger('requests', values.requests, 100_000);
  const connections = positiveInteger('connections', values.connections, 50);
  const warmup = positiveInteger('warmup', values.warmup, 5_000);
  // autocannon builds a connection's next request before it knows it is done: a few spare ids.
  const slack = connections * 4;
  const messages = requests + warmup + 2 * slack;

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'textcast-bench-dlr-'));
  const fixture = await openSendingFixture(log);
  const { sql, accountId } = fixture;
  let app: FastifyInstance | undefined;
  let empty: FastifyInstance | undefined;
  try {
    await seedContacts(fixture, messages, { optOutEvery: 0 });
    const campaignId = await scheduledCampaign(fixture);
    const launched = await launchCampaign(withAccount(fixture.db.orm.em, accountId), campaignId, PUBLIC_URL);
    if (launched.outcome !== 'launched' || launched.queued !== messages) throw new Error(`the launch gave ${JSON.stringify(launched)}`);
    const marked = await sql.query(
      `with numbered as (select id, row_number() over (order by id) - 1 as k from message where account_id = $1 and campaign_id = $2)
       update message m set status = 'sent', gateway_message_id = ${GATEWAY_ID_SQL}, sent_at = now(), attempts = 1
       from numbered where m.account_id = $1 and m.id = numbered.id`,
      [accountId, campaignId],
    );
    await sql.query(`update campaign set first_sent_at = now() where id = $1`, [campaignId]);
    await sql.query('vacuum analyze message');
    await sql.query('checkpoint');
    log(`${marked.rowCount} messages sent, each with its gateway message id`);

    const config = loadConfig({ LOG_LEVEL: 'silent' });
    app = await buildApp({ config, orm: fixture.db.orm, sessionSecret: crypto.randomBytes(32).toString('hex'), logger: false });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    empty = Fastify();
    empty.post('/webhooks/:gatewayId/dlr', async () => ({ ok: true, changed: true }));
    const emptyBase = await empty.listen({ port: 0, host: '127.0.0.1' });

    const headers = { 'content-type': 'application/json', authorization: `Bearer ${fixture.secret}` };
    const path_ = `/webhooks/${fixture.gatewayId}/dlr`;
    // Ids: [0, warmup + slack) for warm-ups, [warmup + slack, messages) for the measured run.
    const warmupModule = writeSetupModule(workDir, 'warmup', 0, warmup + slack);
    const measuredModule = writeSetupModule(workDir, 'measured', warmup + slack, requests + slack);

    log(`POST ${path_}: warm-up of ${warmup} requests, then ${requests} with ${connections} connections`);
    describe('warm-up (dlr)', await load({ url: base + path_, amount: warmup, connections, setupRequest: warmupModule, headers }));
    const eventsBefore = Number((await sql.query<{ n: string }>('select count(*) as n from message_event where account_id = $1', [accountId])).rows[0]!.n);
    const measured = await load({ url: base + path_, amount: requests, connections, setupRequest: measuredModule, headers });
    const eventsAfter = Number((await sql.query<{ n: string }>('select count(*) as n from message_event where account_id = $1', [accountId])).rows[0]!.n);
    const dlr = describe('POST /webhooks/<gateway>/dlr', measured);

    log(`bare Fastify POST: warm-up of ${warmup} requests, then ${requests}`);
    describe('warm-up (bare)', await load({ url: emptyBase + path_, amount: warmup, connections, setupRequest: warmupModule, headers }));
    const floor = describe('POST (bare Fastify)', await load({ url: emptyBase + path_, amount: requests, connections, setupRequest: measuredModule, headers }));

    const { rows } = await sql.query<{ status: string; n: string }>('select status, count(*) as n from message where account_id = $1 and campaign_id = $2 group by status order by status', [accountId, campaignId]);
    log(`messages by status: ${rows.map((r) => `${r.status} ${r.n}`).join(', ')}; message_event rows written in the measured run: ${eventsAfter - eventsBefore}, 200 responses: ${dlr.ok}`);
    const total = measured.requests.total;
    if (dlr.ok !== total || measured.errors + measured.timeouts + measured.non2xx > 0) {
      throw new Error(`not every report was answered 200: ${dlr.ok} of ${total} (errors ${measured.errors}, timeouts ${measured.timeouts}, non-2xx ${measured.non2xx})`);
    }
    if (eventsAfter - eventsBefore !== dlr.ok) throw new Error(`${eventsAfter - eventsBefore} message_event rows for ${dlr.ok} responses 200`);

    process.stdout.write(`BENCH dlr rps=${Math.round(dlr.rps)} p99_ms=${measured.latency.p99} empty_rps=${Math.round(floor.rps)} ratio=${(dlr.rps / floor.rps).toFixed(2)}\n`);
  } finally {
    await app?.close().catch((error) => log(`closing the app failed: ${error}`));
    await empty?.close().catch((error) => log(`closing the empty server failed: ${error}`));
    await fixture.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
