// Automation → External events, over HTTP: create an event by name (422 field errors for an empty,
// too long, inbound-like or taken name), the list (id, source, programs using it, trigger count and
// last trigger, search, pages), an event's page (its triggers with their contacts, times in the
// account's zone and data; pages; CSV; a curl example), deletion refused while a program uses the
// event or an inbound event owns it, and viewers who only read.
import t from 'tap';
import type { MikroORM } from '@mikro-orm/postgresql';
import { addUser, buildTestApp, createTenant, fieldError, signedIn, type Client } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { ExternalEvent } from '../../src/modules/automation/external-event.entity.js';
import { Program } from '../../src/modules/automation/program.entity.js';
import { query } from '../sending/helpers.js';
import { addInboundNumber } from '../inbound/helpers.js';
import { addContacts, addEvent, addProgram, triggersOf } from './event-helpers.js';

async function setUp(t: Parameters<typeof buildTestApp>[0]) {
  const { app, orm } = await buildTestApp(t);
  const { owner, account } = await createTenant(orm, 'Events Bakery');
  const client = await signedIn(app, await addUser(orm, account, 'marketer'));
  return { app, orm, owner, account, client };
}

/** A trigger recorded at a given moment, for a contact or none. */
const trigger = (orm: MikroORM, accountId: string, eventId: string, contactId: string | null, data: object, at: string) =>
  query(orm, 'insert into event_trigger (account_id, event_id, contact_id, data, at) values (?, ?, ?, ?, ?)', [accountId, eventId, contactId, JSON.stringify(data), at]);

const eventNames = async (orm: MikroORM, accountId: string) => (await withAccount(orm.em.fork(), accountId).find(ExternalEvent, {}, { orderBy: { name: 'asc' } })).map((e) => e.name);

const create = async (client: Client, name: string) => {
  await client.get('/automation/events');
  return client.post('/automation/events', { name });
};

t.test('a marketer creates an event by name and lands on its page, with a curl example to trigger it', async (t) => {
  const { app, orm, account, client } = await setUp(t);
  const index = await client.get('/automation');
  t.match(index.body, '<a href="/automation/events">External events</a>', 'the Automation tab links to the events');

  const created = await create(client, '  order_shipped ');
  t.equal(created.statusCode, 303);
  const [event] = await withAccount(orm.em.fork(), account.id).find(ExternalEvent, {});
  t.equal(event!.name, 'order_shipped', 'the name is kept trimmed');
  t.equal(event!.source, 'api');
  t.equal(created.headers.location, `/automation/events/${event!.id}`);

  const page = await client.get(created.headers.location as string);
  t.equal(page.statusCode, 200);
  t.match(page.body, `<code class="event-id">${event!.id}</code>`, 'the page shows the id the API needs');
  t.match(page.body, `curl -X POST '${app.config.publicUrl}/api/v2/event/${event!.id}/trigger'`, "the curl example has the account's URL and the event");
  t.match(page.body, 'This event has not been triggered yet.');
});

t.test('an empty, too long, inbound-like or taken name is refused on the field (422), and nothing is made', async (t) => {
  const { orm, account, client } = await setUp(t);
  await addEvent(orm, account, 'order_shipped');
  const cases: [string, string][] = [
    ['   ', 'Give the event a name.'],
    ['x'.repeat(201), 'An event name can have at most 200 characters.'],
    ['SMS +33644000000 Autoresponder: Confirm', 'Names of the form &quot;SMS &lt;number&gt; Autoresponder: &lt;name&gt;&quot; belong to inbound events: choose another.'],
    ['order_shipped', 'There is already an event named &quot;order_shipped&quot;.'],
  ];
  for (const [name, message] of cases) {
    const refused = await create(client, name);
    t.equal(refused.statusCode, 422, `${name.slice(0, 40)}: 422`);
    t.match(refused.body, fieldError('name', message), 'the field says why');
    t.match(refused.body, 'aria-invalid="true"');
  }
  const kept = await create(client, 'x'.repeat(200));
  t.equal(kept.statusCode, 303, '200 characters are enough');
  t.same(await eventNames(orm, account.id), ['order_shipped', 'x'.repeat(200)]);
});

