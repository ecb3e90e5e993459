// Inbound SMS end to end: a gateway posting a burst of inbound messages to
// POST /webhooks/<gateway>/inbound of a live server while the inbound processor classifies them
// and the reply sender answers, as a job-running process does.
//
// `npm run bench -- inbound [--messages 50000] [--contacts 50000] [--connections 20] [--warmup 2000] [--trace]`
//
// A PostgreSQL of its own (the embedded server in .bench-data, port BENCH_PG_PORT or 5545, or
// DATABASE_URL's server when set) with a fresh, migrated database; an account whose simulator
// gateway sends 10,000 messages a second, with credit and a price; a French inbound number with
// France's keywords; one inbound event of each of the five types (CONFIRM replies, JOIN
// subscribes and replies, MAIL saves an email, FEEDBACK saves to the inbox, LEAVE opts out of
// the number); N demo contacts (eight countries, about 5 % opted out). The messages are a seeded
// mix: 10 % STOP in its French forms, 3 % START, 3 % HELP/AIDE/INFO, 30 % event keywords (6 %
// of each type), 10 % a sentence with an email address, the rest free text (accents and emoji
// included); 85 % of the senders are contacts (some write more than once), 14.5 % unknown French
// mobiles and 0.5 % an alphanumeric sender that does not parse.
// The app as main.ts builds it (logging off) listens on a port; the InboundProcessor and the
// ReplySender poll in this process, as in a job-running process. autocannon (in a worker thread)
// posts every message once with the gateway's bearer secret: an untimed warm-up, processed to the
// end, then the measured run. The clock starts at the first post of the measured run and stops
// when no message is left `received`; every message must then be `processed`, classified as its
// text says. The reply queue is then drained (untimed) and counted.
// --trace prints the time of every SQL statement of this process during the measured run.
// The last line is `BENCH inbound messages=<n> msgs_per_s=<processed end to end> p99_ms=<intake
// p99 latency> intake_rps=<webhook requests/s> replies=<replies sent>`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import autocannon from 'autocannon';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/app.js';
import { withAccount } from '../src/db/tenant.js';
import { seedDemoContacts } from '../src/db/demo-seed.js';
import { Account } from '../src/modules/accounts/account.entity.js';
import { Gateway } from '../src/modules/gateways/gateway.entity.js';
import { InboundNumber } from '../src/modules/gateways/inbound-number.entity.js';
import { defaultKeywords } from '../src/modules/inbound/keywords.js';
import { createEvent } from '../src/modules/inbound/events.service.js';
import { InboundProcessor } from '../src/modules/inbound/processor.js';
import { ReplySender } from '../src/modules/sending/replies.js';
import { mulberry32, positiveInteger } from './args.js';
import { openSendingFixture, traceQueries, type SendingFixture } from './sending-fixture.js';

const NUMBER = '+33644000000';
/** Replies must be drained within this after the last message is processed. */
const DRAIN_TIMEOUT_MS = 120_000;

function log(line: string) {
  process.stderr.write(`bench inbound: ${line}\n`);
}

type Classification = 'opt_out' | 'opt_in' | 'help' | 'event' | 'email' | 'inbox';

interface BenchSms {
  id: string;
  from: string;
  to: string;
  text: string;
  /** What the processor must make of it. */
  expected: Classification;
}

/** The events, one of each type, with the texts that trigger them. */
const EVENTS = [
  { name: 'Confirm registration', keywords: 'CONFIRM', type: 'inboundResponder', reply: 'Thanks, your registration is confirmed.', texts: ['CONFIRM', 'confirm', 'Confirm!', 'confirm 2 seats'] },
  { name: 'Join', keywords: 'JOIN', type: 'inboundJoinResponder', reply: 'Welcome to Acme SMS! Reply STOP to opt out.', texts: ['JOIN', 'join please', 'Join'] },
  { name: 'Email', keywords: 'MAIL', type: 'inboundEmailHandler', reply: '', texts: ['MAIL {email}', 'mail {email} thanks', 'Mail: {email}'] },
  { name: 'Feedback', keywords: 'FEEDBACK', type: 'inboundInboxHandler', reply: '', texts: ['FEEDBACK The shop was lovely', 'feedback delivery took two weeks 😞', 'Feedback: très bon accueil, merci'] },
  { name: 'Leave', keywords: 'LEAVE', type: 'inboundUnsubscribeHandler', reply: '', texts: ['LEAVE', 'leave', 'Leave.'] },
] as const;

