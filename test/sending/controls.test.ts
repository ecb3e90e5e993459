import t from 'tap';
import { buildTestApp, createTenant, signedIn, createKey } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { launchCampaign } from '../../src/modules/sending/launch.js';
import { dispatchCampaign } from '../../src/modules/sending/dispatcher.js';
import { readyToSend, scheduleNow, query, PART_PRICE } from './helpers.js';
import { createContact } from '../../src/modules/contacts/contacts.service.js';
import { Account } from '../../src/modules/accounts/account.entity.js';

const PUBLIC_URL = 'http://localhost:3000';

async function launched(t: Parameters<typeof buildTestApp>[0], options: Parameters<typeof readyToSend>[2] = {}) {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const ready = await readyToSend(orm, account, options);
  await scheduleNow(orm, account, ready.campaign.id);
  const em = withAccount(orm.em, account.id);
  const launch = await launchCampaign(em, ready.campaign.id, PUBLIC_URL);
  const dispatch = (now?: Date) => dispatchCampaign(withAccount(orm.em, account.id), account.id, ready.campaign.id, { publicUrl: PUBLIC_URL, ...(now ? { now: () => now } : {}) });
  const statuses = async () => (await query<{ phone: string; status: string }>(orm, 'select phone, status from message where campaign_id = ? and not is_test order by phone', [ready.campaign.id])).map((r) => `${r.phone}:${r.status}`);
  const balance = async () => Number((await query<{ b: string }>(orm, 'select sum(amount_micros) as b from credit_transaction where account_id = ?', [account.id]))[0].b);
  return { app, orm, account, owner, ...ready, launch, dispatch, statuses, balance, client: await signedIn(app, owner) };
}

t.test('a paused campaign sends nothing until it is resumed', async (t) => {
  const { client, campaign, dispatch, statuses } = await launched(t);
  await client.get(`/create/${campaign.id}`);
  const paused = await client.post(`/create/${campaign.id}/pause`);
  t.equal(paused.statusCode, 303);
  t.match(decodeURIComponent(paused.headers.location as string), /Paused/);
  const outcome = await dispatch();
  t.equal(outcome.dispatched, 0);
  t.notOk((await statuses()).some((s) => s.endsWith(':sent')), 'nothing sent while paused');
  await client.post(`/create/${campaign.id}/resume`);
  t.equal((await dispatch()).dispatched, 3);
  t.equal((await statuses()).filter((s) => s.endsWith(':sent')).length, 3);
});

t.test('cancelling a sending campaign skips what has not left, and it cannot be resumed', async (t) => {
  const { client, campaign, dispatch, statuses, orm } = await launched(t);
  const page = await client.get(`/create/${campaign.id}`);
  t.match(page.body, `<a href="/create/${campaign.id}/cancel" role="button"`, 'the page offers to cancel the rest…');
  t.notMatch(page.body, `action="/create/${campaign.id}/cancel"`, '…but does not cancel in one click');
  const confirm = await client.get(`/create/${campaign.id}/cancel`);
  t.equal(confirm.statusCode, 200);
  t.match(confirm.body, /<strong data-field="left">3<\/strong> messages not sent yet will never be/, 'the confirmation says what will not be sent');
  t.same((await statuses()).filter((s) => s.endsWith(':skipped')).length, 2, 'asking changes nothing');
  const cancelled = await client.post(`/create/${campaign.id}/cancel`);
  t.match(decodeURIComponent(cancelled.headers.location as string), /3 messages will not be sent/);
  t.equal((await dispatch()).dispatched, 0);
  const reasons = await query<{ skip_reason: string }>(orm, `select skip_reason from message where campaign_id = ? and status = 'skipped' order by skip_reason`, [campaign.id]);
  t.same(reasons.map((r) => r.skip_reason), ['bad_number', 'cancelled', 'cancelled', 'cancelled', 'opted_out']);
  const resumed = await client.post(`/create/${campaign.id}/resume`);
  t.match(decodeURIComponent(resumed.headers.location as string), /cancelled: it cannot be sent/);
  t.same((await statuses()).filter((s) => s.endsWith(':sent')), []);
});