t.test('the list shows each event with its id, source, programs, trigger count and last trigger; search and pages', async (t) => {
  const { orm, account, client } = await setUp(t);
  const shipped = await addEvent(orm, account, 'order_shipped');
  await addEvent(orm, account, 'quiet_event');
  const program = await addProgram(orm, account, shipped, 'Shipping follow-up');
  const [contact] = await addContacts(orm, account, 1);
  await trigger(orm, account.id, shipped.id, contact!, {}, '2026-03-01T09:00:00Z');
  await trigger(orm, account.id, shipped.id, null, {}, '2026-03-01T10:00:00Z');
  // An inbound event, made as Inbound SMS → Inbound event setup makes it.
  const number = await addInboundNumber(orm, account);
  await client.get('/inbound/events/new');
  t.equal((await client.post('/inbound/events', { name: 'Confirm', keywords: 'confirm', type: 'inboundResponder', reply_text: 'Thanks!', inbound_number: number.id })).statusCode, 303);

  const list = await client.get('/automation/events');
  t.equal(list.statusCode, 200);
  const rowOf = (name: string) => list.body.split('<tr>').find((row) => row.includes(`>${name}</a>`)) ?? '';
  const shippedRow = rowOf('order_shipped');
  t.match(shippedRow, `<code class="event-id">${shipped.id}</code>`);
  t.match(shippedRow, '<td>API</td>');
  t.match(shippedRow, `<a href="/automation/programs/${program.id}">Shipping follow-up</a> <small class="muted">(draft)</small>`, 'the program that uses it, linked');
  t.match(shippedRow, '<td>2</td>', 'its trigger count');
  t.match(shippedRow, '<td>01-03-2026 11:00</td>', "its last trigger, in the account's zone (Paris)");
  t.match(rowOf('quiet_event'), '<span class="muted">Never</span>');
  t.match(rowOf('quiet_event'), '<span class="muted">None</span>');
  t.match(rowOf('SMS +33644000000 Autoresponder: Confirm'), /<a href="\/inbound\/events#event-[0-9a-f-]+">Inbound SMS keyword<\/a>/, 'an inbound event links to its inbound event');
  t.match(list.body, 'Times in Europe/Paris.');

  const searched = await client.get('/automation/events?q=SHIPPED', { 'hx-request': 'true', 'hx-target': 'section#event-results' });
  t.match(searched.body, /^<section id="event-results"/, 'htmx gets the results alone');
  t.match(searched.body, '>order_shipped</a>');
  t.notMatch(searched.body, 'quiet_event', 'the search is on the name');

  for (let i = 0; i < 50; i++) await addEvent(orm, account, `bulk_${String(i).padStart(2, '0')}`);
  // By name: "SMS …", bulk_00 … bulk_49, order_shipped, quiet_event.
  const first = await client.get('/automation/events');
  t.match(first.body, '>bulk_48</a>');
  t.notMatch(first.body, '>bulk_49</a>', 'a page holds 50 events, by name');
  const next = /href="(\/automation\/events\?after=[0-9a-f-]+)"/.exec(first.body)?.[1];
  t.ok(next, 'a link to the next page');
  const second = await client.get(next!);
  t.match(second.body, '>bulk_49</a>');
  t.match(second.body, '>order_shipped</a>');
  t.notMatch(second.body, '>bulk_48</a>');
});

t.test("an event's page lists its triggers newest first, with contact, time and data, in pages; the CSV has them all", async (t) => {
  const { orm, account, client } = await setUp(t);
  const event = await addEvent(orm, account, 'order_shipped');
  const [contact] = await addContacts(orm, account, 1);
  await trigger(orm, account.id, event.id, contact!, { order: 'A-1', total: 12.5 }, '2026-03-01T10:00:00Z');
  await trigger(orm, account.id, event.id, null, { order: 'B-2' }, '2026-03-01T11:30:00Z');

  const page = await client.get(`/automation/events/${event.id}`);
  const rows = page.body.split('<tbody>')[1]!.split('<tr>').slice(1);
  t.equal(rows.length, 2);
  t.match(rows[0], '<span class="muted">Unknown contact</span>');
  t.match(rows[0], '<td>01-03-2026 12:30</td>', "newest first, in the account's zone");
  t.match(rows[1], `<a href="/contacts/${contact}">Contact1</a> <small class="muted">+33610000001</small>`, 'the contact, linked');
  t.match(rows[1], '<code class="trigger-data">{&quot;order&quot;:&quot;A-1&quot;,&quot;total&quot;:12.5}</code>', 'the data as compact JSON');

  const csv = await client.get(`/automation/events/${event.id}/triggers.csv`);
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], 'text/csv');
  t.same(csv.body.split('\r\n'), [
    'triggered_at,contact_id,phone,first_name,last_name,data,processed_at',
    ',,,,,"{""order"":""B-2""}",'.replace(/^/, '2026-03-01T12:30:00+01:00'),
    `2026-03-01T11:00:00+01:00,${contact},+33610000001,Contact1,,"{""order"":""A-1"",""total"":12.5}",`,
    '',
  ]);

  for (let i = 0; i < 50; i++) await trigger(orm, account.id, event.id, null, { i }, `2026-03-02T10:${String(i).padStart(2, '0')}:00Z`);
  const newest = await client.get(`/automation/events/${event.id}`);
  t.notMatch(newest.body, '&quot;A-1&quot;', 'a page holds the 50 newest');
  const older = /href="(\/automation\/events\/[0-9a-f-]+\?after=\d+)"/.exec(newest.body)?.[1];
  t.ok(older, 'a link to older triggers');
  const second = await client.get(older!, { 'hx-request': 'true', 'hx-target': 'section#trigger-results' });
  t.match(second.body, /^<section id="trigger-results"/);
  t.match(second.body, 'A-1');
  t.match(second.body, 'B-2');
  t.notMatch(second.body, '{&quot;i&quot;:49}');
});

