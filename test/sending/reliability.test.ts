// Sending survives what production throws at it: a dispatcher killed with SIGKILL mid-campaign, a
// PostgreSQL restart mid-dispatch, and gateways that repeat and reorder delivery reports. The
// first two run the real process (`src/main.ts`) against a real database, as an operator runs it.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { buildTestApp, createTenant, createKey, createTestDatabase, eventually, freePort } from '../helper.js';
import { openOrm, migrate } from '../../src/orm.js';
import { startEmbeddedPostgres, type RunningDatabase } from '../../src/db/embedded-postgres.js';
import { withAccount } from '../../src/db/tenant.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';
import { ContactList } from '../../src/modules/contacts/contact-list.entity.js';
import { CreditTransaction } from '../../src/modules/accounts/credit-transaction.entity.js';
import { Price } from '../../src/modules/accounts/price.entity.js';
import { Gateway } from '../../src/modules/gateways/gateway.entity.js';
import { launchCampaign } from '../../src/modules/sending/launch.js';
import { dispatchCampaign } from '../../src/modules/sending/dispatcher.js';
import { markUnknownDeliveries } from '../../src/modules/sending/delivery-reports.queries.js';
import { readyToSend, scheduleNow, query, PART_PRICE } from './helpers.js';

// The real-process tests send tens of thousands of messages, and the first waits out the claim
// lease: more than tap's default.
t.setTimeout(240_000);

/** The claim lease of the processes under test (SENDING_CLAIM_LEASE_SECONDS, 30 by default): the
 * batch a killed dispatcher left `sending` is taken over this long after its claim. Short, so the
 * test does not sit out the default; still far above a live dispatcher's hold on a batch (about
 * a second of the gateway's rate plus the simulator's 100 ms). */
const CLAIM_LEASE_SECONDS = '8';

// ---------------------------------------------------------------------------------------------
// The real process and plain SQL beside it.

interface Textcast {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
  alive: () => boolean;
}

/** What the process wrote besides its JSON log lines: a crash's message and stack. */
function crashOf(stderr: string): string {
  return stderr.split('\n').filter((line) => !line.startsWith('{')).join('\n').slice(0, 4000);
}

/** The error and fatal lines of its JSON log. */
function errorsOf(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /^\{"level":(50|60)/.test(line)).map((line) => line.slice(0, 500));
}

/** How often to look at the campaign's progress: the queries count tens of thousands of rows, so
 * more gently than `eventually`'s default. */
const GENTLY = 250;

function startTextcast(env: Record<string, string>): Textcast {
  let stderr = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH!, HOME: os.tmpdir(), LOG_LEVEL: 'warn', HOST: '127.0.0.1', ROLE: 'all', SENDING_CLAIM_LEASE_SECONDS: CLAIM_LEASE_SECONDS, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited, alive: () => child.exitCode === null && child.signalCode === null };
}

async function waitForHealth(port: number, textcast: Textcast): Promise<void> {
  await eventually(
    'the process to answer /healthz',
    async () => {
      if (!textcast.alive()) throw new Error(`textcast exited early: ${crashOf(textcast.stderr())}`);
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
      } catch {
        return false; // not listening yet
      }
    },
    { timeoutMs: 30_000 },
  );
}

async function kill(textcast: Textcast, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (textcast.alive()) textcast.child.kill(signal);
  await textcast.exited;
}

/** One query on a fresh connection: works across a database restart (and fails cleanly during it). */
async function sql<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end().catch(() => {});
  }
}

interface Progress {
  status: string;
  queued: number;
  sending: number;
  sent: number;
  failed: number;
}

async function progress(url: string, campaignId: string): Promise<Progress> {
  const [row] = await sql<Record<string, string>>(
    url,
    `select c.status,
            count(*) filter (where m.status = 'queued') as queued,
            count(*) filter (where m.status = 'sending') as sending,
            count(*) filter (where m.status in ('sent', 'delivered', 'undelivered')) as sent,
            count(*) filter (where m.status = 'failed') as failed
     from campaign c left join message m on m.account_id = c.account_id and m.campaign_id = c.id and not m.is_test
     where c.id = $1 group by c.status`,
    [campaignId],
  );
  return { status: row.status, queued: Number(row.queued), sending: Number(row.sending), sent: Number(row.sent), failed: Number(row.failed) };
}

// ---------------------------------------------------------------------------------------------
// A big campaign: `contacts` recipients in one list, all priced and covered, no quiet hours.