t.test('messages the gateway refuses for good fail with its code and their cost is refunded', async (t) => {
  const { dispatch, campaign, orm, balance } = await launched(t, { simulator: { reject_rate: '1' } });
  const before = await balance();
  await dispatch();
  const rows = await query<{ status: string; error_code: string }>(orm, `select status, error_code from message where campaign_id = ? and status <> 'skipped'`, [campaign.id]);
  t.same(rows.map((r) => `${r.status}:${r.error_code}`), ['failed:SIM-REJECTED', 'failed:SIM-REJECTED', 'failed:SIM-REJECTED']);
  t.equal(await balance(), before, 'debited, then refunded in full');
  const kinds = await query<{ kind: string; amount: string }>(orm, `select kind, amount_micros as amount from credit_transaction where campaign_id = ? order by id`, [campaign.id]);
  t.same(kinds.map((k) => [k.kind, Number(k.amount)]), [['debit', -3 * PART_PRICE], ['refund', 3 * PART_PRICE]]);
});

t.test('a temporary refusal is retried later, without billing the message twice', async (t) => {
  const { dispatch, campaign, orm, balance } = await launched(t, { simulator: { soft_bounce_rate: '1' } });
  const before = await balance();
  const outcome = await dispatch();
  t.ok(outcome.nextAt && outcome.nextAt.getTime() > Date.now() + 20_000, 'it looks again after the backoff');
  const rows = await query<{ status: string; waiting: string; attempts: number }>(orm, `select status, waiting, attempts from message where campaign_id = ? and status <> 'skipped'`, [campaign.id]);
  t.same(rows.map((r) => `${r.status}:${r.waiting}:${r.attempts}`), ['queued:retry:1', 'queued:retry:1', 'queued:retry:1']);
  await query(orm, `update message set not_before = now() where campaign_id = ?`, [campaign.id]);
  await dispatch();
  t.equal(await balance(), before - 3 * PART_PRICE, 'billed once over two attempts');
});

t.test('when the credit runs out mid-campaign it pauses and says why', async (t) => {
  const { dispatch, campaign, orm, account, client } = await launched(t);
  await query(orm, `insert into credit_transaction (account_id, kind, amount_micros, actor) select ?, 'adjustment', -sum(amount_micros), 'test' from credit_transaction where account_id = ?`, [account.id, account.id]);
  const outcome = await dispatch();
  t.match(outcome.stopped, /credit ran out/);
  const page = await client.get(`/create/${campaign.id}`);
  t.match(page.body, /data-field="problem">Paused: the credit ran out/);
  t.match(page.body, /data-field="status">paused/);
});