t.test('an event a program uses cannot be deleted: the page names the program; once free, it goes with its triggers', async (t) => {
  const { orm, account, client } = await setUp(t);
  const event = await addEvent(orm, account, 'order_shipped');
  const program = await addProgram(orm, account, event, 'Shipping follow-up');
  await trigger(orm, account.id, event.id, null, {}, '2026-03-01T10:00:00Z');

  const confirm = await client.get(`/automation/events/${event.id}/delete`);
  t.equal(confirm.statusCode, 200);
  t.match(confirm.body, 'This event is used by program &quot;Shipping follow-up&quot;: delete the program or start it on another event first.');
  t.notMatch(confirm.body, 'Delete the event</button>', 'no delete button');
  const refused = await client.post(`/automation/events/${event.id}/delete`);
  t.equal(refused.statusCode, 409);
  t.match(refused.body, 'This event is used by program &quot;Shipping follow-up&quot;');
  t.same(await eventNames(orm, account.id), ['order_shipped'], 'the event is still there');

  await withAccount(orm.em.fork(), account.id).nativeDelete(Program, { id: program.id });
  t.match((await client.get(`/automation/events/${event.id}/delete`)).body, 'Delete the event</button>');
  const deleted = await client.post(`/automation/events/${event.id}/delete`);
  t.equal(deleted.statusCode, 303);
  t.equal(deleted.headers.location, '/automation/events');
  t.same(await eventNames(orm, account.id), []);
  t.same(await triggersOf(orm, event.id), [], 'its triggers went with it');
});

t.test("an inbound event's external event is deleted with the inbound event, not here", async (t) => {
  const { orm, account, client } = await setUp(t);
  const number = await addInboundNumber(orm, account);
  await client.get('/inbound/events/new');
  await client.post('/inbound/events', { name: 'Confirm', keywords: 'confirm', type: 'inboundResponder', reply_text: 'Thanks!', inbound_number: number.id });
  const [event] = await withAccount(orm.em.fork(), account.id).find(ExternalEvent, {});
  const confirm = await client.get(`/automation/events/${event!.id}/delete`);
  t.match(confirm.body, 'This event belongs to the inbound event &quot;Confirm&quot; on +33644000000: it is deleted with it, in Inbound SMS → Inbound event setup.');
  t.match(confirm.body, /<a href="\/inbound\/events#event-[0-9a-f-]+">Open the inbound event/);
  const refused = await client.post(`/automation/events/${event!.id}/delete`);
  t.equal(refused.statusCode, 409);
  t.same(await eventNames(orm, account.id), ['SMS +33644000000 Autoresponder: Confirm']);
});

t.test('viewers read the events and their triggers, and change nothing; exports are not theirs', async (t) => {
  const { app, orm, account } = await setUp(t);
  const event = await addEvent(orm, account, 'order_shipped');
  const viewer = await signedIn(app, await addUser(orm, account, 'viewer'));
  const list = await viewer.get('/automation/events');
  t.equal(list.statusCode, 200);
  t.match(list.body, '>order_shipped</a>');
  t.notMatch(list.body, 'Create event', 'no form to create one');
  const page = await viewer.get(`/automation/events/${event.id}`);
  t.equal(page.statusCode, 200);
  t.notMatch(page.body, '/delete"', 'no delete button');
  t.notMatch(page.body, 'triggers.csv');
  t.equal((await viewer.post('/automation/events', { name: 'sneaky' })).statusCode, 403);
  t.equal((await viewer.get(`/automation/events/${event.id}/delete`)).statusCode, 403);
  t.equal((await viewer.post(`/automation/events/${event.id}/delete`)).statusCode, 403);
  t.equal((await viewer.get(`/automation/events/${event.id}/triggers.csv`)).statusCode, 403);
  t.same(await eventNames(orm, account.id), ['order_shipped']);
});

t.test("another account's events are neither listed nor reachable", async (t) => {
  const { app, orm, account, client } = await setUp(t);
  await addEvent(orm, account, 'mine');
  const other = await createTenant(orm, 'Other account');
  const theirs = await addEvent(orm, other.account, 'their_secret_event');
  const list = await client.get('/automation/events');
  t.match(list.body, '>mine</a>');
  t.notMatch(list.body, 'their_secret_event');
  t.equal((await client.get(`/automation/events/${theirs.id}`)).statusCode, 404);
  t.equal((await client.get(`/automation/events/${theirs.id}/triggers.csv`)).statusCode, 404);
  const theirClient = await signedIn(app, other.owner);
  t.notMatch((await theirClient.get('/automation/events')).body, '>mine</a>');
});