const BODY = 'Hello {{first_name|there}}, spring sale today!';

async function seedBigCampaign(orm: MikroORM, contacts: number, gateway: { mps: number; delayMs: number; failureRate: number }) {
  const { account } = await createTenant(orm);
  const em = withAccount(orm.em, account.id);
  em.create(CreditTransaction, { account: account.id, kind: 'topup', amountMicros: contacts * PART_PRICE * 2, actor: 'test' });
  em.create(Price, { account: account.id, country: null, partPriceMicros: PART_PRICE });
  const list = em.create(ContactList, { account: account.id, name: 'Everyone' });
  await em.flush();
  await em.nativeUpdate(
    Gateway,
    { isDefault: true },
    { config: { delay_ms: String(gateway.delayMs), failure_rate: String(gateway.failureRate), soft_bounce_rate: '0' }, messagesPerSecond: gateway.mps },
  );
  const connection = em.getConnection();
  await connection.execute('update account set quiet_hours = false where id = ?', [account.id]);
  // Set-based: one statement for the contacts, one for the list.
  await connection.execute(
    `insert into contact (account_id, phone, country, first_name, sms_opt_in)
     select ?, '+3361' || lpad(i::text, 7, '0'), 'FR', 'Person ' || i, true from generate_series(1, ?) as i`,
    [account.id, contacts],
  );
  await connection.execute('insert into contact_list_member (list_id, contact_id, account_id) select ?, id, account_id from contact where account_id = ?', [list.id, account.id]);
  const campaign = em.create(Campaign, { account: account.id, name: 'Big sale', sender: 'Textcast', body: BODY, recipientSource: 'list', list, createdBy: 'test' });
  await em.flush();
  const gatewayId = (await em.findOneOrFail(Gateway, { isDefault: true })).id;
  return { accountId: account.id, campaignId: campaign.id, gatewayId, key: await createKey(orm, account) };
}

