// A Kannel gateway against the real Kannel (bearerbox, smsbox) with its fake SMSC as the operator
// (kannel-harness.ts): campaigns go out as the phones would receive them (text, Unicode as UCS-2,
// a long text in concatenated parts), Kannel's delivery reports come back, an SMS from a phone
// reaches the inbound module (STOP opts the contact out), wrong credentials fail clearly without
// retries; and forged webhooks are refused with nothing stored (no Kannel needed for those).
import t from 'tap';
import { buildTestApp, createTenant, eventually } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Campaign } from '../../src/modules/campaigns/campaign.entity.js';
import { gatewayKind } from '../../src/modules/gateways/index.js';
import { launchCampaign } from '../../src/modules/sending/launch.js';
import { dispatchCampaign } from '../../src/modules/sending/dispatcher.js';
import { readyToSend, query } from '../sending/helpers.js';
import { inboundNumber, workers, NUMBER } from '../inbound/helpers.js';
import { KANNEL_USER, skipWithoutKannel, startKannel, type Kannel } from './kannel-harness.js';

const skip = skipWithoutKannel();
if (skip) t.comment(skip);

const { orm, base } = await buildTestApp(t, {}, undefined, { listen: true });
const { account } = await createTenant(orm);
const ready = await readyToSend(orm, account);
const { gateway } = await inboundNumber(orm, account);
const em = withAccount(orm.em.fork(), account.id);
const kannel: Kannel | null = skip ? null : await startKannel({ getUrl: gatewayKind('kannel').webhookUrls(gateway, base).inbound });
if (kannel) t.teardown(() => kannel.stop());
// What Kannel's boxes said, when a test fails.
t.afterEach((t) => {
  if (kannel && !t.passing()) t.comment(kannel.logs());
});
const kannelConfig = (password = KANNEL_USER.password) => ({ url: kannel?.sendsmsUrl ?? 'http://127.0.0.1:9/cgi-bin/sendsms', username: KANNEL_USER.username, password, status_url: kannel?.statusUrl ?? '', status_password: kannel?.statusPassword ?? '' });
await query(orm, `update gateway set kind = 'kannel', config = ? where id = ?`, [JSON.stringify(kannelConfig()), gateway.id]);

/** Launches a campaign of `body` to the audience (Ann, Bartholomew-Alexander, Carl) and
 * dispatches it through the Kannel gateway. */
async function sendCampaign(name: string, body: string): Promise<string> {
  const campaign = em.create(Campaign, { account: account.id, name, sender: 'Textcast', body, recipientSource: 'list', list: ready.list, createdBy: 'test' });
  await em.flush();
  await query(orm, `update campaign set status = 'scheduled', scheduled_at = now() where id = ?`, [campaign.id]);
  const launched = await launchCampaign(withAccount(orm.em.fork(), account.id), campaign.id, base);
  if (launched.outcome !== 'launched') throw new Error(`not launched: ${JSON.stringify(launched)}`);
  await dispatchCampaign(withAccount(orm.em.fork(), account.id), account.id, campaign.id, { publicUrl: base });
  return campaign.id;
}

// The audience's opted-out (Dora) and bad (Eve) numbers are skipped at launch: the others go.
const statuses = async (campaignId: string) => (await query<{ phone: string; status: string }>(orm, `select phone, status from message where campaign_id = ? and status <> 'skipped' order by phone`, [campaignId])).map((m) => `${m.phone} ${m.status}`);
const allDelivered = (rows: string[]) => rows.length === 3 && rows.every((row) => row.endsWith(' delivered'));