t.test('outside quiet hours messages wait for the window, and the page says how many and until when', async (t) => {
  const { dispatch, campaign, orm, client, account } = await launched(t);
  await query(orm, 'update account set quiet_hours = true where id = ?', [account.id]);
  // A Sunday at 13:00 in Paris: France is closed all day, Germany open.
  const sunday = new Date('2026-11-29T12:00:00Z');
  const outcome = await dispatch(sunday);
  t.equal(outcome.dispatched, 1, 'only the German recipient');
  const waiting = await query<{ phone: string; not_before: Date; waiting: string }>(orm, `select phone, not_before, waiting from message where campaign_id = ? and status = 'queued' order by phone`, [campaign.id]);
  t.same(waiting.map((w) => [w.phone, new Date(w.not_before).toISOString(), w.waiting]), [
    ['+33612345601', '2026-11-30T07:00:00.000Z', 'quiet_hours'],
    ['+33612345602', '2026-11-30T07:00:00.000Z', 'quiet_hours'],
  ]);
  // Seen from before that Monday (the figures count what still waits).
  await query(orm, `update message set not_before = now() + interval '1 day' where campaign_id = ? and status = 'queued'`, [campaign.id]);
  const page = await client.get(`/create/${campaign.id}`);
  t.match(page.body, /data-field="waiting">\s*<p><strong>2<\/strong> messages wait for the recipients' send window/);
});

t.test("a US campaign launched at 10:00 in New York goes to New York numbers at once and to each other zone when its own window opens", async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const ready = await readyToSend(orm, account, { quietHours: true });
  const em = withAccount(orm.em, account.id);
  // Written through the contact form's own path, so each takes the zone of its number.
  const us = { newYork: '+12125550101', brooklyn: '+17185550102', california: '+14155550103', hawaii: '+18085550104', noSingleZone: '+17752345678' };
  for (const phone of Object.values(us)) {
    const contact = await createContact(em, await em.findOneOrFail(Account, account.id), { phone }, 'test');
    await query(orm, 'insert into contact_list_member (list_id, contact_id, account_id) values (?, ?, ?)', [ready.list.id, contact.id, account.id]);
  }
  await em.flush();
  await scheduleNow(orm, account, ready.campaign.id);
  await launchCampaign(withAccount(orm.em, account.id), ready.campaign.id, PUBLIC_URL);
  const dispatch = (now: Date) => dispatchCampaign(withAccount(orm.em, account.id), account.id, ready.campaign.id, { publicUrl: PUBLIC_URL, now: () => now });
  const outcome = async () =>
    Object.fromEntries(
      (await query<{ phone: string; status: string; not_before: Date }>(orm, `select phone, status, not_before from message where campaign_id = ? and not is_test and phone like '+1%'`, [ready.campaign.id])).map((m) => [
        m.phone,
        m.status === 'queued' ? `waits until ${new Date(m.not_before).toISOString()}` : 'left',
      ]),
    );
  // Wednesday 16 December 2026, 15:00 UTC: 10:00 in New York, 07:00 in California, 05:00 in Honolulu.
  await dispatch(new Date('2026-12-16T15:00:00Z'));
  t.same(await outcome(), {
    [us.newYork]: 'left',
    [us.brooklyn]: 'left',
    [us.california]: 'waits until 2026-12-16T16:00:00.000Z',
    [us.hawaii]: 'waits until 2026-12-16T18:00:00.000Z',
    [us.noSingleZone]: 'waits until 2026-12-16T18:00:00.000Z',
  }, 'New York at once; California at 08:00 Pacific; Hawaii, and a number of no single zone (all of the country), at 08:00 Hawaii');

  const page = (await (await signedIn(app, owner)).get(`/create/${ready.campaign.id}`)).body.replace(/\s+/g, ' ');
  t.match(page, /<p><strong>3<\/strong> messages wait for the recipients' send window \(quiet hours\), each in the recipient's own time zone/, 'the page says how many wait');
  t.match(page, /data-waiting-zone="America\/Los_Angeles">1 waits for Pacific Time, until Wed 08:00 PST \(/, 'California: until 08:00 Pacific, in its own clock');
  t.match(page, /data-waiting-zone="Pacific\/Honolulu">1 waits for Hawaii-Aleutian Standard Time, until Wed 08:00 HST/, 'Hawaii');
  t.match(page, /data-waiting-zone="country:US">1 waits for the window open in all the time zones of United States \(US\), until/, 'the number of no single zone');
  t.ok(page.indexOf('America/Los_Angeles') < page.indexOf('Pacific/Honolulu'), 'soonest first');

  // At 08:00 Pacific California goes; Hawaii still waits. (The queue's due time is the database's
  // clock: the waiting messages are made due now, and the dispatcher sees 16:00 UTC.)
  await query(orm, `update message set not_before = now() where campaign_id = ? and status = 'queued'`, [ready.campaign.id]);
  await dispatch(new Date('2026-12-16T16:00:00Z'));
  const later = await outcome();
  t.equal(later[us.california], 'left', 'California at its 08:00');
  t.equal(later[us.hawaii], 'waits until 2026-12-16T18:00:00.000Z');
});

t.test('a test send goes at once to up to five numbers, is billed, and stays out of the figures', async (t) => {
  const { app, orm, account, owner, campaign } = await (async () => {
    const { app, orm } = await buildTestApp(t);
    const { account, owner } = await createTenant(orm);
    return { app, orm, account, owner, ...(await readyToSend(orm, account)) };
  })();
  const client = await signedIn(app, owner);
  await client.get(`/create/${campaign.id}`);
  const tooMany = await client.post(`/create/${campaign.id}/test`, { phones: '+33612345601, +33612345611, +33612345612, +33612345613, +33612345614, +33612345615' });
  t.equal(tooMany.statusCode, 422);
  t.match(tooMany.body, /<small class="field-error" id="phones-error">[^<]*at most 5 numbers/, 'said under the test field');
  const bad = await client.post(`/create/${campaign.id}/test`, { phones: '+33612345601, hello' });
  t.match(bad.body, /<small class="field-error" id="phones-error">Not a phone number: hello/);
  t.match(bad.body, 'value="+33612345601, hello"', 'what was typed is kept');
  t.same(await query(orm, 'select 1 from message where campaign_id = ?', [campaign.id]), [], 'a refused test writes nothing');
  const sent = await client.post(`/create/${campaign.id}/test`, { phones: '+33612345601, +33699999999' });
  t.equal(sent.headers.location, `/create/${campaign.id}?tested=2#test-send`, 'back at the test form');
  t.match((await client.get(String(sent.headers.location).split('#')[0])).body, /<article id="test-send">[\s\S]*Test sent to 2 numbers\./, 'the count next to the form');
  await dispatchCampaign(withAccount(orm.em, account.id), account.id, campaign.id, { publicUrl: PUBLIC_URL });
  const tests = await query<{ phone: string; body: string; status: string }>(orm, 'select phone, body, status from message where campaign_id = ? and is_test order by phone', [campaign.id]);
  t.same(tests.map((m) => [m.phone, m.body, m.status]), [
    ['+33612345601', 'Hello Ann, spring sale today!', 'sent'],
    ['+33699999999', 'Hello there, spring sale today!', 'sent'],
  ]);
  const [draft] = await query<{ status: string; first_sent_at: Date | null }>(orm, 'select status, first_sent_at from campaign where id = ?', [campaign.id]);
  t.same([draft.status, draft.first_sent_at], ['draft', null], 'the draft stays editable');
  const key = await createKey(orm, account);
  const stats = await app.inject({ method: 'GET', url: `/api/v1/sms-campaigns/${campaign.id}/stats`, headers: { authorization: `Bearer ${key}` } });
  t.equal(stats.json().recipients, 0, 'tests are not recipients');
  t.equal(stats.json().spent_micros, 2 * PART_PRICE, 'but they are billed');
});

t.test('the unsubscribe link asks to confirm, then opts the contact out and counts it on the campaign', async (t) => {
  const { dispatch, campaign, orm, app, account } = await launched(t, { body: 'Sale! Stop: {{unsubscribe_link}}' });
  await dispatch();
  const [message] = await query<{ token: string; body: string; contact_id: string }>(orm, `select token, body, contact_id from message where campaign_id = ? and phone = '+33612345601'`, [campaign.id]);
  t.equal(message.body, `Sale! Stop: ${PUBLIC_URL}/u/${message.token}`);
  const page = await app.inject({ method: 'GET', url: `/u/${message.token}` });
  t.equal(page.statusCode, 200);
  t.match(page.body, /Stop marketing text messages to <strong>\+336/);
  const [still] = await query<{ sms_opt_in: boolean | null }>(orm, 'select sms_opt_in from contact where id = ?', [message.contact_id]);
  t.not(still.sms_opt_in, false, 'opening the link changes nothing');
  const confirmed = await app.inject({ method: 'POST', url: `/u/${message.token}` });
  t.match(confirmed.body, /You are unsubscribed/);
  const [contact] = await query<{ sms_opt_in: boolean; opt_out_source: string }>(orm, 'select sms_opt_in, opt_out_source from contact where id = ?', [message.contact_id]);
  t.same([contact.sms_opt_in, contact.opt_out_source], [false, 'unsubscribe_link']);
  const key = await createKey(orm, account);
  const stats = await app.inject({ method: 'GET', url: `/api/v1/sms-campaigns/${campaign.id}/stats`, headers: { authorization: `Bearer ${key}` } });
  t.equal(stats.json().unsubscribes, 1);
  t.equal((await app.inject({ method: 'GET', url: '/u/AAAAAAAAAA' })).statusCode, 404, 'a made-up token finds nothing');
});

t.test('a tracked link redirects to its address and records the click for the message', async (t) => {
  const { dispatch, campaign, orm, app } = await launched(t, { body: 'See https://shop.example.com/sale?x=1.' });
  await dispatch();
  const [message] = await query<{ id: string; token: string; body: string }>(orm, `select id, token, body from message where campaign_id = ? and phone = '+33612345601'`, [campaign.id]);
  t.equal(message.body, `See ${PUBLIC_URL}/l/${message.token}1.`);
  const response = await app.inject({ method: 'GET', url: `/l/${message.token}1` });
  t.equal(response.statusCode, 302);
  t.equal(response.headers.location, 'https://shop.example.com/sale?x=1');
  const clicks = await query<{ message_id: string }>(orm, 'select message_id from click');
  t.same(clicks.map((c) => c.message_id), [message.id]);
  t.equal((await app.inject({ method: 'GET', url: `/l/${message.token}2` })).statusCode, 404, 'no second link');
  for (let i = 0; i < 5; i++) t.equal((await app.inject({ method: 'GET', url: `/l/${message.token}1` })).statusCode, 302);
  t.equal((await query(orm, 'select 1 from click')).length, 1, 'reloading within the minute counts one click');
  await query(orm, `update click set at = now() - interval '2 minutes'`);
  await app.inject({ method: 'GET', url: `/l/${message.token}1` });
  t.equal((await query(orm, 'select 1 from click')).length, 2, 'a click a minute later counts again');
});

t.test('one address cannot hammer a short link: past 120 redirects a minute it is refused', async (t) => {
  const { dispatch, campaign, orm, app } = await launched(t, { body: 'See https://shop.example.com/sale' });
  await dispatch();
  const [message] = await query<{ token: string }>(orm, `select token from message where campaign_id = ? and phone = '+33612345601'`, [campaign.id]);
  const statuses: number[] = [];
  for (let i = 0; i < 121; i++) statuses.push((await app.inject({ method: 'GET', url: `/l/${message.token}1` })).statusCode);
  t.same(statuses.slice(0, 120), Array(120).fill(302));
  t.equal(statuses[120], 429);
  t.equal((await query(orm, 'select 1 from click')).length, 1, 'and the figures counted one click');
});

t.test('the API launches, refuses a second launch and a draft without recipients, and reports progress', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const { campaign, em } = await readyToSend(orm, account);
  const key = await createKey(orm, account);
  const api = (method: 'GET' | 'POST', url: string) => app.inject({ method, url: `/api/v1/sms-campaigns/${url}`, headers: { authorization: `Bearer ${key}` } });
  const launch = await api('POST', `${campaign.id}/launch`);
  t.equal(launch.statusCode, 202);
  t.equal(launch.json().status, 'scheduled');
  const again = await api('POST', `${campaign.id}/launch`);
  t.equal(again.statusCode, 409);
  t.match(again.json().error.message, /already launching/);
  await launchCampaign(withAccount(orm.em, account.id), campaign.id, PUBLIC_URL);
  const third = await api('POST', `${campaign.id}/launch`);
  t.match(third.json().error.message, /sending: it has been launched already/);
  const stats = await api('GET', `${campaign.id}/stats`);
  t.same([stats.json().queued, stats.json().skipped], [3, { opted_out: 1, bad_number: 1 }]);
  t.equal((await api('POST', `${campaign.id}/pause`)).json().status, 'paused');
  t.equal((await api('POST', `${campaign.id}/resume`)).json().status, 'sending');
  t.equal((await api('POST', `${campaign.id}/cancel`)).json().status, 'cancelled');
  const draft = em.create((await import('../../src/modules/campaigns/campaign.entity.js')).Campaign, { account: account.id, name: 'Empty', sender: 'Textcast', body: 'Hi', createdBy: 'test' });
  await em.flush();
  const empty = await api('POST', `${draft.id}/launch`);
  t.equal(empty.statusCode, 422);
  t.match(JSON.stringify(empty.json()), /Choose the recipients/);
});

