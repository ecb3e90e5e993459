// Inbound SMS → Inbound event setup, over HTTP: create, edit and delete events, each rule of the
// form (field errors, 422, nothing saved), their external events, and who may change them.
import t from 'tap';
import crypto from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { addUser, buildTestApp, createKey, createTenant, fieldError, signedIn, type Client } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { ExternalEvent } from '../../src/modules/automation/external-event.entity.js';
import { InboundEvent, InboundEventKeyword } from '../../src/modules/inbound/inbound.entity.js';
import { validateEvent, writeEvent } from '../../src/modules/inbound/events.service.js';
import { ValidationError } from '../../src/errors.js';
import { addInboundNumber } from './helpers.js';

const CONFIRM = { name: 'Confirm registration', keywords: 'confirm', type: 'inboundResponder', reply_text: 'Thanks! Your registration is confirmed.' };
const FULL_NAME = 'SMS +33644000000 Autoresponder: Confirm registration';

/** The event's rows as the database holds them: the event, its keyword rows, its external event. */
async function stored(orm: MikroORM, accountId: string) {
  const em = withAccount(orm.em, accountId);
  const events = await em.find(InboundEvent, {}, { populate: ['externalEvent'], orderBy: { name: 'asc' } });
  const keywordRows = await em.find(InboundEventKeyword, {}, { orderBy: { keyword: 'asc' } });
  const externalEvents = await em.find(ExternalEvent, {}, { orderBy: { name: 'asc' } });
  return {
    events,
    keywordRows: keywordRows.map((row) => `${row.keyword}→${row.event.id}`),
    externalEvents: externalEvents.map((event) => `${event.name} (${event.source})`),
  };
}

async function setUp(t: Parameters<typeof buildTestApp>[0]) {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm);
  const number = await addInboundNumber(orm, account);
  const client = await signedIn(app, await addUser(orm, account, 'marketer'));
  return { app, orm, owner, account, number, client };
}

const create = async (client: Client, form: Record<string, string>) => {
  await client.get('/inbound/events/new');
  return client.post('/inbound/events', form);
};

t.test('a marketer creates an event: listed as SMS <number> Autoresponder: <name>, with its external event', async (t) => {
  const { app, orm, account, number, client } = await setUp(t);
  const form = await client.get('/inbound/events/new');
  t.equal(form.statusCode, 200);
  t.match(form.body, `<option value="${number.id}" selected>+33644000000</option>`, 'the only number is chosen already');
  t.match(form.body, 'Saves the text that follows the keyword into the SMS inbox.', 'each type is explained');

  const created = await client.post('/inbound/events', { ...CONFIRM, keywords: 'confirm, Register  ok2', inbound_number: number.id });
  t.equal(created.statusCode, 303);
  t.equal(created.headers.location, '/inbound/events');

  const { events, keywordRows, externalEvents } = await stored(orm, account.id);
  t.equal(events.length, 1);
  const event = events[0]!;
  t.same(event.keywords, ['CONFIRM', 'REGISTER', 'OK2'], 'keywords are stored in upper case, in the order typed');
  t.same(keywordRows, [`CONFIRM→${event.id}`, `OK2→${event.id}`, `REGISTER→${event.id}`], 'and in the keywords table');
  t.same(externalEvents, [`${FULL_NAME} (inbound)`], 'its external event is created with the same name');
  t.equal(event.externalEvent.name, FULL_NAME);

  const list = await client.get('/inbound/events');
  t.match(list.body, FULL_NAME);
  t.match(list.body, '<li>CONFIRM</li><li>REGISTER</li><li>OK2</li>', 'with its keywords');
  t.match(list.body, 'Replies to the message, without creating a contact or changing one.', 'its type explained');
  t.match(list.body, 'Thanks! Your registration is confirmed.');
  t.match(list.body, '(1 SMS part)', "and its reply's part count");

  const api = await app.inject({ url: '/api/v1/inbound-events', headers: { authorization: `Bearer ${await createKey(orm, account)}` } });
  t.equal(api.statusCode, 200);
  t.match(api.json().inbound_events, [{ name: 'Confirm registration', type: 'inboundResponder', keywords: ['CONFIRM', 'REGISTER', 'OK2'], inbound_number: { number: '+33644000000' }, external_event: { id: event.externalEvent.id, name: FULL_NAME } }]);
});

