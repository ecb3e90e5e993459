// The Twilio gateway against a local server that behaves like Twilio's Messages API
// (twilio-server.ts): a campaign goes out through it, signed status callbacks and inbound messages
// come back to the app over HTTP, Twilio's errors opt out, flag or retry, and the signature check
// agrees with the official `twilio` package's own validation.
import t from 'tap';
import twilioLib from 'twilio';
import { buildTestApp, createTenant } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { launchCampaign } from '../../src/modules/sending/launch.js';
import { dispatchCampaign } from '../../src/modules/sending/dispatcher.js';
import { gatewayKind } from '../../src/modules/gateways/registry.js';
import { validTwilioSignature } from '../../src/modules/gateways/kinds/twilio-signature.js';
import { readyToSend, scheduleNow, query, PART_PRICE } from '../sending/helpers.js';
import { inboundNumber, inboundRows, workers, NUMBER } from '../inbound/helpers.js';
import { ACCOUNT_SID, AUTH_TOKEN, TwilioServer, inboundParams, signedPost, type Behaviour } from './twilio-server.js';

type Teardown = Parameters<typeof buildTestApp>[0];

/** An account whose default gateway is Twilio (pointed at the local server), with a campaign to
 * Ann, Bart and Carl ready to launch, on an app listening on a port (its PUBLIC_URL). */
async function twilioAccount(t: Teardown, options: { behaviours?: Record<string, Behaviour>; config?: Record<string, string> } = {}) {
  const server = await TwilioServer.start();
  t.teardown(() => server.close());
  for (const [phone, behaviour] of Object.entries(options.behaviours ?? {})) server.behaviours.set(phone, behaviour);
  const { app, orm, base } = await buildTestApp(t, {}, undefined, { listen: true });
  const { account } = await createTenant(orm);
  const ready = await readyToSend(orm, account);
  const config = { account_sid: ACCOUNT_SID, auth_token: AUTH_TOKEN, from: '+15005550006', base_url: server.url, ...options.config };
  const [gateway] = await query<{ id: string }>(orm, `update gateway set kind = 'twilio', config = ? where account_id = ? and is_default returning id`, [JSON.stringify(config), account.id]);
  const em = withAccount(orm.em, account.id);
  const send = async () => {
    await scheduleNow(orm, account, ready.campaign.id);
    await launchCampaign(em, ready.campaign.id, base);
    return dispatch();
  };
  const dispatch = () => dispatchCampaign(em, account.id, ready.campaign.id, { publicUrl: base });
  // The messages that were to go (Dora opted out and Eve has a bad number: skipped at launch).
  const messages = () =>
    query<{ phone: string; status: string; error_code: string | null; gateway_message_id: string | null; bounce: string | null; waiting: string | null }>(
      orm,
      "select phone, status, error_code, gateway_message_id, bounce, waiting from message where campaign_id = ? and status <> 'skipped' order by phone",
      [ready.campaign.id],
    );
  const contact = async (phone: string) =>
    (await query<{ sms_opt_in: boolean | null; opt_out_source: string | null; bad_number: boolean }>(orm, 'select sms_opt_in, opt_out_source, bad_number from contact where account_id = ? and phone = ?', [account.id, phone]))[0]!;
  const rejected = async () => (await query<{ rejected_requests: number }>(orm, 'select rejected_requests from gateway where id = ?', [gateway!.id]))[0]!.rejected_requests;
  return { server, app, orm, base, account, campaign: ready.campaign, gatewayId: gateway!.id, config, send, dispatch, messages, contact, rejected };
}

const ANN = '+33612345601';
const BART = '+33612345602';
const CARL = '+4915112345603';

