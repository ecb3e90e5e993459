// Inbound SMS end to end below the pages: the webhook stores what a gateway posts (once per
// message id), the processor reads it as STOP, START, HELP, an event keyword, an email or inbox
// text, acts on the contact, records triggers, and the reply sender answers from the number.
import t from 'tap';
import type { MikroORM } from '@mikro-orm/postgresql';
import { buildTestApp, createKey, createTenant, signedIn } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Contact } from '../../src/modules/contacts/contact.entity.js';
import { readyToSend, query, scheduleNow, PART_PRICE } from '../sending/helpers.js';
import { launchCampaign } from '../../src/modules/sending/launch.js';
import { dispatchCampaign } from '../../src/modules/sending/dispatcher.js';
import { ensureExternalEvent } from '../../src/modules/automation/external-events.queries.js';
import { createGateway } from '../../src/modules/gateways/gateways.service.js';
import { Account } from '../../src/modules/accounts/account.entity.js';
import { inboundNumber, inboundRows, receive, replies, workers, NUMBER } from './helpers.js';

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const ready = await readyToSend(orm, account);
  const { gateway, inbound } = await inboundNumber(orm, account);
  const contact = (phone: string) => withAccount(orm.em.fork(), account.id).findOne(Contact, { phone });
  const balance = async () => Number((await query<{ b: string }>(orm, 'select sum(amount_micros) as b from credit_transaction where account_id = ?', [account.id]))[0]!.b);
  return { app, orm, account, owner, gateway, inbound, contact, balance, ...ready, ...workers(orm) };
}

/** An inbound event with its keywords and its external event, as the event setup stores it. */
async function event(orm: MikroORM, accountId: string, numberId: string, name: string, type: string, keywords: string[], replyText: string | null) {
  const externalId = await ensureExternalEvent(orm.em.fork(), accountId, `SMS ${NUMBER} Autoresponder: ${name}`, 'inbound');
  const [row] = await query<{ id: string }>(
    orm,
    `insert into inbound_event (id, account_id, inbound_number_id, name, type, keywords, reply_text, external_event_id, created_at, updated_at)
     values (gen_random_uuid(), ?, ?, ?, ?, ?::text[], ?, ?, now(), now()) returning id`,
    [accountId, numberId, name, type, `{${keywords.join(',')}}`, replyText, externalId],
  );
  for (const keyword of keywords) await query(orm, 'insert into inbound_event_keyword (account_id, inbound_number_id, keyword, event_id) values (?, ?, ?, ?)', [accountId, numberId, keyword, row!.id]);
  return { id: row!.id, externalId };
}

t.test('STOP from a contact opts them out with the evidence, and one confirmation goes out from the number, billed', async (t) => {
  const { app, orm, account, gateway, contact, settle, balance } = await setup(t);
  const before = await balance();
  const posted = await receive(app, gateway, { from: '+33612345601', text: '  Stop. ' });
  t.equal(posted.statusCode, 200, 'the webhook answers at once');
  t.equal(posted.json().status, 'received');
  await settle();
  const ann = await contact('+33612345601');
  t.equal(ann!.smsOptIn, false, 'Ann is opted out');
  t.equal(ann!.optOutSource, 'stop_keyword');
  const [row] = await inboundRows(orm, account.id);
  t.match(row, { status: 'processed', classification: 'opt_out', keyword: 'STOP', contact_id: String(ann!.id) });
  const consent = await query<{ source: string; actor: string; opted_in: boolean }>(orm, 'select source, actor, opted_in from consent_event where account_id = ? and contact_id = ?', [account.id, ann!.id]);
  t.same(consent, [{ source: 'stop_keyword', actor: `inbound:${NUMBER} STOP`, opted_in: false }], 'the consent history says how, when and through which number');
  t.same(await replies(orm, account.id), [{ phone: '+33612345601', body: 'You are unsubscribed from Acme.', status: 'sent', is_confirmation: true, cost_micros: String(PART_PRICE), skip_reason: null }], 'the confirmation was sent');
  t.equal(await balance(), before - PART_PRICE, 'and billed');
  const atGateway = await query<{ sender: string; phone: string }>(orm, 'select sender, phone from simulator_message where account_id = ?', [account.id]);
  t.same(atGateway, [{ sender: NUMBER, phone: '+33612345601' }], 'through the number\'s gateway, from the inbound number');

  await receive(app, gateway, { from: '+33612345601', text: 'STOP' });
  await settle();
  t.equal((await replies(orm, account.id)).length, 1, 'a second STOP is not confirmed again');
});