t.test('editing an event renames its external event in place and moves its keywords', async (t) => {
  const { orm, account, number, client } = await setUp(t);
  const other = await addInboundNumber(orm, account, '+33644000001');
  await create(client, { ...CONFIRM, keywords: 'CONFIRM YES2', inbound_number: number.id });
  const [event] = (await stored(orm, account.id)).events;
  const externalId = event!.externalEvent.id;

  const form = await client.get(`/inbound/events/${event!.id}/edit`);
  t.match(form.body, 'value="Confirm registration"', 'the form shows the event');
  t.match(form.body, 'value="CONFIRM, YES2"');
  const saved = await client.post(`/inbound/events/${event!.id}`, { name: 'Confirm signup', keywords: 'signup', type: 'inboundJoinResponder', inbound_number: other.id, reply_text: 'Welcome!' });
  t.equal(saved.statusCode, 303);

  const after = await stored(orm, account.id);
  t.equal(after.events[0]!.externalEvent.id, externalId, 'the same external event (its triggers and programs follow it)');
  t.same(after.externalEvents, ['SMS +33644000001 Autoresponder: Confirm signup (inbound)'], 'renamed with the event and its number');
  t.same(after.keywordRows, [`SIGNUP→${event!.id}`], 'its old keywords are gone from the keywords table');
  t.match(after.events[0], { name: 'Confirm signup', type: 'inboundJoinResponder', keywords: ['SIGNUP'], replyText: 'Welcome!' });

  const freed = await create(client, { ...CONFIRM, name: 'Confirm again', inbound_number: number.id });
  t.equal(freed.statusCode, 303, 'a keyword the event gave up can be used by another');
});

t.test('deleting asks first, then removes the event, its keywords and its external event', async (t) => {
  const { orm, account, number, client } = await setUp(t);
  await create(client, { ...CONFIRM, inbound_number: number.id });
  const [event] = (await stored(orm, account.id)).events;
  await orm.em.getConnection().execute('insert into event_trigger (account_id, event_id, data) values (?, ?, ?)', [account.id, event!.externalEvent.id, '{}']);

  const confirm = await client.get(`/inbound/events/${event!.id}/delete`);
  t.equal(confirm.statusCode, 200);
  t.match(confirm.body, /Delete the event .{1,6}Confirm registration.{1,6}\?/);
  t.match(confirm.body, FULL_NAME, 'it names the external event that goes with it');
  t.same((await stored(orm, account.id)).externalEvents.length, 1, 'nothing is deleted by looking');

  const deleted = await client.post(`/inbound/events/${event!.id}/delete`);
  t.equal(deleted.statusCode, 303);
  t.same(await stored(orm, account.id), { events: [], keywordRows: [], externalEvents: [] });
  const [{ count }] = await orm.em.getConnection().execute<{ count: string }[]>('select count(*) from event_trigger where account_id = ?', [account.id]);
  t.equal(Number(count), 0, 'its triggers went with it');
  t.notMatch((await client.get('/inbound/events')).body, FULL_NAME);
  t.equal((await client.get(`/inbound/events/${event!.id}/edit`)).statusCode, 404);
});