/** The mix, by share of the messages. */
const MIX: { share: number; expected: Classification; texts: readonly string[] }[] = [
  { share: 0.1, expected: 'opt_out', texts: ['STOP', 'stop', ' Stop. ', 'ARRET', 'ARRÊT', 'arrêt', 'stop au 36180', 'STOP ALL', 'Stop!'] },
  { share: 0.03, expected: 'opt_in', texts: ['START', 'start', 'Unstop'] },
  { share: 0.03, expected: 'help', texts: ['HELP', 'aide', 'Info', 'help?'] },
  ...EVENTS.map((event) => ({ share: 0.06, expected: 'event' as const, texts: event.texts })),
  { share: 0.1, expected: 'email', texts: ['my email is {email}', '{email}', 'Voici mon adresse : {email}', 'send it to {email} please'] },
  {
    share: 0.44,
    expected: 'inbox',
    texts: [
      'Is the sale still on tomorrow?',
      'Thanks!',
      'What time do you open on Sunday?',
      'Merci pour le code promo 👍',
      'Je ne peux pas venir samedi, désolé',
      'Please do not stop sending me deals',
      'ok',
      '🎉🎉🎉',
      'Can I change my order 48213 to size M?',
      'Who is this?',
      'Wrong number',
      'Ça marche, à demain',
      'Das Paket ist nicht angekommen',
      '',
    ],
  },
];

function fill(template: string, random: () => number): string {
  return template.replace('{email}', `reader${Math.floor(random() * 1_000_000)}@example.org`);
}

/** The measured and warm-up messages: a seeded mix of texts from contacts and strangers. */
function generateMessages(count: number, prefix: string, phones: string[], random: () => number): BenchSms[] {
  const messages: BenchSms[] = [];
  for (let i = 0; i < count; i++) {
    const pick = random();
    const sender = pick < 0.85 ? phones[Math.floor(random() * phones.length)]! : pick < 0.995 ? `+3375${String(Math.floor(random() * 10_000_000)).padStart(7, '0')}` : 'ACME-INFO';
    let roll = random();
    const kind = MIX.find((entry) => (roll -= entry.share) < 0) ?? MIX[MIX.length - 1]!;
    const text = fill(kind.texts[Math.floor(random() * kind.texts.length)]!, random);
    // A sender that does not parse can only be read: the inbox, whatever it says.
    messages.push({ id: `${prefix}-${i}`, from: sender, to: NUMBER, text, expected: sender.startsWith('+') ? kind.expected : 'inbox' });
  }
  return messages;
}

/** A setupRequest module for autocannon's worker: each request posts the next message of the
 * file (a request built beyond the last repeats one, which the webhook stores once). */
function writeSetupModule(dir: string, name: string, messages: BenchSms[]): string {
  const data = path.join(dir, `${name}.json`);
  fs.writeFileSync(data, JSON.stringify(messages.map(({ id, from, to, text }) => ({ id, from, to, text }))));
  const file = path.join(dir, `${name}.cjs`);
  fs.writeFileSync(
    file,
    `'use strict';
const messages = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(data)}, 'utf8'));
let next = 0;
module.exports = (request) => {
  const sms = messages[next++ % messages.length];
  request.body = JSON.stringify({ ...sms, received_at: new Date().toISOString() });
  return request;
};
`,
  );
  return file;
}

async function setUp(fixture: SendingFixture, contacts: number): Promise<string[]> {
  const { db, accountId } = fixture;
  const em = withAccount(db.orm.em.fork(), accountId);
  const account = await em.findOneOrFail(Account, { id: accountId });
  const gateway = await em.findOneOrFail(Gateway, { isDefault: true });
  const keywords = defaultKeywords('FR');
  const number = em.create(InboundNumber, {
    account: accountId,
    number: NUMBER,
    country: 'FR',
    gateway,
    optOutKeywords: keywords.optOut,
    optInKeywords: keywords.optIn,
    helpKeywords: keywords.help,
    helpReply: 'Acme: offers by SMS. Reply STOP to opt out.',
    optOutReply: 'You are unsubscribed from Acme. Reply START to come back.',
    optInReply: 'You are subscribed to Acme again.',
  });
  await em.flush();
  for (const event of EVENTS) {
    await createEvent(withAccount(db.orm.em.fork(), accountId), account, { name: event.name, keywords: event.keywords, type: event.type, inbound_number: number.id, reply_text: event.reply });
  }
  const seeded = await seedDemoContacts(fixture.sql, { accountId, contacts });
  log(`${seeded.created} demo contacts in ${(seeded.ms / 1000).toFixed(1)} s (${JSON.stringify(seeded.byCountry)}); five inbound events on ${NUMBER}`);
  const { rows } = await fixture.sql.query<{ phone: string }>('select phone from contact where account_id = $1 order by id', [accountId]);
  return rows.map((row) => row.phone);
}

