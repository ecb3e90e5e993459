// External-event triggers end to end: batches of contacts posted to
// POST /api/v2/event/<id>/trigger of a live server while the program runner enters them into an
// active program whose one step sends an SMS, as a job-running process does.
//
// `npm run bench -- trigger [--contacts 10000] [--connections 4] [--batch 1000] [--trace]`
//
// A PostgreSQL of its own (the embedded server in .bench-data, port BENCH_PG_PORT or 5545, or
// DATABASE_URL's server when set) with a fresh, migrated database; an account with credit, a
// price and the simulator (sending.fixture.ts); N French contacts written set-based plus 1,000 for
// the warm-up (none opted out); an API key; for the warm-up and for the measured run each an
// automation campaign ("Hi {{first_name|there}}, order {{event.order_id}} ..."), an external event
// and an active program with one Send SMS step. API_RATE_LIMIT is set to cover every call of the run
// (the default 600 a minute, more for larger runs; logged): the per-key limit is not measured.
// The app as main.ts builds it (logging off) listens on a port; the ProgramRunner polls in this
// process with its default interval. Its "SMS queued" listener does nothing: queued means the
// message row exists, and dispatching is not measured. An untimed warm-up (1,000 other contacts on
// the warm-up event) is queued to the end first. Then every measured contact is posted once, in
// batches of --batch over --connections concurrent keep-alive connections (fetch), each with its own
// event data (order_id, total, items).
// accept_per_s: contacts answered as triggered per second, from the first request to the last
// response. queued_s: from the last response until every contact has a message row of the
// campaign. Checked afterwards: every reply is 200 with no errors and names each contact; exactly
// N runs of the program and N queued messages of the campaign, one per contact, each with the
// event data posted for it (placeholders are rendered from it at dispatch; one is rendered here).
// --trace prints the time of every SQL statement of this process during the measured run.
// The last line is `BENCH trigger contacts=<n> accept_per_s=<contacts/s> queued_s=<seconds>`.
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/app.js';
import { withAccount } from '../src/db/tenant.js';
import { Account } from '../src/modules/accounts/account.entity.js';
import { createApiKey } from '../src/modules/accounts/accounts.service.js';
import { createCampaign } from '../src/modules/campaigns/campaigns.service.js';
import { placeholderValues } from '../src/modules/campaigns/message-render.js';
import { renderTemplate } from '../src/modules/campaigns/sms-text.js';
import { createExternalEvent } from '../src/modules/automation/external-events.service.js';
import { addStep, changeProgramStatus, createProgram } from '../src/modules/automation/programs.service.js';
import { ProgramRunner } from '../src/modules/automation/program-runner.js';
import { positiveInteger } from './args.js';
import { openSendingFixture, PUBLIC_URL, seedContacts, traceQueries, type SendingFixture } from './sending-fixture.js';

const BODY = 'Hi {{first_name|there}}, order {{event.order_id}} ({{event.total}} EUR) has shipped: https://shop.example.com/track Reply STOP to opt out';
const WARMUP = 1_000;
/** Every contact must be queued within this after the last response, or the run fails. */
const QUEUE_TIMEOUT_MS = 300_000;

