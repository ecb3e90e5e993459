// The generic HTTP gateway against a local provider: what it posts, how each answer lands on the
// messages, the outbound URL policy, and a gateway that keeps failing being paused and resumed.
import t from 'tap';
import http from 'node:http';
import type { MikroORM } from '@mikro-orm/postgresql';
import { buildTestApp, createTenant, eventually, freePort, signedIn } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { ValidationError } from '../../src/errors.js';
import { loadConfig, ConfigError } from '../../src/config.js';
import { createGateway, setPrivateUrls } from '../../src/modules/gateways/index.js';
import type { Account } from '../../src/modules/accounts/account.entity.js';
import { launchCampaign } from '../../src/modules/sending/launch.js';
import { dispatchCampaign } from '../../src/modules/sending/dispatcher.js';
import { readyToSend, scheduleNow, query } from '../sending/helpers.js';

interface Received {
  method: string;
  authorization: string | undefined;
  body: { messages: { id: string; to: string; from: string; text: string; parts: number }[] } | null;
}

/** A provider on a free local port; `answer` decides each reply (changeable while it runs). */
async function provider(t: { teardown(fn: () => unknown): void }, answer: (request: Received, response: http.ServerResponse) => void) {
  const received: Received[] = [];
  const state = { answer };
  const server = http.createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk) => (raw += chunk));
    request.on('end', () => {
      const entry = { method: request.method!, authorization: request.headers.authorization, body: raw ? JSON.parse(raw) : null };
      received.push(entry);
      state.answer(entry, response);
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${port}/send`, localhostUrl: `http://localhost:${port}/send`, received, state };
}

const json = (response: http.ServerResponse, status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

/** Makes a generic gateway the account's default, saved as Settings would save it. */
async function genericDefault(orm: MikroORM, account: Account, options: Record<string, string>, mps = 1000) {
  const em = withAccount(orm.em, account.id);
  return createGateway(em, account, { kind: 'generic', name: 'Provider', mps: String(mps), isDefault: true, options });
}

/** Launches the campaign and runs one pass of the dispatcher. */
async function launchAndDispatch(orm: MikroORM, account: Account, campaignId: string) {
  await scheduleNow(orm, account, campaignId);
  await launchCampaign(withAccount(orm.em, account.id), campaignId, 'http://localhost:3000');
  return dispatchCampaign(withAccount(orm.em, account.id), account.id, campaignId, { publicUrl: 'http://localhost:3000' });
}

const messagesOf = (orm: MikroORM, campaignId: string) =>
  query<{ phone: string; status: string; error_code: string | null; gateway_message_id: string | null; waiting: string | null }>(orm, `select phone, status, error_code, gateway_message_id, waiting from message where campaign_id = ? and status <> 'skipped' order by phone`, [campaignId]);

t.test('a generic gateway gets the batch as JSON with its bearer token; each result lands on its message', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const { campaign } = await readyToSend(orm, account);
  const gateway = await provider(t, (request, response) => {
    const [first, second, third] = request.body!.messages;
    json(response, 200, {
      results: [
        { id: first!.id, accepted: true, gateway_id: 'prov-1' },
        { id: second!.id, accepted: false, permanent: true, error_code: 'INVALID_NUMBER' },
        { id: third!.id, accepted: false, permanent: false, error_code: 'THROTTLED' },
      ],
    });
  });
  await genericDefault(orm, account, { url: gateway.url, token: 'tok-123' });
  await launchAndDispatch(orm, account, campaign.id);
  t.equal(gateway.received.length, 1, 'one request for the batch');
  const [request] = gateway.received;
  t.equal(request!.method, 'POST');
  t.equal(request!.authorization, 'Bearer tok-123');
  t.same(
    request!.body!.messages.map((m) => [m.to, m.from, m.text, m.parts]).sort(),
    [
      ['+33612345601', 'Textcast', 'Hello Ann, spring sale today!', 1],
      ['+33612345602', 'Textcast', 'Hello Bartholomew-Alexander, spring sale today!', 1],
      ['+4915112345603', 'Textcast', 'Hello Carl, spring sale today!', 1],
    ],
    'each message with its id, recipient, sender, text and parts',
  );
  const rows = await messagesOf(orm, campaign.id);
  const byId = new Map(request!.body!.messages.map((m, i) => [m.to, i]));
  const outcome = rows.map((r) => [byId.get(r.phone), r.status, r.error_code, r.gateway_message_id]).sort();
  t.same(outcome, [
    [0, 'sent', null, 'prov-1'],
    [1, 'failed', 'INVALID_NUMBER', null],
    [2, 'queued', 'THROTTLED', null],
  ]);
});

t.test('a 500 or no answer in time retries the whole batch, nothing failed', async (t) => {
  const { orm } = await buildTestApp(t);
  for (const [what, answer, options, code] of [
    ['a 500', (_: Received, response: http.ServerResponse) => json(response, 500, { error: 'down' }), {}, 'http_500'],
    ['a timeout', () => {}, { timeout_ms: '300' }, 'no_answer_timeout'],
  ] as const) {
    const { account } = await createTenant(orm);
    const { campaign } = await readyToSend(orm, account);
    const gateway = await provider(t, answer);
    const saved = await genericDefault(orm, account, { url: gateway.url, ...options });
    await launchAndDispatch(orm, account, campaign.id);
    const rows = await messagesOf(orm, campaign.id);
    t.same(rows.map((r) => [r.status, r.waiting, r.error_code]), Array(3).fill(['queued', 'retry', code]), `${what}: every message of the batch waits for a retry`);
    const [health] = await query<{ consecutive_failures: number }>(orm, 'select consecutive_failures from gateway where id = ?', [saved.id]);
    t.equal(health!.consecutive_failures, 3, `${what}: counted as transport failures`);
  }
});

t.test('outbound URLs: link-local addresses are refused at save and at send; localhost only while private URLs are allowed', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const em = withAccount(orm.em, account.id);
  const refused = await createGateway(em, account, { kind: 'generic', name: 'Metadata', options: { url: 'http://169.254.169.254/latest' } }).catch((e) => e);
  t.ok(refused instanceof ValidationError);
  t.match(refused.fields['option.url'], 'url cannot be used: 169.254.169.254 is a link-local or cloud metadata address');

  // Saved before the check existed (or by hand): sending still refuses it, without reaching it.
  const { campaign } = await readyToSend(orm, account);
  const saved = await genericDefault(orm, account, { url: 'http://example.invalid/' });
  await query(orm, `update gateway set config = '{"url": "http://[fe80::1]:8080/send"}' where id = ?`, [saved.id]);
  await launchAndDispatch(orm, account, campaign.id);
  t.same((await messagesOf(orm, campaign.id)).map((r) => [r.status, r.error_code]), Array(3).fill(['queued', 'address_refused']), 'retried, never sent');

  const local = await provider(t, (request, response) => json(response, 200, { results: request.body!.messages.map((m) => ({ id: m.id, accepted: true, gateway_id: 'ok-' + m.id })) }));
  const { account: other } = await createTenant(orm);
  const second = await readyToSend(orm, other);
  await genericDefault(orm, other, { url: local.localhostUrl });
  setPrivateUrls('deny');
  t.teardown(() => setPrivateUrls('allow'));
  const denied = await createGateway(withAccount(orm.em, other.id), other, { kind: 'generic', name: 'Loopback', options: { url: 'http://127.0.0.1:9/send' } }).catch((e) => e);
  t.match(denied.fields?.['option.url'], 'loopback or private address', 'with deny, a private literal is refused at save');
  await launchAndDispatch(orm, other, second.campaign.id);
  t.equal(local.received.length, 0, 'with deny, localhost is refused when connecting');
  t.same((await messagesOf(orm, second.campaign.id)).map((r) => r.error_code), Array(3).fill('address_refused'));
  setPrivateUrls('allow');
  await query(orm, `update message set not_before = now() where campaign_id = ?`, [second.campaign.id]);
  await dispatchCampaign(withAccount(orm.em, other.id), other.id, second.campaign.id, { publicUrl: 'http://localhost:3000' });
  t.same((await messagesOf(orm, second.campaign.id)).map((r) => r.status), ['sent', 'sent', 'sent'], 'allowed (the default), localhost is reached');
});