/** "Launch now" through the API of the running process (its Agenda schedules the launch job). */
async function launchThroughApi(port: number, key: string, campaignId: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/sms-campaigns/${campaignId}/launch`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
  if (response.status !== 202) throw new Error(`launch answered ${response.status}: ${await response.text()}`);
}

/** Every recipient exactly one message, accepted once by the simulator, billed exactly once. */
async function assertExactlyOnce(t: Test, url: string, ids: { accountId: string; campaignId: string; gatewayId: string }, contacts: number) {
  const [messages] = await sql<Record<string, string>>(
    url,
    `select count(*) as total, count(distinct contact_id) as contacts,
            count(*) filter (where status in ('sent', 'delivered', 'undelivered')) as accepted,
            count(*) filter (where status not in ('sent', 'delivered', 'undelivered')) as other,
            count(distinct gateway_message_id) as gateway_ids,
            count(*) filter (where attempts > 1) as resent,
            coalesce(sum(cost_micros) filter (where status <> 'failed'), 0) as cost
     from message where account_id = $1 and campaign_id = $2 and not is_test`,
    [ids.accountId, ids.campaignId],
  );
  t.equal(Number(messages.total), contacts, `${contacts} messages`);
  t.equal(Number(messages.contacts), contacts, 'one per contact');
  t.equal(Number(messages.accepted), contacts, 'all sent, delivered or undelivered');
  t.equal(Number(messages.other), 0, 'none queued, sending, failed or skipped');
  t.equal(Number(messages.gateway_ids), contacts, 'each with its own gateway message id');
  t.comment(`${messages.resent} messages were claimed more than once`);

  const [simulator] = await sql<Record<string, string>>(
    url,
    `select count(*) as total, count(distinct client_ref) as refs from simulator_message where gateway_id = $1`,
    [ids.gatewayId],
  );
  t.equal(Number(simulator.total), contacts, 'the simulator accepted exactly as many messages as were sent');
  t.equal(Number(simulator.refs), Number(simulator.total), 'no client reference twice');
  const [matched] = await sql<{ n: string }>(
    url,
    `select count(distinct s.id) as n from message m join simulator_message s on s.gateway_id = m.gateway_id and s.id::text = m.gateway_message_id and s.client_ref = m.id::text
     where m.account_id = $1 and m.campaign_id = $2 and not m.is_test`,
    [ids.accountId, ids.campaignId],
  );
  t.equal(Number(matched.n), contacts, "each message's gateway id is the simulator row of its own client reference");

  const [ledger] = await sql<{ charged: string | null }>(url, `select -sum(amount_micros) as charged from credit_transaction where account_id = $1 and kind in ('debit', 'refund')`, [ids.accountId]);
  t.equal(Number(ledger.charged), Number(messages.cost), 'the credit debited is the sum of the messages’ cost (nothing billed twice)');
  t.equal(Number(messages.cost), contacts * PART_PRICE, 'one part each at the price');
}

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  // The embedded server runs as the `postgres` user when we are root: it must reach its data.
  fs.chmodSync(dir, 0o755);
  return dir;
}

// ---------------------------------------------------------------------------------------------

t.test('a dispatcher killed with SIGKILL mid-campaign leaves every recipient exactly one message, and the simulator delivers each once', async (t) => {
  const CONTACTS = 50_000;
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const processes: Textcast[] = [];
  const cleanups: (() => unknown)[] = [];
  const dataDir = tempDir('textcast-rel-');
  // One teardown, in order: processes first, then the database and files.
  t.teardown(async () => {
    for (const p of processes) await kill(p);
    for (const fn of cleanups.reverse()) await fn();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const url = await createTestDatabase({ teardown: (fn) => cleanups.push(fn) });
  const orm = await openOrm(url, 2);
  const ids = await seedBigCampaign(orm, CONTACTS, { mps: 2000, delayMs: 100, failureRate: 0.02 }).finally(() => orm.close());
  t.comment(`seeded ${CONTACTS} contacts in ${elapsed()}`);

  const port = await freePort();
  const env = { DATABASE_URL: url, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, DATA_DIR: dataDir };
  const first = startTextcast(env);
  processes.push(first);
  await waitForHealth(port, first);
  await launchThroughApi(port, ids.key, ids.campaignId);

  // Mid-campaign, in the worst moment: the simulator has accepted a batch the dispatcher has not
  // recorded yet (still `sending`). The process is frozen (SIGSTOP) to check that moment holds,
  // then killed; if it never catches it, it is killed anyway with a batch claimed.
  const acceptedUnrecorded = async () =>
    Number(
      (
        await sql<{ n: string }>(
          url,
          `select count(*) as n from message m join simulator_message s on s.gateway_id = m.gateway_id and s.client_ref = m.id::text
           where m.account_id = $1 and m.campaign_id = $2 and m.status = 'sending'`,
          [ids.accountId, ids.campaignId],
        )
      )[0].n,
    );
  let caught = 0;
  await eventually(
    'some thousands of messages sent',
    async () => {
      if (!first.alive()) throw new Error(`textcast exited: ${crashOf(first.stderr())}`);
      const now = await progress(url, ids.campaignId);
      if (now.sent >= CONTACTS * 0.8) throw new Error(`the campaign went too fast to interrupt (${now.sent} sent)`);
      if (now.sent < 5_000 || now.sending === 0) return false;
      if (now.sent >= CONTACTS * 0.4) return true; // never caught the moment: kill it now
      first.child.kill('SIGSTOP');
      caught = await acceptedUnrecorded();
      if (caught > 0) return true;
      first.child.kill('SIGCONT');
      return false;
    },
    { timeoutMs: 60_000 },
  );
  await kill(first, 'SIGKILL');
  const afterKill = await progress(url, ids.campaignId);
  const unrecorded = await acceptedUnrecorded();
  t.comment(`killed at ${elapsed()}: ${afterKill.sent} sent, ${afterKill.sending} left sending (${unrecorded} of them accepted by the simulator), ${afterKill.queued} queued`);
  t.ok(afterKill.sent < CONTACTS && afterKill.queued > 0 && afterKill.sending > 0, 'killed mid-campaign with a batch in flight');
  if (!caught) t.comment('the kill did not land between the gateway accepting a batch and the dispatcher recording it');

  const second = startTextcast(env);
  processes.push(second);
  await waitForHealth(port, second);
  const done = await eventually(
    'the campaign to be sent',
    async () => {
      if (!second.alive()) throw new Error(`textcast exited: ${crashOf(second.stderr())}`);
      return progress(url, ids.campaignId);
    },
    { until: (now) => now.status === 'sent' && now.queued === 0 && now.sending === 0, timeoutMs: 150_000, intervalMs: GENTLY },
  );
  t.comment(`campaign sent at ${elapsed()}`);
  t.equal(done.status, 'sent');
  await assertExactlyOnce(t, url, ids, CONTACTS);

  // The simulator's reporter posts a few hundred reports a second, far behind this dispatch, so
  // this checks the ones applied so far: none twice, though the reporter was killed mid-batch too.
  const [events] = await sql<{ messages: string; events: string }>(url, `select count(distinct message_id) as messages, count(*) as events from message_event where account_id = $1`, [ids.accountId]);
  t.equal(Number(events.events), Number(events.messages), `no message reported twice (${events.messages} reported so far)`);
  const [gateway] = await sql<{ rejected: number }>(url, 'select rejected_requests as rejected from gateway where id = $1', [ids.gatewayId]);
  t.comment(`the gateway counts ${gateway.rejected} rejected webhook requests`);
  t.same(errorsOf(second.stderr()), [], 'the restarted process logged no error');
});

t.test('a PostgreSQL restart during a dispatch is survived: the campaign finishes', async (t) => {
  const CONTACTS = 20_000;
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const dataDir = tempDir('textcast-rel-');
  const pgDir = tempDir('textcast-rel-pg-');
  let server: RunningDatabase | null = null;
  let textcast: Textcast | null = null;
  t.teardown(async () => {
    if (textcast) await kill(textcast);
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(pgDir, { recursive: true, force: true });
  });
  const pgPort = await freePort();
  const log = () => {};
  server = await startEmbeddedPostgres(pgDir, pgPort, log);
  await sql(server.serverUrl, 'create database textcast_rel');
  const dbUrl = new URL(server.serverUrl);
  dbUrl.pathname = '/textcast_rel';
  const url = dbUrl.toString();
  const orm = await openOrm(url, 2);
  let ids: Awaited<ReturnType<typeof seedBigCampaign>>;
  try {
    await migrate(orm);
    ids = await seedBigCampaign(orm, CONTACTS, { mps: 1000, delayMs: 100, failureRate: 0.02 });
  } finally {
    await orm.close();
  }
  t.comment(`server started, migrated and seeded in ${elapsed()}`);

  const port = await freePort();
  textcast = startTextcast({ DATABASE_URL: url, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, DATA_DIR: dataDir });
  const running = textcast;
  await waitForHealth(port, running);
  await launchThroughApi(port, ids.key, ids.campaignId);
  const atStop = await eventually(
    'a quarter of the messages sent',
    async () => {
      if (!running.alive()) throw new Error(`textcast exited: ${crashOf(running.stderr())}`);
      const now = await progress(url, ids.campaignId);
      if (now.sent >= CONTACTS * 0.75) throw new Error(`the campaign went too fast to interrupt (${now.sent} sent)`);
      return now;
    },
    { until: (now) => now.sent >= CONTACTS / 4, timeoutMs: 60_000, intervalMs: GENTLY },
  );

  await server.stop();
  t.comment(`PostgreSQL stopped at ${elapsed()} with ${atStop.sent} sent`);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  server = await startEmbeddedPostgres(pgDir, pgPort, log);
  t.comment(`PostgreSQL started again at ${elapsed()}`);

  const done = await eventually(
    'the campaign to be sent after the restart',
    async () => {
      if (!running.alive()) throw new Error(`textcast exited after the database restart (code ${running.child.exitCode}, signal ${running.child.signalCode}): ${crashOf(running.stderr())}`);
      return progress(url, ids.campaignId).catch(() => null); // null while the database is down
    },
    { until: (now): now is Progress => now !== null && now.status === 'sent' && now.queued === 0 && now.sending === 0, timeoutMs: 150_000, intervalMs: GENTLY },
  );
  t.comment(`campaign sent at ${elapsed()}`);
  t.equal(done.status, 'sent');
  t.ok(running.alive(), 'the process is still running');
  await assertExactlyOnce(t, url, ids, CONTACTS);
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  t.equal(health.status, 200, 'and healthy');
  const dispatchFailures = running.stderr().split('\n').filter((line) => line.includes('"job":"campaign-dispatch"'));
  t.same(dispatchFailures, [], 'the dispatch job rode out the restart (it never failed)');
  t.comment(`${errorsOf(running.stderr()).length} error lines logged around the restart`);
});

t.test('the same delivery report three times, and reports out of order, leave the right final state and counts', async (t) => {
  const publicUrl = 'http://localhost:3000';
  const { app, orm } = await buildTestApp(t, {}, undefined, { jobs: false, listen: false });
  const { account } = await createTenant(orm);
  const { campaign } = await readyToSend(orm, account);
  await scheduleNow(orm, account, campaign.id);
  t.match(await launchCampaign(withAccount(orm.em, account.id), campaign.id, publicUrl), { outcome: 'launched', queued: 3 });
  t.match(await dispatchCampaign(withAccount(orm.em, account.id), account.id, campaign.id, { publicUrl }), { dispatched: 3, nextAt: null });

  const [gateway] = await query<{ id: string; secret: string }>(orm, 'select id, secret from gateway where account_id = ? and is_default', [account.id]);
  const messages = await query<{ id: string; gateway_message_id: string; status: string }>(
    orm,
    `select id, gateway_message_id, status from message where campaign_id = ? and status = 'sent' order by phone`,
    [campaign.id],
  );
  t.equal(messages.length, 3, 'three messages sent');
  const [first, second, third] = messages;
  const report = (gatewayMessageId: string, status: string, extra: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: `/webhooks/${gateway.id}/dlr`, headers: { authorization: `Bearer ${gateway.secret}` }, payload: { id: gatewayMessageId, status, ...extra } });
  const statusOf = async (id: string) => (await query<{ status: string; error_code: string | null }>(orm, 'select status, error_code from message where id = ?', [id]))[0];
  const eventsOf = async (id: string) => Number((await query<{ n: string }>(orm, 'select count(*) as n from message_event where message_id = ?', [id]))[0].n);

  // The same "delivered" report three times (a gateway retrying after a lost answer).
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push(await report(first.gateway_message_id, 'delivered'));
  t.same(answers.map((a) => a.statusCode), [200, 200, 200], 'each repeat is acknowledged (else the gateway retries forever)');
  t.same(answers.map((a) => a.json().changed), [true, false, false], 'only the first changes the message');
  t.match(await statusOf(first.id), { status: 'delivered' });
  t.equal(await eventsOf(first.id), 3, 'every report is kept as an event');

  // An older final report arriving first: the first final status stands.
  t.equal((await report(second.gateway_message_id, 'undelivered', { error_code: 'SIM-UNREACHABLE' })).statusCode, 200);
  t.equal((await report(second.gateway_message_id, 'delivered')).json().changed, false);
  t.same(await statusOf(second.id), { status: 'undelivered', error_code: 'SIM-UNREACHABLE' }, 'stays undelivered');
  t.equal(await eventsOf(second.id), 2);

  // No report for 72 hours: unknown; a late final report still settles it.
  await query(orm, `update message set sent_at = now() - interval '73 hours' where id = ?`, [third.id]);
  await query(orm, `update campaign set first_sent_at = now() - interval '73 hours' where id = ?`, [campaign.id]);
  t.equal(await markUnknownDeliveries(orm.em.fork()), 1, 'only the message without a final report becomes unknown');
  t.match(await statusOf(third.id), { status: 'unknown' });
  t.equal((await report(third.gateway_message_id, 'delivered')).json().changed, true);
  t.match(await statusOf(third.id), { status: 'delivered' }, 'a late report replaces unknown');
  t.equal((await report(third.gateway_message_id, 'undelivered')).json().changed, false, 'but nothing replaces a final status');
  t.match(await statusOf(third.id), { status: 'delivered' });

  const unknownId = await report('00000000-0000-4000-8000-000000000000', 'delivered');
  t.equal(unknownId.statusCode, 404, 'a report for no message of this gateway is refused');
  const wrongSecret = await app.inject({ method: 'POST', url: `/webhooks/${gateway.id}/dlr`, headers: { authorization: 'Bearer nope' }, payload: { id: first.gateway_message_id, status: 'undelivered' } });
  t.equal(wrongSecret.statusCode, 401, 'and one without the secret');
  t.equal(await eventsOf(first.id), 3, 'neither is stored');

  const key = await createKey(orm, account);
  const stats = await app.inject({ method: 'GET', url: `/api/v1/sms-campaigns/${campaign.id}/stats`, headers: { authorization: `Bearer ${key}` } });
  t.equal(stats.statusCode, 200);
  t.match(stats.json(), { status: 'sent', recipients: 5, queued: 0, sending: 0, sent: 0, delivered: 2, undelivered: 1, failed: 0, unknown: 0, done: true }, 'delivered counts messages, not reports');
  t.equal(stats.json().cost_micros, 3 * PART_PRICE);
  t.equal(stats.json().spent_micros, 3 * PART_PRICE, 'reports never bill again');
});