t.test('a contact who opts out after the launch does not get the queued message: it is skipped as opted out, with the time', async (t) => {
  const { app, orm, account, campaign, dispatch, statuses } = await launched(t);
  const key = await createKey(orm, account);
  const before = await app.inject({ method: 'GET', url: `/api/v1/sms-campaigns/${campaign.id}/stats`, headers: { authorization: `Bearer ${key}` } });
  const optedOutAtLaunch = before.json().skipped.opted_out ?? 0;
  // Ann opts out through the API while her message waits in the queue.
  const optOut = await app.inject({ method: 'POST', url: '/api/v1/contacts', headers: { authorization: `Bearer ${key}` }, payload: { contacts: [{ phone: '+33612345601', sms_opt_in: false }] } });
  t.equal(optOut.statusCode, 200);
  await dispatch();
  t.match(await statuses(), ['+33612345601:skipped'], 'her message is skipped');
  const [row] = await query<{ skip_reason: string; skipped_at: Date | null; body: string | null }>(orm, `select skip_reason, skipped_at, body from message where campaign_id = ? and phone = '+33612345601'`, [campaign.id]);
  t.equal(row.skip_reason, 'opted_out');
  t.ok(row.skipped_at, 'with the time it was skipped');
  t.same(await query(orm, `select 1 from simulator_message where phone = '+33612345601'`), [], 'the gateway never saw it');
  const after = await app.inject({ method: 'GET', url: `/api/v1/sms-campaigns/${campaign.id}/stats`, headers: { authorization: `Bearer ${key}` } });
  t.equal(after.json().skipped.opted_out, optedOutAtLaunch + 1, 'the API stats count it');
  t.ok((await statuses()).some((s) => s.endsWith(':sent')), 'the others still go');
});