t.test('the national and spaced forms of STOP are read; a sentence that merely contains it is not', async (t) => {
  const { app, orm, account, gateway, settle } = await setup(t);
  await inboundNumber(orm, account, '+12025550123', 'US');
  const texts: [string, string][] = [
    ['ARRÊT', NUMBER],
    ['stop au 36180', NUMBER],
    ['STOP ALL', NUMBER],
    ['Opt out', '+12025550123'],
    ['REVOKE!', '+12025550123'],
    ['Opt out', NUMBER], // not one of France's keywords
    ['Please do not stop sending me deals', NUMBER],
  ];
  for (const [i, [text, to]] of texts.entries()) await receive(app, gateway, { from: `+3361234570${i}`, text, to });
  await settle();
  const rows = await inboundRows(orm, account.id);
  t.same(rows.map((r) => r.classification), ['opt_out', 'opt_out', 'opt_out', 'opt_out', 'opt_out', 'inbox', 'inbox']);
  t.same(rows.map((r) => r.keyword), ['ARRET', 'STOP', 'STOP', 'OPTOUT', 'REVOKE', null, null]);
});

t.test('STOP from a number that is no contact suppresses it: a later API contact arrives opted out', async (t) => {
  const { app, orm, account, gateway, settle } = await setup(t);
  await receive(app, gateway, { from: '+33698765432', text: 'stop' });
  await settle();
  const key = await createKey(orm, account);
  const created = await app.inject({ method: 'POST', url: '/api/v1/contacts', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: JSON.stringify({ contacts: [{ phone: '+33698765432', first_name: 'Zoe' }] }) });
  t.equal(created.json().created, 1);
  const [zoe] = await query<{ sms_opt_in: boolean | null }>(orm, 'select sms_opt_in from contact where account_id = ? and phone = ?', [account.id, '+33698765432']);
  t.equal(zoe!.sms_opt_in, false, 'the number cannot be texted by a later import or API call');
});

t.test('START opts back in and answers; HELP answers, but not an opted-out contact', async (t) => {
  const { app, orm, account, gateway, contact, settle } = await setup(t);
  await receive(app, gateway, { from: '+33612345604', text: 'HELP' }); // Dora is opted out
  await settle();
  t.same(await replies(orm, account.id), [], 'no help text to an opted-out contact');
  await receive(app, gateway, { from: '+33612345604', text: 'start' });
  await settle();
  t.equal((await contact('+33612345604'))!.smsOptIn, true, 'Dora is opted in again');
  await receive(app, gateway, { from: '+33612345604', text: 'aide' });
  await settle();
  t.same((await replies(orm, account.id)).map((r) => r.body), ['You are subscribed to Acme again.', 'Acme: reply STOP to unsubscribe.']);
});