t.test('a campaign goes out through Twilio, and signed status callbacks mark its messages delivered or undelivered', async (t) => {
  const { server, base, gatewayId, send, messages } = await twilioAccount(t);
  await send();
  t.equal(server.messages.length, 3, 'one request per message');
  const ann = server.messages.find((m) => m.To === ANN)!;
  t.match(ann, { Body: 'Hello Ann, spring sale today!', From: '+15005550006', StatusCallback: `${base}/webhooks/${gatewayId}/dlr`, authorised: true });
  t.same(
    (await messages()).map((m) => [m.status, m.gateway_message_id]),
    [ANN, BART, CARL].map((phone) => ['sent', server.messages.find((m) => m.To === phone)!.sid]),
    "each message is sent with Twilio's SID",
  );

  const [, bart, carl] = [ANN, BART, CARL].map((phone) => server.messages.find((m) => m.To === phone)!);
  const sent = await server.callback(ann, 'sent');
  t.equal(sent.status, 200, 'an interim status is taken');
  t.equal((await messages())[0]!.status, 'sent', '…and changes nothing');
  t.equal((await server.callback(ann, 'delivered')).status, 200);
  t.equal((await server.callback(bart!, 'undelivered', '30005')).status, 200);
  t.equal((await server.callback(carl!, 'failed', '30003')).status, 200);
  t.same(
    (await messages()).map((m) => [m.status, m.error_code, m.bounce]),
    [
      ['delivered', null, null],
      ['undelivered', '30005', 'hard'],
      ['failed', '30003', 'soft'],
    ],
    'unknown handset: a hard bounce; unreachable handset: a soft one',
  );
  const again = await server.callback(ann, 'delivered');
  t.same(JSON.parse(again.body), { ok: true, changed: false }, 'the same MessageSid and status again changes nothing');
});

t.test('a status callback that Twilio did not sign for this URL and token is refused with 403 and changes nothing', async (t) => {
  const { server, send, messages, rejected, base, gatewayId } = await twilioAccount(t);
  await send();
  const ann = server.messages.find((m) => m.To === ANN)!;
  const url = `${base}/webhooks/${gatewayId}/dlr`;
  const params = { MessageSid: ann.sid, MessageStatus: 'delivered' };
  const before = await rejected();
  const forged = [
    await server.callback(ann, 'delivered', undefined, { token: 'someone-elses-token' }),
    await signedPost(url, params, AUTH_TOKEN, 'not-a-signature'),
    await signedPost(url, params, AUTH_TOKEN, twilioLib.getExpectedTwilioSignature(AUTH_TOKEN, `${url}?other=1`, params)),
    await signedPost(url, { ...params, MessageStatus: 'failed' }, AUTH_TOKEN, twilioLib.getExpectedTwilioSignature(AUTH_TOKEN, url, params)),
  ];
  t.same(
    forged.map((r) => r.status),
    [403, 403, 403, 403],
    'another token, no signature, another URL, a changed parameter',
  );
  t.match(JSON.parse(forged[0]!.body).error.message, /X-Twilio-Signature/);
  t.equal((await messages()).find((m) => m.phone === ANN)!.status, 'sent', 'the message is unchanged');
  t.equal(await rejected(), before + forged.length, 'each refusal counted on the gateway');
  const malformed = await signedPost(url, { MessageSid: ann.sid, MessageStatus: 'arrived' });
  t.equal(malformed.status, 400, 'a signed callback with an unknown status is malformed');
});