/** CPU seconds used so far by the embedded PostgreSQL: the server, its processes and those that
 * ended; null on DATABASE_URL's server. A machine busy with other work slows a run down but
 * leaves this (and process.cpuUsage()) about the same, so it compares runs where times cannot. */
function postgresCpuSeconds(): number | null {
  if (process.env.DATABASE_URL) return null;
  const ticksPerSecond = 100;
  try {
    const server = Number(fs.readFileSync(path.resolve('.bench-data/pg/postmaster.pid'), 'utf8').split('\n')[0]);
    let ticks = 0;
    for (const entry of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // a process that just ended
      }
      // After the command in parentheses: state, ppid, ... utime (12th), stime, cutime, cstime.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
      if (Number(entry) === server) ticks += fields[11]! + fields[12]! + fields[13]! + fields[14]!;
      else if (fields[1] === server) ticks += fields[11]! + fields[12]!;
    }
    return ticks / ticksPerSecond;
  } catch {
    return null;
  }
}

const cpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function count(fixture: SendingFixture, sql: string): Promise<number> {
  return Number((await fixture.sql.query<{ n: string }>(sql, [fixture.accountId])).rows[0]!.n);
}

/** Waits until no inbound message is left to process. */
async function untilProcessed(fixture: SendingFixture): Promise<void> {
  while ((await count(fixture, `select count(*) as n from inbound_message where account_id = $1 and status = 'received'`)) > 0) await sleep(20);
}