t.test('an inbound event keyword triggers its external event and its reply; each type does what the reference says', async (t) => {
  const { app, orm, account, inbound, gateway, contact, settle } = await setup(t);
  const confirm = await event(orm, account.id, inbound.id, 'Confirm registration', 'inboundResponder', ['CONFIRM'], 'Thanks, a confirmation email is on its way.');
  await event(orm, account.id, inbound.id, 'Join', 'inboundJoinResponder', ['JOIN'], 'Welcome to Acme SMS!');
  await event(orm, account.id, inbound.id, 'Email', 'inboundEmailHandler', ['MAIL'], null);
  await event(orm, account.id, inbound.id, 'Feedback', 'inboundInboxHandler', ['FEEDBACK'], null);
  await event(orm, account.id, inbound.id, 'Leave', 'inboundUnsubscribeHandler', ['LEAVE'], null);

  await receive(app, gateway, { from: '+33612345601', text: 'confirm' });
  await receive(app, gateway, { from: '+33611111111', text: 'Join please' });
  await receive(app, gateway, { from: '+33622222222', text: 'MAIL zed@example.org' });
  await receive(app, gateway, { from: '+33612345602', text: 'feedback The shop was lovely' });
  await receive(app, gateway, { from: '+4915112345603', text: 'Leave' });
  await settle();

  const rows = await inboundRows(orm, account.id);
  t.same(rows.map((r) => [r.classification, r.keyword]), [['event', 'CONFIRM'], ['event', 'JOIN'], ['event', 'MAIL'], ['event', 'FEEDBACK'], ['event', 'LEAVE']]);
  const triggers = await query<{ event_id: string; contact_id: string | null; data: { keyword: string; text: string } }>(orm, 'select event_id, contact_id, data from event_trigger where account_id = ? order by id', [account.id]);
  t.equal(triggers.length, 5, 'every match records a trigger of its external event');
  t.match(triggers[0], { event_id: confirm.externalId, contact_id: String((await contact('+33612345601'))!.id), data: { keyword: 'CONFIRM', text: 'confirm' } });
  t.same((await replies(orm, account.id)).map((r) => [r.phone, r.body, r.status]), [
    ['+33612345601', 'Thanks, a confirmation email is on its way.', 'sent'],
    ['+33611111111', 'Welcome to Acme SMS!', 'sent'],
  ]);
  const joined = await contact('+33611111111');
  t.equal(joined!.smsOptIn, true, 'join: a contact created and subscribed');
  t.equal(joined!.country, 'FR');
  t.equal((await contact('+33622222222'))!.email, 'zed@example.org', 'email handler: a contact created with the email');
  t.match(rows[3], { in_inbox: true, inbox_text: 'The shop was lovely' }, 'inbox handler: the text after the keyword in the inbox');
  const optOut = await query(orm, 'select keyword from number_opt_out where account_id = ? and inbound_number_id = ?', [account.id, inbound.id]);
  t.same(optOut, [{ keyword: 'LEAVE' }], 'unsubscribe handler: opted out of this number only');
  t.equal((await contact('+4915112345603'))!.smsOptIn, null, 'and still opted in to everything else');
});

t.test('an email address in a message is saved on the contact; other text goes to the inbox', async (t) => {
  const { app, orm, account, gateway, contact, settle } = await setup(t);
  await receive(app, gateway, { from: '+33612345601', text: 'my address is Ann.Smith@Example.com, thanks' });
  await receive(app, gateway, { from: '+33612345602', text: 'What time do you open on Sunday?' });
  await settle();
  t.equal((await contact('+33612345601'))!.email, 'ann.smith@example.com');
  const rows = await inboundRows(orm, account.id);
  t.match(rows, [{ classification: 'email', captured_email: 'ann.smith@example.com', in_inbox: true }, { classification: 'inbox', inbox_text: 'What time do you open on Sunday?', in_inbox: true }]);
});