t.test('a campaign goes out through the real Kannel: the SMSC receives each text as written, and Kannel reports it delivered', { skip }, async (t) => {
  const id = await sendCampaign('Spring', 'Hello {{first_name|there}}, spring sale today!');
  const got = await eventually('the SMSC received the three messages', () => kannel!.received().filter((m) => m.text.includes('spring sale')), { until: (m) => m.length === 3 });
  t.same(
    got.map((m) => `${m.from} ${m.to} ${m.type} ${m.text}`).sort(),
    ['Textcast +33612345601 text Hello Ann, spring sale today!', 'Textcast +33612345602 text Hello Bartholomew-Alexander, spring sale today!', 'Textcast +4915112345603 text Hello Carl, spring sale today!'],
  );
  t.same(await eventually('every message delivered', () => statuses(id), { until: allDelivered }), ['+33612345601 delivered', '+33612345602 delivered', '+4915112345603 delivered']);
  const events = await query<{ status: string }>(orm, `select e.status from message_event e join message m on m.id = e.message_id where m.campaign_id = ? order by e.id`, [id]);
  t.ok(events.some((e) => e.status === 'pending'), "Kannel's \"accepted by the SMSC\" report is recorded without changing the message");
});

t.test('a Unicode campaign reaches the SMSC as UCS-2 with every character intact', { skip }, async (t) => {
  const id = await sendCampaign('Unicode', 'Привет {{first_name|there}} 😀 — скидка');
  const got = await eventually('the SMSC received the three messages', () => kannel!.received().filter((m) => m.text.includes('скидка')), { until: (m) => m.length === 3 });
  t.same(got.map((m) => m.type), ['ucs-2', 'ucs-2', 'ucs-2'], 'sent as UCS-2 (coding=2)');
  t.same(got.map((m) => m.text).sort(), ['Привет Ann 😀 — скидка', 'Привет Bartholomew-Alexander 😀 — скидка', 'Привет Carl 😀 — скидка']);
  await eventually('every message delivered', () => statuses(id), { until: allDelivered });
});

t.test('a long campaign text reaches each phone as 3 concatenated parts that join into the text', { skip }, async (t) => {
  const long = `Dear {{first_name|there}}, ${'our spring collection is here and every item is reduced today only. '.repeat(5)}`.trim();
  const id = await sendCampaign('Long', long);
  const parts = await eventually('the SMSC received three parts for each phone', () => kannel!.received().filter((m) => m.type === 'udh' && m.to === '+33612345601'), { until: (m) => m.length === 3 });
  // The header: concatenated SMS (IEI 00, length 03), a reference, the count (03) and the number.
  t.same(parts.map((m) => m.udh!.replace(/^050003..03/, '')), ['01', '02', '03'], 'parts 1, 2, 3 of 3, one reference');
  t.equal(parts.map((m) => m.text).join(''), long.replace('{{first_name|there}}', 'Ann'));
  const [row] = await query<{ parts: number }>(orm, `select parts from message where campaign_id = ? and phone = '+33612345601'`, [id]);
  t.equal(row!.parts, 3, 'billed as the 3 parts it went out as');
  await eventually('every message delivered', () => statuses(id), { until: allDelivered });
});

t.test('a 10-part Unicode text reaches each phone as 10 concatenated UCS-2 parts that join into the text', { skip }, async (t) => {
  // 650 Cyrillic characters: 10 parts of at most 67 (UCS-2 with a concatenation header).
  const body = 'Весенняя распродажа: скидки на всё! '.repeat(19).slice(0, 650);
  const id = await sendCampaign('Ten parts', body);
  const parts = await eventually('the SMSC received ten parts for Ann', () => kannel!.received().filter((m) => m.type === 'udh' && m.to === '+33612345601' && m.udh!.startsWith('050003') && m.udh!.slice(8, 10) === '0a'), { until: (m) => m.length === 10 });
  t.same(parts.map((m) => m.udh!.slice(10, 12)), ['01', '02', '03', '04', '05', '06', '07', '08', '09', '0a'], 'parts 1 to 10 of 10');
  // Each part's data is UCS-2 (big-endian) as bytes.
  t.equal(parts.map((m) => Buffer.from(m.text, 'latin1').swap16().toString('utf16le')).join(''), body, 'the parts join into the text, every character intact');
  const [row] = await query<{ parts: number; encoding: string }>(orm, `select parts, encoding from message where campaign_id = ? and phone = '+33612345601'`, [id]);
  t.same(row, { parts: 10, encoding: 'UCS-2' }, 'billed as the 10 UCS-2 parts it went out as');
  await eventually('every message delivered', () => statuses(id), { until: allDelivered });
});

