import t from 'tap';
import { buildTestApp, createTenant } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { launchCampaign } from '../../src/modules/sending/launch.js';
import { dispatchCampaign } from '../../src/modules/sending/dispatcher.js';
import { readyToSend, scheduleNow, query } from './helpers.js';

async function sentCampaign(t: Parameters<typeof buildTestApp>[0]) {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const { campaign } = await readyToSend(orm, account);
  await scheduleNow(orm, account, campaign.id);
  const em = withAccount(orm.em, account.id);
  await launchCampaign(em, campaign.id, 'http://localhost:3000');
  await dispatchCampaign(em, account.id, campaign.id, { publicUrl: 'http://localhost:3000' });
  const [gateway] = await query<{ id: string; secret: string }>(orm, 'select id, secret from gateway where account_id = ? and is_default', [account.id]);
  const messages = await query<{ id: string; gateway_message_id: string }>(orm, `select id, gateway_message_id from message where campaign_id = ? and status = 'sent' order by id`, [campaign.id]);
  const post = (body: unknown, secret = gateway.secret, gatewayId = gateway.id) =>
    app.inject({ method: 'POST', url: `/webhooks/${gatewayId}/dlr`, headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, payload: typeof body === 'string' ? body : JSON.stringify(body) });
  const state = async () => ({
    events: Number((await query<{ count: string }>(orm, 'select count(*) from message_event'))[0].count),
    rejected: Number((await query<{ rejected_requests: number }>(orm, 'select rejected_requests from gateway where id = ?', [gateway.id]))[0].rejected_requests),
    statuses: (await query<{ status: string }>(orm, 'select status from message where campaign_id = ? order by id', [campaign.id])).map((r) => r.status),
  });
  return { app, orm, gateway, messages, post, state, campaign };
}

t.test('a delivery report with the right secret marks the message delivered and is stored raw', async (t) => {
  const { messages, post, orm } = await sentCampaign(t);
  t.equal(messages.length, 3);
  const response = await post({ id: messages[0].gateway_message_id, status: 'delivered' });
  t.equal(response.statusCode, 200);
  t.same(response.json(), { ok: true, changed: true });
  const [message] = await query<{ status: string; reported_at: Date | null }>(orm, 'select status, reported_at from message where id = ?', [messages[0].id]);
  t.equal(message.status, 'delivered');
  t.ok(message.reported_at);
  const [event] = await query<{ raw: { id: string; status: string }; status: string }>(orm, 'select raw, status from message_event');
  t.same(event.raw, { id: messages[0].gateway_message_id, status: 'delivered' });
});

t.test('bad webhook requests get a clear 4xx, store nothing, and are counted on the gateway', async (t) => {
  const { messages, post, state, gateway } = await sentCampaign(t);
  const before = await state();
  const cases: [string, Awaited<ReturnType<typeof post>>, number, RegExp][] = [
    ['wrong secret', await post({ id: messages[0].gateway_message_id, status: 'delivered' }, 'not-the-secret'), 401, /secret/],
    ['malformed JSON', await post('{"id": "x", '), 400, /.+/],
    ['a JSON array', await post([1, 2]), 400, /JSON object/],
    ['an unknown status', await post({ id: messages[0].gateway_message_id, status: 'arrived' }), 400, /status/],
    ['no id', await post({ status: 'delivered' }), 400, /"id"/],
    ['an unknown bounce class', await post({ id: messages[0].gateway_message_id, status: 'undelivered', bounce: 'permanent' }), 400, /"bounce" must be one of hard, soft, unknown/],
    ['an unknown message id', await post({ id: 'no-such-message', status: 'delivered' }), 404, /no-such-message/],
    ['a 1 MB body', await post({ id: messages[0].gateway_message_id, status: 'delivered', padding: 'x'.repeat(1_000_000) }), 413, /.+/],
  ];
  for (const [what, response, status, message] of cases) {
    t.equal(response.statusCode, status, `${what}: ${status}`);
    t.match(response.json().error.message, message, `${what}: says why`);
  }
  const after = await state();
  t.equal(after.events, before.events, 'no report stored');
  t.same(after.statuses, before.statuses, 'no message changed');
  t.equal(after.rejected, before.rejected + cases.length, 'each refusal counted');
  const unknownGateway = await post({ id: 'x', status: 'delivered' }, gateway.secret, '00000000-0000-4000-8000-000000000000');
  t.equal(unknownGateway.statusCode, 404);
});

t.test("an undelivered report's error code makes the message a hard, soft or unknown bounce; a delivered one has none", async (t) => {
  const { messages, post, orm, campaign } = await sentCampaign(t);
  const bounces = async () => (await query<{ bounce: string | null }>(orm, `select bounce from message where campaign_id = ? and gateway_message_id is not null order by id`, [campaign.id])).map((m) => m.bounce);
  await post({ id: messages[0].gateway_message_id, status: 'undelivered', error_code: 'EC_UNKNOWN_SUBSCRIBER' });
  await post({ id: messages[1].gateway_message_id, status: 'failed', error_code: 'absent subscriber' });
  await post({ id: messages[2].gateway_message_id, status: 'undelivered', error_code: 'X-417' });
  t.same(await bounces(), ['hard', 'soft', 'unknown'], 'no such number: hard; phone off: soft; a code nobody knows: unknown');
});