function log(line: string) {
  process.stderr.write(`bench trigger: ${line}\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The phone of the i-th seeded contact (seedContacts numbers them from 0). */
const phoneOf = (i: number) => `+3361${String(i).padStart(7, '0')}`;

/** What is posted for the i-th contact: its phone and its own event data. */
function eventDataOf(i: number): Record<string, unknown> {
  return { order_id: `A-${i}`, total: (i % 500) + 0.5, items: ['mug', `tee-${i % 7}`] };
}

interface Flow {
  name: string;
  eventId: string;
  programId: string;
  campaignId: string;
}

/** An automation campaign, an external event and an active program on it with one Send SMS step. */
async function flow(fixture: SendingFixture, name: string): Promise<Flow> {
  const em = withAccount(fixture.db.orm.em.fork(), fixture.accountId);
  const account = await em.findOneOrFail(Account, { id: fixture.accountId });
  const campaign = await createCampaign(em, account, { name, sender: 'Textcast', body: BODY }, { actor: 'bench', publicUrl: PUBLIC_URL, recipients: { automation: true } });
  const event = await createExternalEvent(em, account, `${name} event`);
  const program = await createProgram(em, account, { name, event: event.id, reentry_minutes: '0' });
  await addStep(em, program, { kind: 'send_sms', campaign: campaign.id });
  await changeProgramStatus(em, program, 'activate');
  return { name, eventId: event.id, programId: program.id, campaignId: campaign.id };
}

async function apiKey(fixture: SendingFixture): Promise<string> {
  const em = withAccount(fixture.db.orm.em.fork(), fixture.accountId);
  const { key } = createApiKey(em, await em.findOneOrFail(Account, { id: fixture.accountId }), 'Bench');
  await em.flush();
  return key;
}

interface TriggerReply {
  replyCode: number;
  data: { ids: number[]; errors: Record<string, unknown> };
}

/** Posts contacts first..first+count-1 in batches over `connections` concurrent workers; answers
 * when the last response is in. Any refusal, error or missing contact fails the run. */
async function postAll(baseUrl: string, key: string, eventId: string, first: number, count: number, batch: number, connections: number): Promise<{ seconds: number; latencies: number[] }> {
  const batches: number[][] = [];
  for (let from = first; from < first + count; from += batch) batches.push(Array.from({ length: Math.min(batch, first + count - from) }, (_, j) => from + j));
  // Bodies are built before the clock starts: the client's JSON is not the server's time.
  const bodies = batches.map((indexes) => JSON.stringify({ key_id: 'phone', contacts: indexes.map((i) => ({ external_id: phoneOf(i), data: eventDataOf(i) })) }));
  const url = `${baseUrl}/api/v2/event/${eventId}/trigger`;
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const index = next++;
      const sent = performance.now();
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: bodies[index] });
      const text = await response.text();
      latencies.push(performance.now() - sent);
      if (response.status !== 200) throw new Error(`batch ${index}: status ${response.status}: ${text.slice(0, 300)}`);
      const reply = JSON.parse(text) as TriggerReply;
      const errors = Object.keys(reply.data.errors).length;
      if (reply.replyCode !== 0 || errors || reply.data.ids.length !== batches[index]!.length) {
        throw new Error(`batch ${index}: replyCode ${reply.replyCode}, ${reply.data.ids.length} of ${batches[index]!.length} contacts triggered, ${errors} errors: ${text.slice(0, 300)}`);
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(connections, bodies.length) }, worker));
  return { seconds: (performance.now() - started) / 1000, latencies };
}

async function count(fixture: SendingFixture, sql: string, params: unknown[]): Promise<number> {
  return Number((await fixture.sql.query<{ n: string }>(sql, [fixture.accountId, ...params])).rows[0]!.n);
}

const messagesOf = (fixture: SendingFixture, campaignId: string) => count(fixture, 'select count(*) as n from message where account_id = $1 and campaign_id = $2', [campaignId]);

/** Waits until the campaign has `expected` messages; answers the seconds it took. */
async function untilQueued(fixture: SendingFixture, campaignId: string, expected: number): Promise<number> {
  const started = performance.now();
  while ((await messagesOf(fixture, campaignId)) < expected) {
    if (performance.now() - started > QUEUE_TIMEOUT_MS) throw new Error(`fewer than ${expected} messages queued after ${QUEUE_TIMEOUT_MS / 1000} s`);
    await sleep(20);
  }
  return (performance.now() - started) / 1000;
}

/** Exactly one completed run and one queued message per contact, carrying the data posted for it. */
async function check(fixture: SendingFixture, measured: Flow, contacts: number): Promise<void> {
  const runs = await fixture.sql.query<{ status: string; n: string }>(`select status, count(*) as n from automation_run where account_id = $1 and program_id = $2 group by 1`, [fixture.accountId, measured.programId]);
  log(`runs by status: ${JSON.stringify(Object.fromEntries(runs.rows.map((row) => [row.status, Number(row.n)])))}`);
  const runCount = runs.rows.reduce((sum, row) => sum + Number(row.n), 0);
  if (runCount !== contacts) throw new Error(`${runCount} runs for ${contacts} contacts`);
  const { rows } = await fixture.sql.query<{ phone: string; status: string; event_data: Record<string, unknown>; first_name: string | null; last_name: string | null; email: string | null; fields: Record<string, unknown> | null }>(
    `select m.phone, m.status, m.event_data, c.first_name, c.last_name, c.email, c.fields
     from message m join contact c on c.account_id = m.account_id and c.id = m.contact_id
     where m.account_id = $1 and m.campaign_id = $2`,
    [fixture.accountId, measured.campaignId],
  );
  if (rows.length !== contacts) throw new Error(`${rows.length} messages for ${contacts} contacts`);
  const seen = new Set<string>();
  for (const row of rows) {
    const i = Number(row.phone.slice(5));
    if (seen.has(row.phone)) throw new Error(`two messages to ${row.phone}`);
    seen.add(row.phone);
    if (row.status !== 'queued') throw new Error(`the message to ${row.phone} is ${row.status}`);
    if (canonical(row.event_data) !== canonical(eventDataOf(i))) throw new Error(`the message to ${row.phone} has event data ${JSON.stringify(row.event_data)}, ${JSON.stringify(eventDataOf(i))} was posted`);
  }
  const sample = rows[0]!;
  log(`${rows.length} queued messages, one per contact, each with its event data; e.g. ${sample.phone}: "${renderTemplate(BODY, placeholderValues(sample))}"`);
}

/** JSON with the keys in order (jsonb keeps its own). */
const canonical = (data: Record<string, unknown>) => JSON.stringify(Object.keys(data).sort().map((key) => [key, data[key]]));

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { contacts: { type: 'string' }, connections: { type: 'string' }, batch: { type: 'string' }, trace: { type: 'boolean' } }, strict: true });
  const contacts = positiveInteger('contacts', values.contacts, 10_000);
  const connections = positiveInteger('connections', values.connections, 4);
  const batch = positiveInteger('batch', values.batch, 1_000);
  if (batch > 1_000) throw new Error('--batch: the API takes at most 1,000 contacts per call');

  const fixture = await openSendingFixture(log);
  let app: FastifyInstance | undefined;
  const runner = new ProgramRunner(fixture.db.orm, pino({ level: 'warn' }, pino.destination(2)));
  try {
    // Contacts 0..N-1 are measured, N..N+999 warm up.
    await seedContacts(fixture, contacts + WARMUP, { optOutEvery: 0 });
    const warm = await flow(fixture, 'Warm-up');
    const measured = await flow(fixture, 'Order shipped');
    const key = await apiKey(fixture);
    await fixture.sql.query('vacuum analyze');
    await fixture.sql.query('checkpoint');

    const calls = Math.ceil(WARMUP / batch) + Math.ceil(contacts / batch);
    const rateLimit = Math.max(600, calls);
    log(`API_RATE_LIMIT=${rateLimit} a minute for the key (the default is 600; this run makes ${calls} calls)`);
    const config = loadConfig({ LOG_LEVEL: 'silent', API_RATE_LIMIT: String(rateLimit) });
    app = await buildApp({ config, orm: fixture.db.orm, sessionSecret: crypto.randomBytes(32).toString('hex'), logger: false });
    const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
    runner.start();

    log(`warm-up: ${WARMUP} contacts in batches of ${batch}, queued to the end`);
    await postAll(baseUrl, key, warm.eventId, contacts, WARMUP, batch, connections);
    await untilQueued(fixture, warm.campaignId, WARMUP);

    log(`measured: ${contacts} contacts in batches of ${batch} over ${connections} connections`);
    const tracer = values.trace ? traceQueries() : null;
    const posted = await postAll(baseUrl, key, measured.eventId, 0, contacts, batch, connections);
    const queuedSeconds = await untilQueued(fixture, measured.campaignId, contacts);
    tracer?.stop();
    const sorted = posted.latencies.sort((a, b) => a - b);
    log(`${sorted.length} calls in ${posted.seconds.toFixed(2)} s, latency p50 ${percentile(sorted, 50).toFixed(0)} p99 ${percentile(sorted, 99).toFixed(0)} max ${sorted.at(-1)!.toFixed(0)} ms`);
    log(`every SMS queued ${queuedSeconds.toFixed(2)} s after the last response (${(posted.seconds + queuedSeconds).toFixed(2)} s after the first request)`);
    if (tracer) log(`statements during the measured run (call to result, summed: ${(tracer.total() / 1000).toFixed(2)} s):\n${tracer.report()}`);
    await runner.stop();
    await check(fixture, measured, contacts);

    process.stdout.write(`BENCH trigger contacts=${contacts} accept_per_s=${Math.round(contacts / posted.seconds)} queued_s=${queuedSeconds.toFixed(2)}\n`);
  } finally {
    await runner.stop();
    await app?.close().catch((error) => log(`closing the app failed: ${error}`));
    await fixture.close();
  }
}