t.test('each rule of the form is a field error (422) and saves nothing', async (t) => {
  const { orm, account, number, client } = await setUp(t);
  const base = { ...CONFIRM, inbound_number: number.id };
  const cases: [what: string, form: Record<string, string>, field: string, message: string | RegExp][] = [
    ['one letter', { keywords: 'C' }, 'keywords', '"C" is not a keyword: use 2 to 30 Latin letters and digits (a-z, 0-9), no spaces or accents.'],
    ['an accent', { keywords: 'confirmé' }, 'keywords', /CONFIRMÉ.* is not a keyword/],
    ['punctuation', { keywords: 'opt-in' }, 'keywords', /OPT-IN.* is not a keyword/],
    ['31 characters', { keywords: 'A'.repeat(31) }, 'keywords', /is not a keyword: use 2 to 30/],
    ['no keyword', { keywords: ' , ' }, 'keywords', 'Give at least one keyword.'],
    ["the number's opt-out keyword", { keywords: 'confirm stop' }, 'keywords', 'STOP is an opt-out keyword of +33644000000.'],
    ["the number's opt-out keyword ARRET", { keywords: 'Arret' }, 'keywords', 'ARRET is an opt-out keyword of +33644000000.'],
    ["the number's help keyword", { keywords: 'help' }, 'keywords', 'HELP is a help keyword of +33644000000.'],
    ["the number's opt-in keyword", { keywords: 'START' }, 'keywords', 'START is an opt-in keyword of +33644000000.'],
    ['no name', { name: '  ' }, 'name', 'Give the event a name.'],
    ['a long name', { name: 'x'.repeat(101) }, 'name', 'An event name can have at most 100 characters.'],
    ['no reply for inboundResponder', { reply_text: '' }, 'reply_text', 'An inboundResponder event replies: write the reply text.'],
    ['no reply for inboundJoinResponder', { type: 'inboundJoinResponder', reply_text: ' ' }, 'reply_text', 'An inboundJoinResponder event replies: write the reply text.'],
    ['a reply of 481 characters', { reply_text: 'x'.repeat(481) }, 'reply_text', 'A reply can have at most 480 characters; this one has 481.'],
    ['an unknown type', { type: 'inboundTeleporter' }, 'type', /Choose a type: inboundResponder, /],
    ['no type', { type: '' }, 'type', /Choose a type/],
    ['an unknown number', { inbound_number: crypto.randomUUID() }, 'inbound_number', 'Choose one of your inbound numbers.'],
    ['a malformed number id', { inbound_number: 'not-an-id' }, 'inbound_number', 'Choose one of your inbound numbers.'],
  ];
  for (const [what, change, field, message] of cases) {
    const response = await create(client, { ...base, ...change });
    t.equal(response.statusCode, 422, `${what}: 422`);
    const error = new RegExp(`<small class="field-error" id="${field}-error">([^<]*)</small>`).exec(response.body)?.[1]?.replace(/&#34;|&quot;/g, '"');
    if (typeof message === 'string') t.equal(error, message, `${what}: said on the ${field} field`);
    else t.match(error, message, `${what}: said on the ${field} field`);
    if (!change.name) t.match(response.body, 'value="Confirm registration"', `${what}: the form keeps what was typed`);
  }
  t.same(await stored(orm, account.id), { events: [], keywordRows: [], externalEvents: [] }, 'nothing was saved');

  const twoProblems = await create(client, { ...base, name: '', keywords: 'stop' });
  t.match(twoProblems.body, fieldError('name', 'Give the event a name.'), 'every field is reported at once');
  t.match(twoProblems.body, fieldError('keywords', 'STOP is an opt-out keyword of +33644000000.'));

  const optional = await create(client, { ...base, type: 'inboundInboxHandler', reply_text: '' });
  t.equal(optional.statusCode, 303, 'the other types need no reply');
  t.equal((await stored(orm, account.id)).events[0]!.replyText, null);
});

t.test('a keyword belongs to one event per number, and the same name once per number', async (t) => {
  const { orm, account, number, client } = await setUp(t);
  const other = await addInboundNumber(orm, account, '+33644000001');
  t.equal((await create(client, { ...CONFIRM, keywords: 'CONFIRM', inbound_number: number.id })).statusCode, 303);

  const taken = await create(client, { ...CONFIRM, name: 'Second', keywords: 'hello Confirm', inbound_number: number.id });
  t.equal(taken.statusCode, 422);
  t.match(taken.body, /<small class="field-error" id="keywords-error">CONFIRM is already a keyword of the event (&#34;|&quot;|")Confirm registration(&#34;|&quot;|") on \+33644000000\.<\/small>/);

  const sameName = await create(client, { ...CONFIRM, keywords: 'other', inbound_number: number.id });
  t.equal(sameName.statusCode, 422);
  t.match(sameName.body, /id="name-error">There is already an event named .{1,6}Confirm registration.{1,6} on \+33644000000\./);

  const elsewhere = await create(client, { ...CONFIRM, keywords: 'CONFIRM', inbound_number: other.id });
  t.equal(elsewhere.statusCode, 303, 'the same keyword and name on another number is fine');
  t.same((await stored(orm, account.id)).externalEvents, [`${FULL_NAME} (inbound)`, 'SMS +33644000001 Autoresponder: Confirm registration (inbound)']);

  // An event keeps its own keywords when edited.
  const [first] = (await stored(orm, account.id)).events.filter((event) => event.inboundNumber.id === number.id);
  const kept = await client.post(`/inbound/events/${first!.id}`, { ...CONFIRM, keywords: 'confirm yes2', inbound_number: number.id });
  t.equal(kept.statusCode, 303);
});

t.test("a keyword taken between the check and the save is the same field error, from the database's key", async (t) => {
  const { orm, account, number, client } = await setUp(t);
  const em = withAccount(orm.em, account.id);
  const valid = await validateEvent(em, { ...CONFIRM, inbound_number: number.id }, null);
  // Someone else saves CONFIRM on this number meanwhile.
  t.equal((await create(client, { ...CONFIRM, name: 'Quicker', inbound_number: number.id })).statusCode, 303);
  const error = await writeEvent(em, account, valid, null).catch((caught: unknown) => caught);
  t.ok(error instanceof ValidationError, 'a validation error, not a 500');
  t.match((error as ValidationError).fields, { keywords: 'CONFIRM is already a keyword of the event "Quicker" on +33644000000.' });
  t.same((await stored(orm, account.id)).externalEvents, ['SMS +33644000000 Autoresponder: Quicker (inbound)'], 'the refused event left no external event behind');
});

t.test("another account's inbound number cannot be chosen", async (t) => {
  const { orm, account, client } = await setUp(t);
  const stranger = await createTenant(orm);
  const theirs = await addInboundNumber(orm, stranger.account, '+33644000009');
  const response = await create(client, { ...CONFIRM, inbound_number: theirs.id });
  t.equal(response.statusCode, 422);
  t.match(response.body, fieldError('inbound_number', 'Choose one of your inbound numbers.'));
  t.notMatch(response.body, '+33644000009');
  t.same((await stored(orm, account.id)).events, []);
});

t.test('viewers see the events; owners and marketers change them', async (t) => {
  const { app, orm, owner, account, number, client } = await setUp(t);
  await create(client, { ...CONFIRM, inbound_number: number.id });
  const [event] = (await stored(orm, account.id)).events;

  const viewer = await signedIn(app, await addUser(orm, account, 'viewer'));
  const list = await viewer.get('/inbound/events');
  t.equal(list.statusCode, 200);
  t.match(list.body, FULL_NAME, 'a viewer sees the events');
  t.notMatch(list.body, '/inbound/events/new', 'but no link to create one');
  t.notMatch(list.body, `/inbound/events/${event!.id}/edit`, 'nor to edit');
  t.notMatch(list.body, `/inbound/events/${event!.id}/delete`, 'nor to delete');
  for (const url of ['/inbound/events/new', `/inbound/events/${event!.id}/edit`, `/inbound/events/${event!.id}/delete`]) {
    t.equal((await viewer.get(url)).statusCode, 403, `a viewer cannot open ${url}`);
  }
  t.equal((await viewer.post('/inbound/events', { ...CONFIRM, name: 'Viewer', keywords: 'viewer', inbound_number: number.id })).statusCode, 403);
  t.equal((await viewer.post(`/inbound/events/${event!.id}`, { ...CONFIRM, name: 'Renamed', inbound_number: number.id })).statusCode, 403);
  t.equal((await viewer.post(`/inbound/events/${event!.id}/delete`)).statusCode, 403);
  t.equal((await stored(orm, account.id)).events.length, 1, 'nothing changed');
  t.equal((await stored(orm, account.id)).events[0]!.name, 'Confirm registration');

  const counter = await viewer.post('/inbound/events/reply-count', { reply_text: 'x'.repeat(161) });
  t.equal(counter.statusCode, 200, 'the reply counter is open to viewers (it changes nothing)');
  t.match(counter.body, '<span data-count="parts">2</span> SMS parts');

  const ownerClient = await signedIn(app, owner);
  t.equal((await create(ownerClient, { ...CONFIRM, name: 'Owner made', keywords: 'owner', inbound_number: number.id })).statusCode, 303, 'an owner creates events too');
  t.equal((await ownerClient.post(`/inbound/events/${event!.id}/delete`)).statusCode, 303, 'and deletes them');
});

t.test('without an inbound number the tab says where to add one and shows no form', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  for (const url of ['/inbound/events', '/inbound/events/new']) {
    const page = await client.get(url);
    t.equal(page.statusCode, 200);
    t.match(page.body, 'There is no inbound number yet.', `${url} says so`);
    t.match(page.body, '<a href="/settings/inbound-numbers">Settings → Inbound numbers</a>');
    t.notMatch(page.body, 'name="keywords"', `${url} shows no form`);
    t.notMatch(page.body, 'New inbound event</a>');
  }
  const refused = await client.post('/inbound/events', { ...CONFIRM, inbound_number: crypto.randomUUID() });
  t.equal(refused.statusCode, 422, 'a posted form is refused, not a 500');
});

t.test('the Inbound SMS tab has its three sections, the current one highlighted', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  const sections: [url: string, label: string][] = [
    ['/inbound', 'Unsubscribed using STOP keyword'],
    ['/inbound/inbox', 'SMS inbox'],
    ['/inbound/events', 'Inbound event setup'],
  ];
  for (const [url, label] of sections) {
    const page = await client.get(url);
    t.equal(page.statusCode, 200, `${url} answers`);
    for (const [other, otherLabel] of sections) t.match(page.body, `<a href="${other}"`, `${url} links to ${otherLabel}`);
    const current = [...page.body.matchAll(/<a href="([^"]+)" aria-current="page">([^<]+)<\/a>/g)].filter(([, href]) => href.startsWith('/inbound'));
    t.same(current.map(([, href, text]) => [href, text]), [[url, label]], `${url}: ${label} is the current section`);
  }
});