t.test('a report\'s own "bounce" wins over its error code, and a delivered report leaves the message without one', async (t) => {
  const { messages, post, orm, campaign } = await sentCampaign(t);
  await post({ id: messages[0].gateway_message_id, status: 'undelivered', error_code: 'ABSENT_SUBSCRIBER', bounce: 'hard' });
  await post({ id: messages[1].gateway_message_id, status: 'undelivered', bounce: 'soft' });
  await post({ id: messages[2].gateway_message_id, status: 'delivered', error_code: 'UNKNOWN_SUBSCRIBER' });
  const rows = await query<{ status: string; bounce: string | null }>(orm, `select status, bounce from message where campaign_id = ? and gateway_message_id is not null order by id`, [campaign.id]);
  t.same(rows, [
    { status: 'undelivered', bounce: 'hard' },
    { status: 'undelivered', bounce: 'soft' },
    { status: 'delivered', bounce: null },
  ]);
});

t.test('a repeated report changes nothing, and an older final status never overwrites a newer one', async (t) => {
  const { messages, post, state } = await sentCampaign(t);
  for (let i = 0; i < 3; i++) await post({ id: messages[0].gateway_message_id, status: 'delivered' });
  await post({ id: messages[1].gateway_message_id, status: 'undelivered', error_code: 'ABSENT' });
  const late = await post({ id: messages[1].gateway_message_id, status: 'delivered' });
  t.same(late.json(), { ok: true, changed: false });
  const after = await state();
  t.same(after.statuses, ['delivered', 'undelivered', 'sent', 'skipped', 'skipped']);
  t.equal(after.events, 5, 'every report is kept');
});

t.test('a sent message without a final report after 72 hours becomes unknown, and a late report still counts', async (t) => {
  const { messages, post, orm, campaign } = await sentCampaign(t);
  await query(orm, `update campaign set first_sent_at = now() - interval '80 hours', launched_at = now() - interval '80 hours' where id = ?`, [campaign.id]);
  await query(orm, `update message set sent_at = now() - interval '73 hours' where id = ?`, [messages[0].id]);
  const { markUnknownDeliveries } = await import('../../src/modules/sending/delivery-reports.queries.js');
  t.equal(await markUnknownDeliveries(orm.em.fork()), 1, 'only the message sent over 72 hours ago');
  const status = async (id: string) => (await query<{ status: string }>(orm, 'select status from message where id = ?', [id]))[0].status;
  t.equal(await status(messages[0].id), 'unknown');
  t.equal(await status(messages[1].id), 'sent');
  await post({ id: messages[0].gateway_message_id, status: 'delivered' });
  t.equal(await status(messages[0].id), 'delivered');
});

t.test("one gateway's bad report never fails another's in the same shared batch", async (t) => {
  const { orm, gateway, messages, post } = await sentCampaign(t);
  // Through HTTP, a NUL anywhere in a report is refused alone, before the batch.
  const nul = await post(`{"id": "${messages[0].gateway_message_id}", "status": "delivered", "error_code": "x\\u0000"}`);
  t.equal(nul.statusCode, 400);
  // A report the statement itself cannot store (a lone surrogate in its raw JSON), batched with
  // good ones: only it fails.
  const { DeliveryReportBatcher } = await import('../../src/modules/sending/delivery-reports.js');
  const running = DeliveryReportBatcher.MAX_RUNNING;
  DeliveryReportBatcher.MAX_RUNNING = 1; // the first report runs alone; the next two share a batch
  t.teardown(() => {
    DeliveryReportBatcher.MAX_RUNNING = running;
  });
  const batcher = new DeliveryReportBatcher(() => orm.em.fork());
  const at = { id: gateway.id, accountId: (await query<{ account_id: string }>(orm, 'select account_id from gateway where id = ?', [gateway.id]))[0].account_id };
  const report = (i: number) => ({ gatewayMessageId: messages[i].gateway_message_id, status: 'delivered' as const, errorCode: null, bounce: null });
  const [first, bad, good] = await Promise.allSettled([
    batcher.apply(at, report(0), { id: messages[0].gateway_message_id }),
    batcher.apply(at, report(1), { note: 'bad \ud800' }),
    batcher.apply(at, report(2), { id: messages[2].gateway_message_id }),
  ]);
  t.match(first, { status: 'fulfilled', value: { found: true, changed: true } });
  t.equal(bad.status, 'rejected', 'the bad report fails');
  t.match(good, { status: 'fulfilled', value: { found: true, changed: true } }, 'the report batched with it is applied');
  const statuses = await query<{ id: string; status: string }>(orm, 'select id, status from message where id = any(?::bigint[]) order by id', [`{${messages.map((m) => m.id).join(',')}}`]);
  t.same(statuses.map((s) => s.status), ['delivered', 'sent', 'delivered']);
});