t.test('GATEWAY_PRIVATE_URLS is allow by default, deny when set, and a bad value stops start-up with one line', async (t) => {
  t.equal(loadConfig({}).gatewayPrivateUrls, 'allow');
  t.equal(loadConfig({ GATEWAY_PRIVATE_URLS: 'deny' }).gatewayPrivateUrls, 'deny');
  t.throws(() => loadConfig({ GATEWAY_PRIVATE_URLS: 'sometimes' }), new ConfigError('GATEWAY_PRIVATE_URLS must be allow or deny, got "sometimes"'));
});

t.test('a gateway that stops answering is paused after 50 failures in a row, with alerts; Resume sends the rest', async (t) => {
  const { app, orm } = await buildTestApp(t, {}, undefined, { jobs: true });
  const { account, owner } = await createTenant(orm);
  const { campaign, list } = await readyToSend(orm, account, { credit: 1_000_000_000 });
  await query(orm, `insert into contact (account_id, phone, country, created_at, updated_at) select ?, '+33700' || lpad(g::text, 6, '0'), 'FR', now(), now() from generate_series(1, 57) g`, [account.id]);
  await query(orm, `insert into contact_list_member (account_id, list_id, contact_id) select account_id, ?, id from contact where account_id = ? and phone like '+33700%'`, [list.id, account.id]);
  const down = (_: Received, response: http.ServerResponse) => json(response, 503, { error: 'maintenance' });
  const gateway = await provider(t, down);
  const saved = await genericDefault(orm, account, { url: gateway.url }, 50);
  const client = await signedIn(app, owner);
  await client.get(`/create/${campaign.id}/recipients`);
  t.equal((await client.post(`/create/${campaign.id}/schedule`, { when: 'now' })).statusCode, 303);

  const paused = await eventually('the gateway paused', async () => (await query<{ paused_at: Date | null; consecutive_failures: number; problem: string }>(orm, 'select paused_at, consecutive_failures, problem from gateway where id = ?', [saved.id]))[0], {
    until: (g) => g.paused_at !== null,
  });
  t.ok(paused.consecutive_failures >= 50);
  t.match(paused.problem, 'Paused after 50 sends in a row got no answer from the gateway (last: http_503)');
  const rows = await messagesOf(orm, campaign.id);
  t.equal(rows.filter((r) => r.status === 'failed' || r.status === 'sent').length, 0, 'nothing failed or sent: messages wait');
  const campaignPage = await client.get(`/create/${campaign.id}`);
  t.match(campaignPage.body, 'Nothing goes out: the gateway &quot;Provider&quot; is paused.');
  const gatewayPage = await client.get(`/settings/gateways/${saved.id}`);
  t.match(gatewayPage.body, 'data-field="gateway-alert"');
  t.match(gatewayPage.body, `action="/settings/gateways/${saved.id}/resume"`);
  t.match((await client.get('/settings/gateways')).body, 'data-field="paused"');

  gateway.state.answer = (request, response) => json(response, 200, { results: request.body!.messages.map((m) => ({ id: m.id, accepted: true, gateway_id: 'g-' + m.id })) });
  const resumed = await client.post(`/settings/gateways/${saved.id}/resume`);
  t.equal(resumed.statusCode, 303);
  t.match((await client.get(resumed.headers.location as string)).body, 'Resumed: its campaigns send again.');
  await eventually('every message sent', async () => (await messagesOf(orm, campaign.id)).filter((r) => r.status === 'sent').length, { until: (n) => n === 60 });
  const [health] = await query<{ paused_at: Date | null; consecutive_failures: number }>(orm, 'select paused_at, consecutive_failures from gateway where id = ?', [saved.id]);
  t.same([health!.paused_at, health!.consecutive_failures], [null, 0], 'accepted messages reset the count');
});