t.test('the webhook: a forged secret is 401, a repeated message is stored once, an unknown number is unroutable, bad bodies are 400', async (t) => {
  const { app, orm, account, gateway, settle } = await setup(t);
  const forged = await receive(app, { id: gateway.id, secret: 'x'.repeat(32) }, { from: '+33612345601', text: 'STOP' });
  t.equal(forged.statusCode, 401);
  const first = await receive(app, gateway, { id: 'dup-1', from: '+33612345601', text: 'hello' });
  const again = await receive(app, gateway, { id: 'dup-1', from: '+33612345601', text: 'hello' });
  t.equal(again.statusCode, 200);
  t.same([first.json().duplicate, again.json().duplicate, again.json().id], [false, true, first.json().id], 'the second delivery names the first');
  const stranger = await receive(app, gateway, { from: '+33612345601', text: 'hi', to: '+33699999999' });
  t.equal(stranger.statusCode, 200, 'answered 200 so the gateway stops retrying');
  t.equal(stranger.json().status, 'unroutable');
  const bad = await receive(app, gateway, { from: 'not a number', text: 'x'.repeat(2001) });
  t.equal(bad.statusCode, 400);
  const nul = await receive(app, gateway, { from: '+33612345601', text: 'a\u0000b' });
  t.equal(nul.statusCode, 400);
  const long = await receive(app, gateway, { from: 'ACME-SHOP', text: '😀 émoji and Ελληνικά '.repeat(60).slice(0, 1600) });
  t.equal(long.statusCode, 200, 'a sender that is no number and a 1,600-character text in mixed scripts are kept');
  const empty = await receive(app, gateway, { from: '+33612345602', text: '' });
  t.equal(empty.statusCode, 200, 'an empty SMS is still a message');
  await settle();
  const rows = await inboundRows(orm, account.id);
  t.same(rows.map((r) => r.status), ['processed', 'unroutable', 'processed', 'processed']);
  t.match(rows[3], { classification: 'inbox', in_inbox: true, inbox_text: '' }, 'the empty one is in the inbox for a person to see');
  t.match(rows[2], { classification: 'inbox', contact_id: null, in_inbox: true }, 'a sender that does not parse is read in the inbox, not answered');
  const refused = await query<{ rejected_requests: number }>(orm, 'select rejected_requests from gateway where id = ?', [gateway.id]);
  t.equal(refused[0]!.rejected_requests, 3, 'the refusals are counted on the gateway');
});

t.test('STOP mid-send removes the contact from a campaign that is still going out', async (t) => {
  const { app, orm, account, gateway, campaign, settle } = await setup(t);
  await query(orm, 'update gateway set messages_per_second = 1 where id = ?', [gateway.id]);
  await scheduleNow(orm, account, campaign.id);
  await launchCampaign(withAccount(orm.em, account.id), campaign.id, 'http://localhost:3000');
  // Ann and Bartholomew say STOP before their messages leave; the rest go.
  await receive(app, gateway, { from: '+33612345601', text: 'STOP' });
  await receive(app, gateway, { from: '+33612345602', text: 'Arret' });
  await settle();
  await dispatchCampaign(withAccount(orm.em, account.id), account.id, campaign.id, { publicUrl: 'http://localhost:3000' });
  const statuses = await query<{ phone: string; status: string; skip_reason: string | null }>(orm, 'select phone, status, skip_reason from message where campaign_id = ? order by phone', [campaign.id]);
  t.same(
    statuses.filter((s) => ['+33612345601', '+33612345602', '+4915112345603'].includes(s.phone)),
    [
      { phone: '+33612345601', status: 'skipped', skip_reason: 'opted_out' },
      { phone: '+33612345602', status: 'skipped', skip_reason: 'opted_out' },
      { phone: '+4915112345603', status: 'sent', skip_reason: null },
    ],
  );
});

t.test('a contact opted out of one sender number is skipped by campaigns from that number only', async (t) => {
  const { app, orm, account, owner, inbound, gateway, campaign, settle } = await setup(t);
  await event(orm, account.id, inbound.id, 'Leave', 'inboundUnsubscribeHandler', ['LEAVE'], null);
  await receive(app, gateway, { from: '+4915112345603', text: 'leave' });
  await settle();
  await query(orm, 'update campaign set sender = ?, inbound_number_id = ? where id = ?', [NUMBER, inbound.id, campaign.id]);
  await scheduleNow(orm, account, campaign.id);
  await launchCampaign(withAccount(orm.em, account.id), campaign.id, 'http://localhost:3000');
  const [carl] = await query<{ status: string; skip_reason: string }>(orm, 'select status, skip_reason from message where campaign_id = ? and phone = ?', [campaign.id, '+4915112345603']);
  t.same(carl, { status: 'skipped', skip_reason: 'opted_out_of_number' });
  const carlId = (await query<{ id: string }>(orm, 'select id from contact where account_id = ? and phone = ?', [account.id, '+4915112345603']))[0]!.id;
  const page = await (await signedIn(app, owner)).get(`/contacts/${carlId}`);
  t.match(page.body, /<p id="sender-opt-outs">Not sent campaigns from <strong>\+33644000000<\/strong> \(replied LEAVE on [^)]+\); other senders still reach this contact\.<\/p>/, 'the contact page says so');
});