t.test('turning quiet hours off releases the messages waiting for the window at once', async (t) => {
  const { dispatch, campaign, orm, account, owner, app, statuses } = await launched(t);
  await query(orm, 'update account set quiet_hours = true where id = ?', [account.id]);
  // A Sunday at 13:00 in Paris: the French recipients wait for Monday 08:00.
  await dispatch(new Date('2026-11-29T12:00:00Z'));
  // Seen from before that Monday: they still wait.
  await query(orm, `update message set not_before = now() + interval '1 day' where campaign_id = ? and status = 'queued'`, [campaign.id]);
  const owners = await signedIn(app, owner);
  await owners.get('/settings/quiet-hours');
  t.equal((await owners.post('/settings/quiet-hours/enabled', {})).statusCode, 303, 'quiet hours off');
  const waiting = await query<{ n: string }>(orm, `select count(*) as n from message where campaign_id = ? and status = 'queued' and (waiting = 'quiet_hours' or not_before > now())`, [campaign.id]);
  t.equal(Number(waiting[0].n), 0, 'nothing waits any more');
  const page = await owners.get(`/create/${campaign.id}`);
  t.notMatch(page.body, /data-field="waiting"/, 'the campaign page no longer says they wait');
  await dispatch();
  const now = await statuses();
  t.ok(now.includes('+33612345601:sent') && now.includes('+33612345602:sent'), 'and they go on the next pass');
});

t.test("a campaign page scheduled for later watches slowly, and is brought up to date when the launch is due", async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const { campaign } = await readyToSend(orm, account);
  await query(orm, `update campaign set status = 'scheduled', scheduled_at = now() + interval '1 hour' where id = ?`, [campaign.id]);
  const client = await signedIn(app, owner);
  const page = await client.get(`/create/${campaign.id}`);
  t.match(page.body, `hx-get="/create/${campaign.id}/progress?seen=waiting" hx-trigger="every 30s"`, 'the page watches for its launch');
  const htmx = { 'hx-request': 'true' };
  const early = await client.get(`/create/${campaign.id}/progress?seen=waiting`, htmx);
  t.equal(early.statusCode, 204, 'before its time: nothing to change');
  t.notOk(early.headers['hx-location']);
  await query(orm, `update campaign set scheduled_at = now() - interval '1 second' where id = ?`, [campaign.id]);
  const due = await client.get(`/create/${campaign.id}/progress?seen=waiting`, htmx);
  t.match(String(due.headers['hx-location']), `/create/${campaign.id}`, 'once due, the page is brought up to date');
  t.notMatch((await client.get(`/create/${campaign.id}`)).body, 'seen=waiting', 'and shows the progress panel instead');
});