t.test('an SMS from a phone reaches the inbound module through Kannel; STOP opts the contact out, and the reply goes back through Kannel', { skip }, async (t) => {
  const work = workers(orm, { publicUrl: base });
  kannel!.inject('+33612345602', NUMBER, 'STOP');
  const [stored] = await eventually('the message is stored', () => query<{ from_raw: string; to_number: string; body: string; gateway_message_id: string }>(orm, 'select from_raw, to_number, body, gateway_message_id from inbound_message where account_id = ?', [account.id]), {
    until: (rows) => rows.length === 1,
  });
  t.match(stored, { from_raw: '+33612345602', to_number: NUMBER, body: 'STOP' });
  t.match(stored!.gateway_message_id, /^[0-9a-f-]{36}$/, "Kannel's id of the message (%I)");
  await work.settle();
  const [contact] = await query<{ sms_opt_in: boolean | null }>(orm, 'select sms_opt_in from contact where account_id = ? and phone = ?', [account.id, '+33612345602']);
  t.equal(contact!.sms_opt_in, false, 'opted out');
  const reply = await eventually('the opt-out reply reached the phone', () => kannel!.received().find((m) => m.to === '+33612345602' && m.from === NUMBER));
  t.equal(reply.text, 'You are unsubscribed from Acme.');
});

t.test("wrong Kannel credentials: Test connection says so, and a campaign's messages fail with Kannel's answer, refunded, never retried", { skip }, async (t) => {
  const wrong = { ...gateway, kind: 'kannel', accountId: account.id, config: kannelConfig('not-the-password') };
  const test = await gatewayKind('kannel').testConnection!(wrong);
  t.same(test, { ok: false, message: 'Kannel refused the username or password (403 Authorization failed for sendsms).' });
  const right = await gatewayKind('kannel').testConnection!({ ...wrong, config: kannelConfig() });
  t.equal(right.ok, true);
  t.match(right.message, /^Kannel accepted the username and password \(nothing was sent\); bearerbox: running, uptime/);

  await query(orm, `update gateway set config = ? where id = ?`, [JSON.stringify(wrong.config), gateway.id]);
  t.teardown(() => query(orm, `update gateway set config = ? where id = ?`, [JSON.stringify(kannelConfig()), gateway.id]));
  const before = kannel!.received().length;
  const id = await sendCampaign('Wrong password', 'Hello {{first_name|there}}, this never leaves.');
  const rows = await query<{ status: string; error_code: string; attempts: number }>(orm, `select status, error_code, attempts from message where campaign_id = ? and status <> 'skipped'`, [id]);
  // Ann and Carl: Bartholomew-Alexander opted out by STOP above.
  t.same(rows, Array(2).fill({ status: 'failed', error_code: '403 Authorization failed for sendsms', attempts: 1 }), 'failed at once, with what Kannel said');
  const [refund] = await query<{ refunded: string }>(orm, `select coalesce(sum(amount_micros), 0) as refunded from credit_transaction where campaign_id = ? and kind = 'refund'`, [id]);
  t.ok(Number(refund!.refunded) > 0, 'the messages are refunded');
  t.equal(kannel!.received().length, before, 'nothing reached the SMSC');
});