t.test("a contact's page shows the conversation both ways; erasing the contact erases what it wrote", async (t) => {
  const { app, orm, account, owner, inbound, gateway, contact, settle } = await setup(t);
  await event(orm, account.id, inbound.id, 'Confirm registration', 'inboundResponder', ['CONFIRM'], 'Thanks, Ann!');
  await receive(app, gateway, { from: '+33612345601', text: 'Confirm' });
  await settle();
  await receive(app, gateway, { from: '+33612345601', text: 'see you at ann.private@example.org' });
  await settle();
  const ann = (await contact('+33612345601'))!;
  const client = await signedIn(app, owner);
  const page = await client.get(`/contacts/${ann.id}`);
  const entries = [...page.body.matchAll(/data-direction="(in|out)"[\s\S]*?<p>([^<]*)<\/p>/g)].map((m) => [m[1], m[2]]);
  t.same(entries, [
    ['in', 'Confirm'],
    ['out', 'Thanks, Ann!'],
    ['in', 'see you at ann.private@example.org'],
  ], 'oldest first, both directions');
  t.match(page.body, `Received`);
  t.match(page.body, `from ${NUMBER}`, 'the reply came from the inbound number');

  await client.get(`/contacts/${ann.id}/delete`);
  t.equal((await client.post(`/contacts/${ann.id}/delete`)).statusCode, 303);
  const left = await query<{ phone: string | null; body: string; captured_email: string | null }>(orm, 'select phone, body, captured_email from inbound_message where account_id = ?', [account.id]);
  t.same(left, [{ phone: null, body: '', captured_email: null }, { phone: null, body: '', captured_email: null }], 'the texts and the number are gone, the records stay');
  const triggers = await query<{ contact_id: string | null; data: unknown }>(orm, 'select contact_id, data from event_trigger where account_id = ?', [account.id]);
  t.same(triggers, [{ contact_id: null, data: {} }], 'the trigger keeps no data of the contact');
});

t.test('a campaign sent from an inbound number goes out through that number’s gateway, where its replies arrive', async (t) => {
  const { orm, account, campaign } = await setup(t);
  const em = withAccount(orm.em.fork(), account.id);
  const second = await createGateway(em, await em.findOneOrFail(Account, { id: account.id }), { kind: 'simulator', name: 'Second simulator', options: { delay_ms: '50' } });
  await em.flush();
  const { inbound } = await inboundNumber(orm, account, '+33755000000');
  await query(orm, 'update inbound_number set gateway_id = ? where id = ?', [second.id, inbound.id]);
  await query(orm, 'update campaign set sender = ?, inbound_number_id = ? where id = ?', ['+33755000000', inbound.id, campaign.id]);
  await scheduleNow(orm, account, campaign.id);
  await launchCampaign(withAccount(orm.em, account.id), campaign.id, 'http://localhost:3000');
  const gateways = await query<{ gateway_id: string }>(orm, 'select distinct gateway_id from message where campaign_id = ?', [campaign.id]);
  t.same(gateways, [{ gateway_id: second.id }], 'not the default gateway');
});

