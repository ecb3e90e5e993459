// Sending through the real Kannel (bearerbox, smsbox, fakesmsc as the operator: the test harness
// test/gateways/kannel-harness.ts, in `sink` mode). Two runs against the same Kannel:
// - the ceiling: N sendsms requests straight from the benchmark, the same URLs the Kannel gateway
//   builds, KANNEL_CONCURRENCY at once over the same kept-alive agent (gatewayRequest);
// - Textcast: a launched campaign of N messages dispatched through a Kannel gateway
//   (dispatchCampaign: claim, render, debit, send, record), at a rate limit above the ceiling.
// Delivery reports go to a local server that answers 200 (the same load on Kannel in both runs).
// Between runs, Kannel's queues drain.
//
// `npm run bench -- kannel [--messages 20000]`
// The last line is `BENCH kannel messages=<n> ceiling_per_s=<int> textcast_per_s=<int> ratio=<x.xx>`.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { withAccount } from '../src/db/tenant.js';
import { launchCampaign } from '../src/modules/sending/launch.js';
import { dispatchCampaign } from '../src/modules/sending/dispatcher.js';
import { KANNEL_CONCURRENCY, sendsmsResult, sendsmsUrl } from '../src/modules/gateways/kinds/kannel.js';
import { gatewayRequest } from '../src/modules/gateways/outbound-http.js';
import { KANNEL_USER, kannelMissing, startKannel, type Kannel } from '../test/gateways/kannel-harness.js';
import { positiveInteger } from './args.js';
import { openSendingFixture, seedContacts, scheduledCampaign, type SendingFixture } from './sending-fixture.js';

const BODY = 'Hello {{first_name|there}}, our spring sale starts today: -20% on everything. Reply STOP to opt out';

function log(line: string) {
  process.stderr.write(`bench kannel: ${line}\n`);
}

/** A local server taking Kannel's delivery reports (200, nothing stored): Textcast's PUBLIC_URL here. */
async function reportSink(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_request, response) => response.end('{"ok":true}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Waits until Kannel has passed every message it took to the SMSC (its queues empty). */
async function untilDrained(kannel: Kannel, sent: number): Promise<void> {
  for (;;) {
    const status = await fetch(`${kannel.statusUrl}?password=${kannel.statusPassword}`).then((r) => r.text());
    const match = /SMS: received \d+ \(\d+ queued\), sent (\d+) \((\d+) queued\)/.exec(status);
    if (match && Number(match[1]) >= sent && match[2] === '0') return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** N sendsms requests straight to Kannel, KANNEL_CONCURRENCY at once; messages per second. */
async function ceiling(kannel: Kannel, fixture: SendingFixture, publicUrl: string, messages: number): Promise<number> {
  const gateway = { id: fixture.gatewayId, accountId: fixture.accountId, kind: 'kannel', secret: fixture.secret, config: { url: kannel.sendsmsUrl, ...KANNEL_USER } };
  let next = 0;
  let refused = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: KANNEL_CONCURRENCY }, async () => {
      for (let i = next++; i < messages; i = next++) {
        const message = { clientRef: String(1e9 + i), to: `+3361${String(i).padStart(7, '0')}`, from: 'Textcast', body: BODY.replace('{{first_name|there}}', 'Camille'), encoding: 'GSM-7' as const, parts: 1, attempt: 1 };
        const answer = await gatewayRequest(sendsmsUrl(gateway, message, publicUrl), { timeoutMs: 10_000 });
        if (!sendsmsResult(message.clientRef, answer.status, answer.body).accepted) refused++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (refused) throw new Error(`Kannel refused ${refused} of the ceiling's requests`);
  log(`ceiling: ${messages} sendsms requests in ${seconds.toFixed(2)} s: ${Math.round(messages / seconds)} msg/s`);
  return messages / seconds;
}

/** A campaign of N messages dispatched through the Kannel gateway; messages per second. */
async function textcast(fixture: SendingFixture, publicUrl: string, messages: number): Promise<number> {
  const campaignId = await scheduledCampaign(fixture, { name: 'Through Kannel', body: BODY });
  const launched = await launchCampaign(withAccount(fixture.db.orm.em, fixture.accountId), campaignId, publicUrl);
  if (launched.outcome !== 'launched' || launched.queued !== messages) throw new Error(`the launch gave ${JSON.stringify(launched)}, not ${messages} queued`);
  await fixture.sql.query('vacuum analyze message');
  const started = performance.now();
  const outcome = await dispatchCampaign(withAccount(fixture.db.orm.em, fixture.accountId), fixture.accountId, campaignId, { publicUrl, log: { warn: (obj, msg) => log(`warn: ${msg} ${JSON.stringify(obj)}`) } });
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await fixture.sql.query<{ status: string; n: string }>('select status, count(*) as n from message where campaign_id = $1 group by status', [campaignId]);
  const byStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  if (outcome.dispatched !== messages || byStatus.sent !== messages) throw new Error(`the dispatch is incomplete: ${JSON.stringify(outcome)}, messages ${JSON.stringify(byStatus)}`);
  log(`Textcast: ${messages} messages dispatched through Kannel in ${seconds.toFixed(2)} s: ${Math.round(messages / seconds)} msg/s`);
  return messages / seconds;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { messages: { type: 'string' } }, strict: true });
  const messages = positiveInteger('messages', values.messages, 20_000);
  const missing = kannelMissing();
  if (missing) throw new Error(missing);

  const sink = await reportSink();
  const kannel = await startKannel({ mode: 'sink' });
  // A rate limit well above what Kannel takes: the benchmark measures Kannel, not the limiter.
  const fixture = await openSendingFixture(log, { messagesPerSecond: 100_000 });
  try {
    await fixture.sql.query(`update gateway set kind = 'kannel', config = $2::jsonb where id = $1`, [fixture.gatewayId, JSON.stringify({ url: kannel.sendsmsUrl, ...KANNEL_USER })]);
    await seedContacts(fixture, messages, { optOutEvery: 0 });
    const ceilingPerSecond = await ceiling(kannel, fixture, sink.url, messages);
    await untilDrained(kannel, messages);
    const textcastPerSecond = await textcast(fixture, sink.url, messages);
    await untilDrained(kannel, 2 * messages);
    process.stdout.write(`BENCH kannel messages=${messages} ceiling_per_s=${Math.round(ceilingPerSecond)} textcast_per_s=${Math.round(textcastPerSecond)} ratio=${(textcastPerSecond / ceilingPerSecond).toFixed(2)}\n`);
  } finally {
    await fixture.close();
    await kannel.stop();
    await sink.close();
  }
}