t.test('forged or malformed Kannel webhooks are refused and store nothing; reports map onto statuses, a failure keeping the SMSC error', async (t) => {
  // Another account's messages, sent through its simulator, whose gateway then becomes a Kannel.
  const { account: other } = await createTenant(orm);
  const { campaign } = await readyToSend(orm, other);
  await query(orm, `update campaign set status = 'scheduled', scheduled_at = now() where id = ?`, [campaign.id]);
  await launchCampaign(withAccount(orm.em.fork(), other.id), campaign.id, base);
  await dispatchCampaign(withAccount(orm.em.fork(), other.id), other.id, campaign.id, { publicUrl: base });
  const [kannelGateway] = await query<{ id: string; secret: string }>(orm, `update gateway set kind = 'kannel' where account_id = ? and is_default returning id, secret`, [other.id]);
  const sent = await query<{ id: string; gateway_message_id: string }>(orm, `select id, gateway_message_id from message where campaign_id = ? and status <> 'skipped' order by id`, [campaign.id]);
  t.equal(sent.length, 3);
  const call = (path: string, params: Record<string, string>) => fetch(`${base}/webhooks/${kannelGateway!.id}/${path}?${new URLSearchParams(params)}`).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { code: string } } }));
  const stored = async () => ({
    events: Number((await query<{ count: string }>(orm, 'select count(*) from message_event where account_id = ?', [other.id]))[0]!.count),
    inbound: Number((await query<{ count: string }>(orm, 'select count(*) from inbound_message where account_id = ?', [other.id]))[0]!.count),
    statuses: (await query<{ status: string }>(orm, `select status from message where campaign_id = ? and status <> 'skipped' order by id`, [campaign.id])).map((m) => m.status),
  });
  const before = await stored();
  const secret = kannelGateway!.secret;
  const report = { type: '1', id: sent[0]!.gateway_message_id };
  const sms = { from: '+33612345601', to: NUMBER, text: 'STOP', id: 'a1b2', time: '1764662400' };
  t.match(await call('dlr', { ...report, secret: 'forged' }), { status: 401, body: { error: { code: 'unauthorized' } } }, 'a forged secret');
  t.match(await call('dlr', report), { status: 401 }, 'no secret');
  t.match(await call('dlr', { ...report, secret: secret.slice(0, -1) }), { status: 401 }, 'a secret one character short');
  t.match(await call('dlr', { ...report, secret, type: '3' }), { status: 400, body: { error: { code: 'malformed' } } }, 'an unknown report type');
  t.match(await call('dlr', { secret, type: '1' }), { status: 400 }, 'no message id');
  t.match(await call('inbound', { ...sms, secret: 'forged' }), { status: 401 }, 'a forged inbound message');
  t.match(await call('inbound', { ...sms, secret, from: '' }), { status: 400 }, 'no sender');
  t.match(await call('inbound', { ...sms, secret, time: 'yesterday' }), { status: 400 }, 'a time that is not Unix seconds');
  t.same(await stored(), before, 'nothing stored, no status changed');

  t.match(await call('dlr', { ...report, secret, type: '8', reply: 'ACK/' }), { status: 200, body: { ok: true, changed: false } }, 'accepted by the SMSC: recorded, no change');
  t.match(await call('dlr', { secret, type: '2', id: sent[1]!.gateway_message_id, reply: 'id:7 sub:001 dlvrd:000 stat:UNDELIV err:001 text:Hello' }), { status: 200, body: { ok: true, changed: true } });
  t.match(await call('dlr', { secret, type: '16', id: sent[2]!.gateway_message_id, reply: 'NACK/0x0000000b/Invalid Destination Address' }), { status: 200, body: { ok: true, changed: true } });
  const rows = await query<{ status: string; error_code: string | null }>(orm, `select status, error_code from message where campaign_id = ? and status <> 'skipped' order by id`, [campaign.id]);
  t.same(rows, [
    { status: 'sent', error_code: null },
    { status: 'undelivered', error_code: 'err:001' },
    { status: 'failed', error_code: 'NACK/0x0000000b/Invalid Destination Address' },
  ]);
  const [event] = await query<{ status: string; raw: Record<string, string> }>(orm, `select status, raw from message_event where account_id = ? order by id limit 1`, [other.id]);
  t.match(event, { status: 'pending', raw: { type: '8', reply: 'ACK/' } }, 'the report is stored as Kannel sent it');
});