t.test("a sender's messages processed together are read in order: each sees what the one before did", async (t) => {
  const { app, orm, account, inbound, gateway, contact, settle } = await setup(t);
  await event(orm, account.id, inbound.id, 'Join', 'inboundJoinResponder', ['JOIN'], 'Welcome to Acme SMS!');
  // A stranger joins, then stops; Ann stops, then asks for help: one batch of the processor.
  await receive(app, gateway, { from: '+33611111111', text: 'JOIN' });
  await receive(app, gateway, { from: '+33612345601', text: 'STOP' });
  await receive(app, gateway, { from: '+33611111111', text: 'STOP' });
  await receive(app, gateway, { from: '+33612345601', text: 'HELP' });
  await settle();
  const joined = await contact('+33611111111');
  t.equal(joined!.smsOptIn, false, 'the contact the JOIN created is the one the STOP opts out');
  const suppressed = await query(orm, 'select 1 from suppression where account_id = ?', [account.id]);
  t.same(suppressed, [], 'no number was suppressed as if it were no contact');
  const answered = (await replies(orm, account.id)).map((r) => [r.phone, r.body, r.status]).sort();
  t.same(answered, [
    ['+33611111111', 'Welcome to Acme SMS!', 'skipped'],
    ['+33611111111', 'You are unsubscribed from Acme.', 'sent'],
    ['+33612345601', 'You are unsubscribed from Acme.', 'sent'],
  ], 'no help text to Ann, who stopped just before; the welcome is not sent after the STOP');
});

t.test('a message whose processing fails fails alone, with its error; the others arriving with it are processed', async (t) => {
  const { app, orm, account, gateway, contact, settle } = await setup(t);
  // A database that refuses one email address stands for any failure of one message.
  await query(orm, `create function refuse_email() returns trigger language plpgsql as $$ begin if new.email = 'boom@example.org' then raise exception 'email refused'; end if; return new; end $$`);
  await query(orm, 'create trigger refuse_email before update on contact for each row execute function refuse_email()');
  await receive(app, gateway, { from: '+33612345601', text: 'STOP' });
  await receive(app, gateway, { from: '+33612345602', text: 'my email is boom@example.org' });
  await receive(app, gateway, { from: '+33612345602', text: 'Is the sale still on?' });
  await receive(app, gateway, { from: '+4915112345603', text: 'HELP' });
  await settle();
  const rows = await inboundRows(orm, account.id);
  t.same(rows.map((r) => [r.status, r.classification]), [['processed', 'opt_out'], ['received', null], ['processed', 'inbox'], ['processed', 'help']]);
  t.match(rows[1]!.error, /email refused/, 'the failure is kept on the message, to be retried');
  t.equal((await contact('+33612345601'))!.smsOptIn, false, "Ann's STOP took effect");
  t.equal((await replies(orm, account.id)).length, 2, 'and was confirmed; Carl has his help text');
});

t.test('messages posted at once are each stored and answered with their own id; one posted twice at once is stored once', async (t) => {
  const { app, orm, account, gateway } = await setup(t);
  const post = (i: number) => receive(app, gateway, { id: `burst-${i}`, from: '+33612345601', text: `message ${i}` });
  await post(0);
  // Then twenty more at once, and the eleventh twice: it arrives with others, while the first are stored.
  const posted = await Promise.all([...Array.from({ length: 20 }, (_, i) => post(i + 1)), post(11)]);
  t.ok(posted.every((p) => p.statusCode === 200));
  const answers = posted.map((p) => p.json() as { id: string; duplicate: boolean });
  const stored = await query<{ id: string; body: string }>(orm, 'select id, body from inbound_message where account_id = ? and gateway_message_id <> ? order by id', [account.id, 'burst-0']);
  t.equal(stored.length, 20, 'twenty messages stored');
  const bodyOf = new Map(stored.map((row) => [String(row.id), row.body]));
  t.same(answers.slice(0, 20).map((a) => bodyOf.get(String(a.id))), Array.from({ length: 20 }, (_, i) => `message ${i + 1}`), 'each answer names its own message');
  t.same([answers[10]!.duplicate, answers[20]!.duplicate], [false, true], 'the second delivery of the eleventh is the duplicate');
  t.equal(String(answers[20]!.id), String(answers[10]!.id), 'and names the same message');
});