t.test("Twilio's own signature rules: the URL is tried without and with its port, parameters sorted by name, as the official validateRequest does", async (t) => {
  const params = { To: '+33644000000', From: '+33612345601', Body: 'Stop ✋ & go', MessageSid: 'SM1', Zeta: '', Alpha: 'a' };
  const cases = [
    ['https://sms.example.com/webhooks/x/inbound', 'https://sms.example.com/webhooks/x/inbound'],
    ['https://sms.example.com:443/webhooks/x/inbound', 'https://sms.example.com/webhooks/x/inbound'],
    ['https://sms.example.com/webhooks/x/inbound', 'https://sms.example.com:443/webhooks/x/inbound'],
    ['http://127.0.0.1:8080/webhooks/x/dlr', 'http://127.0.0.1/webhooks/x/dlr'],
    ['http://127.0.0.1/webhooks/x/dlr', 'http://127.0.0.1:80/webhooks/x/dlr'],
    ['https://sms.example.com/webhooks/x/dlr?a=1&b=2', 'https://sms.example.com/webhooks/x/dlr?a=1&b=2'],
    ['https://sms.example.com/webhooks/x/dlr', 'https://sms.example.com/webhooks/y/dlr'],
    ['https://sms.example.com/webhooks/x/dlr', 'https://other.example.com/webhooks/x/dlr'],
  ];
  for (const [signedFor, receivedAt] of cases) {
    const signature = twilioLib.getExpectedTwilioSignature(AUTH_TOKEN, signedFor!, params);
    t.equal(validTwilioSignature(AUTH_TOKEN, signature, receivedAt!, params), twilioLib.validateRequest(AUTH_TOKEN, signature, receivedAt!, params), `signed for ${signedFor}, received at ${receivedAt}`);
  }
  const url = 'https://sms.example.com/webhooks/x/dlr';
  const signature = twilioLib.getExpectedTwilioSignature(AUTH_TOKEN, url, params);
  t.ok(validTwilioSignature(AUTH_TOKEN, signature, url, params), 'the official signature is accepted');
  t.notOk(validTwilioSignature('another-token', signature, url, params), 'not with another token');
  t.notOk(validTwilioSignature(AUTH_TOKEN, signature, url, { ...params, Body: 'Stop ✋ & go!' }), 'not with another body');
  const repeated = { Tag: ['b', 'a', 'b'], Body: 'x' };
  const repeatedSignature = twilioLib.getExpectedTwilioSignature(AUTH_TOKEN, url, repeated);
  t.equal(validTwilioSignature(AUTH_TOKEN, repeatedSignature, url, repeated), true, 'a repeated parameter: each distinct value, sorted');
});

t.test('21610 opts the contact out (source gateway), 21211 and 21614 flag bad numbers; they fail, are refunded and not retried', async (t) => {
  const { send, messages, contact, orm, account } = await twilioAccount(t, { behaviours: { [ANN]: { error: 21610 }, [BART]: { error: 21211 }, [CARL]: { error: 21614 } } });
  await send();
  t.same(
    (await messages()).map((m) => [m.phone, m.status, m.error_code]),
    [
      [ANN, 'failed', '21610'],
      [BART, 'failed', '21211'],
      [CARL, 'failed', '21614'],
    ],
  );
  t.match(await contact(ANN), { sms_opt_in: false, opt_out_source: 'gateway', bad_number: false }, 'Ann unsubscribed at Twilio: opted out');
  const [event] = await query<{ source: string; actor: string; opted_in: boolean }>(orm, 'select source, actor, opted_in from consent_event where account_id = ? and opted_in = false', [account.id]);
  t.match(event, { source: 'gateway', actor: 'gateway (Twilio 21610)' }, 'the consent history says why');
  t.match(await contact(BART), { sms_opt_in: null, bad_number: true }, 'invalid number: flagged');
  t.match(await contact(CARL), { sms_opt_in: null, bad_number: true }, 'not a mobile number: flagged');
  const [{ balance }] = await query<{ balance: string }>(orm, 'select sum(amount_micros) as balance from credit_transaction where account_id = ?', [account.id]);
  t.equal(Number(balance), 100_000_000, `every refused message refunded (${PART_PRICE} a part)`);
});