async function post(url: string, amount: number, connections: number, setupRequest: string, secret: string) {
  return autocannon({
    url,
    amount,
    connections,
    workers: 1,
    requests: [{ method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` }, setupRequest: setupRequest as never }],
  });
}

function describe(label: string, result: autocannon.Result): void {
  const codes = Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => `${code}×${stat.count ?? 0}`).join(' ');
  log(
    `${label}: ${result.requests.total} posts in ${result.duration.toFixed(2)} s, ${Math.round(result.requests.total / result.duration)}/s, latency avg ${result.latency.average} p50 ${result.latency.p50} ` +
      `p90 ${result.latency.p90} p99 ${result.latency.p99} max ${result.latency.max} ms, status ${codes || 'none'}, errors ${result.errors}, timeouts ${result.timeouts}`,
  );
  if (result.errors + result.timeouts + result.non2xx > 0) throw new Error(`${label}: not every post was answered 200 (errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx})`);
}

/** Every measured message processed once, as its text says. */
async function checkOutcomes(fixture: SendingFixture, messages: BenchSms[]): Promise<void> {
  const { rows } = await fixture.sql.query<{ status: string; classification: string | null; n: string }>(
    `select status, classification, count(*) as n from inbound_message where account_id = $1 and gateway_message_id like 'run-%' group by 1, 2 order by 1, 2`,
    [fixture.accountId],
  );
  const actual = Object.fromEntries(rows.map((row) => [`${row.status}/${row.classification}`, Number(row.n)]));
  const expected: Record<string, number> = {};
  for (const sms of messages) expected[`processed/${sms.expected}`] = (expected[`processed/${sms.expected}`] ?? 0) + 1;
  log(`measured messages by outcome: ${JSON.stringify(actual)}`);
  if (JSON.stringify(Object.entries(actual).sort()) !== JSON.stringify(Object.entries(expected).sort())) throw new Error(`the outcomes differ from the texts' classes ${JSON.stringify(expected)}`);
}

/** Waits for the reply queue to empty; answers the replies by status. */
async function drainReplies(fixture: SendingFixture): Promise<Record<string, number>> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while ((await count(fixture, `select count(*) as n from message where account_id = $1 and campaign_id is null and status in ('queued', 'sending')`)) > 0) {
    if (Date.now() > deadline) throw new Error('the reply queue did not drain');
    await sleep(100);
  }
  const { rows } = await fixture.sql.query<{ status: string; n: string }>(`select status, count(*) as n from message where account_id = $1 and campaign_id is null group by 1 order by 1`, [fixture.accountId]);
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { messages: { type: 'string' }, contacts: { type: 'string' }, connections: { type: 'string' }, warmup: { type: 'string' }, trace: { type: 'boolean' } },
    strict: true,
  });
  const total = positiveInteger('messages', values.messages, 50_000);
  const contacts = positiveInteger('contacts', values.contacts, 50_000);
  const connections = positiveInteger('connections', values.connections, 20);
  const warmup = positiveInteger('warmup', values.warmup, 2_000);

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'textcast-bench-inbound-'));
  const fixture = await openSendingFixture(log, { messagesPerSecond: 10_000, simulator: { delay_ms: '1000' } });
  let app: FastifyInstance | undefined;
  const workerLog = pino({ level: 'warn' }, pino.destination(2));
  const processor = new InboundProcessor(fixture.db.orm, workerLog);
  const sender = new ReplySender(fixture.db.orm, workerLog, 'http://localhost:3000');
  try {
    const phones = await setUp(fixture, contacts);
    const random = mulberry32(11);
    const warm = generateMessages(warmup, 'warm', phones, random);
    const measured = generateMessages(total, 'run', phones, random);
    await fixture.sql.query('vacuum analyze');
    await fixture.sql.query('checkpoint');

    const config = loadConfig({ LOG_LEVEL: 'silent' });
    app = await buildApp({ config, orm: fixture.db.orm, sessionSecret: crypto.randomBytes(32).toString('hex'), logger: false });
    const url = (await app.listen({ port: 0, host: '127.0.0.1' })) + `/webhooks/${fixture.gatewayId}/inbound`;
    processor.start();
    sender.start();

    log(`warm-up: ${warmup} messages with ${connections} connections, processed to the end`);
    describe('warm-up', await post(url, warmup, connections, writeSetupModule(workDir, 'warm', warm), fixture.secret));
    await untilProcessed(fixture);
    await drainReplies(fixture);

    log(`measured: ${total} messages with ${connections} connections`);
    const setup = writeSetupModule(workDir, 'run', measured);
    const tracer = values.trace ? traceQueries() : null;
    const cpuBefore = { app: cpuSeconds(), postgres: postgresCpuSeconds() };
    const started = performance.now();
    const intake = await post(url, total, connections, setup, fixture.secret);
    const intakeSeconds = (performance.now() - started) / 1000;
    await untilProcessed(fixture);
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = { app: cpuSeconds(), postgres: postgresCpuSeconds() };
    tracer?.stop();
    describe('intake', intake);
    if (tracer) log(`statements during the measured run (call to result, summed: ${(tracer.total() / 1000).toFixed(2)} s):\n${tracer.report()}`);
    const stored = await count(fixture, `select count(*) as n from inbound_message where account_id = $1 and gateway_message_id like 'run-%'`);
    if (stored !== total) throw new Error(`${stored} messages stored for ${total} posted`);
    await checkOutcomes(fixture, measured);
    const msgsPerSecond = total / seconds;
    const perMessage = (before: number | null, after: number | null) => (before === null || after === null ? '?' : (((after - before) * 1000) / total).toFixed(2));
    log(
      `CPU per message: ${perMessage(cpuBefore.app, cpuAfter.app)} ms in this process (app, workers and the load generator's thread), ` +
        `${perMessage(cpuBefore.postgres, cpuAfter.postgres)} ms in PostgreSQL`,
    );
    log(`${total} messages taken in ${intakeSeconds.toFixed(2)} s and processed ${seconds.toFixed(2)} s after the first post: ${Math.round(msgsPerSecond)} msg/s end to end`);

    const drainStarted = performance.now();
    const replies = await drainReplies(fixture);
    log(`replies (warm-up and measured run) by status: ${JSON.stringify(replies)}, the queue empty ${((performance.now() - drainStarted) / 1000).toFixed(2)} s after the last message was processed`);
    if (replies.failed) throw new Error(`${replies.failed} replies failed`);
    const sent = await count(fixture, `select count(*) as n from message m join inbound_message im on im.account_id = m.account_id and im.id = m.reply_to_id where m.account_id = $1 and m.status = 'sent' and im.gateway_message_id like 'run-%'`);

    process.stdout.write(
      `BENCH inbound messages=${total} msgs_per_s=${Math.round(msgsPerSecond)} p99_ms=${intake.latency.p99} intake_rps=${Math.round(intake.requests.total / intake.duration)} replies=${sent}\n`,
    );
  } finally {
    await processor.stop();
    await sender.stop();
    await app?.close().catch((error) => log(`closing the app failed: ${error}`));
    await fixture.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