t.test('429 with Retry-After: the message waits at least as long as Twilio asked, then goes; a 500 is retried later', async (t) => {
  const { send, dispatch, messages, orm, campaign, server } = await twilioAccount(t, { behaviours: { [ANN]: { rateLimit: { retryAfter: '600', times: 1 } }, [BART]: { fail: 500 } } });
  await send();
  const [ann, bart, carl] = await messages();
  t.match(ann, { status: 'queued', waiting: 'retry', error_code: '20429' });
  t.match(bart, { status: 'queued', waiting: 'retry', error_code: '20500' });
  t.equal(carl!.status, 'sent');
  const waits = await query<{ phone: string; seconds: number }>(orm, `select phone, extract(epoch from not_before - now())::int as seconds from message where campaign_id = ? and status = 'queued' order by phone`, [campaign.id]);
  t.ok(waits[0]!.seconds > 500, `Ann waits Retry-After (600 s), not the 30 s backoff: ${waits[0]!.seconds}`);
  t.ok(waits[1]!.seconds <= 30, `Bart waits the backoff: ${waits[1]!.seconds}`);
  server.behaviours.delete(BART);
  await query(orm, `update message set not_before = now() where campaign_id = ? and status = 'queued'`, [campaign.id]);
  await dispatch();
  t.same(
    (await messages()).map((m) => m.status),
    ['sent', 'sent', 'sent'],
    'both go once they are due',
  );
  t.equal(server.messages.filter((m) => m.To === ANN).length, 1, 'Ann got it once');
});

t.test('wrong credentials: every message fails for good with Twilio\'s 20003, and the connection test says so', async (t) => {
  const { send, messages, config, gatewayId, account } = await twilioAccount(t, { config: { auth_token: 'wrong-token' } });
  await send();
  t.same(
    (await messages()).map((m) => [m.status, m.error_code]),
    [
      ['failed', '20003'],
      ['failed', '20003'],
      ['failed', '20003'],
    ],
    'failed, not retried',
  );
  const test = gatewayKind('twilio').testConnection!;
  const row = { id: gatewayId, accountId: account.id, kind: 'twilio', secret: 's', config };
  const wrong = await test(row);
  t.equal(wrong.ok, false);
  t.match(wrong.message, /refused the account SID and auth token/);
  const right = await test({ ...row, config: { ...config, auth_token: AUTH_TOKEN } });
  t.same(right, { ok: true, message: 'Twilio accepts the account SID and auth token: account "Test account" (active).' });
  const nobody = await test({ ...row, config: { ...config, base_url: 'http://127.0.0.1:9' } });
  t.match(nobody, { ok: false, message: /No answer from Twilio/ });
});

t.test('an inbound message and a STOP through Twilio reach the inbound module, answered with empty TwiML; forged ones are refused', async (t) => {
  const { server, orm, account, base, contact, gatewayId, rejected } = await twilioAccount(t);
  await inboundNumber(orm, account);
  const url = `${base}/webhooks/${gatewayId}/inbound`;
  const hello = inboundParams({ from: BART, to: NUMBER, body: 'Hello there' });
  const answer = await signedPost(url, hello);
  t.equal(answer.status, 200);
  t.match(answer.type, /^text\/xml/);
  t.match(answer.body, /<Response\/>$/, 'an empty TwiML answer: Twilio sends nothing itself');
  t.equal((await signedPost(url, hello)).status, 200, 'Twilio retrying the same MessageSid…');
  t.equal((await inboundRows(orm, account.id)).length, 1, '…stores it once');

  const before = await rejected();
  t.equal((await signedPost(url, inboundParams({ from: ANN, to: NUMBER, body: 'STOP' }), 'another-token')).status, 403, 'a forged STOP is refused');
  t.equal((await inboundRows(orm, account.id)).length, 1, 'and stores nothing');
  t.equal(await rejected(), before + 1);

  t.equal((await signedPost(url, inboundParams({ from: ANN, to: NUMBER, body: 'STOP' }))).status, 200);
  await workers(orm).settle();
  t.match(await contact(ANN), { sms_opt_in: false, opt_out_source: 'stop_keyword' }, 'STOP opts Ann out');
  const confirmation = server.messages.find((m) => m.To === ANN);
  t.match(confirmation, { Body: 'You are unsubscribed from Acme.', From: '+15005550006', StatusCallback: `http://localhost:3000/webhooks/${gatewayId}/dlr` }, 'the confirmation goes out through Twilio');
});
