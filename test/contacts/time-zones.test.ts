// Each contact's time zone (issue 16), as a user meets it: derived from the number or chosen by
// hand on the form, in the API, in an import column and for a contact an inbound message creates;
// said on the contact page; and given to contacts written before zones existed by the backfill,
// in batches, across accounts, going on where a restart (or a crash) left it.
import t from 'tap';
import pino from 'pino';
import type { MikroORM } from '@mikro-orm/postgresql';
import { buildTestApp, createKey, createTenant, fieldError, signedIn, type Client } from '../helper.js';
import { dataDir, importIdOf, selected, upload, waitForImport } from './helpers.js';
import { inboundNumber, receive, workers } from '../inbound/helpers.js';
import { query } from '../sending/helpers.js';
import { withAccount } from '../../src/db/tenant.js';
import { inTransaction, withClient } from '../../src/db/raw-client.js';
import { Contact } from '../../src/modules/contacts/contact.entity.js';
import { backfillTimeZonesOn, TimeZoneBackfill } from '../../src/modules/contacts/time-zone-backfill.js';

const unescape = (html: string) => html.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');

/** What the contact page says of the contact's time zone. */
async function zoneOnPage(client: Client, id: string | number): Promise<string> {
  const page = await client.get(`/contacts/${id}`);
  const zone = /<dd id="contact-time-zone">([^<]*)<\/dd>/.exec(page.body);
  if (!zone) throw new Error(`no time zone on the page of contact ${id} (${page.statusCode})`);
  return unescape(zone[1]!);
}

/** The zone chosen in the form's "Time zone" select ('' for "From the number"). */
function chosenZone(html: string): string {
  const select = /<select name="time_zone"[\s\S]*?<\/select>/.exec(html);
  if (!select) throw new Error('no time zone select in the form');
  return /<option selected>([^<]*)<\/option>/.exec(select[0])?.[1] ?? '';
}

const zoneOf = async (orm: MikroORM, accountId: string, phone: string) => {
  const contact = await withAccount(orm.em, accountId).findOneOrFail(Contact, { phone });
  return [contact.timeZone, contact.timeZoneSource];
};

const US_FALLBACK = 'its send window is the one open in all the time zones of United States (US) at once';

t.test('the form: a zone from the number, none for a number that tells none, one set by hand that edits keep until "From the number" is chosen again', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  const form = await client.get('/contacts/new');
  t.equal(chosenZone(form.body), '', 'a new contact starts on "From the number"');
  t.match(form.body, '<option value="">From the number</option>');

  const sanFrancisco = await client.post('/contacts', { phone: '+1 415 555 0100' });
  t.equal(sanFrancisco.statusCode, 303);
  t.equal(await zoneOnPage(client, sanFrancisco.headers.location!.split('/').pop()!), 'America/Los_Angeles (Pacific Time), from the number.');
  t.same(await zoneOf(orm, account.id, '+14155550100'), ['America/Los_Angeles', 'number']);

  const northDakota = await client.post('/contacts', { phone: '+1 701 555 0100' });
  t.equal(northDakota.statusCode, 303);
  t.equal(await zoneOnPage(client, northDakota.headers.location!.split('/').pop()!), `Not known from the number (its prefix spans several time zones, or none): ${US_FALLBACK}.`);
  t.same(await zoneOf(orm, account.id, '+17015550100'), [null, 'number']);

  await client.get('/contacts/new');
  const created = await client.post('/contacts', { phone: '+33 6 12 34 56 78', first_name: 'Ann', time_zone: 'America/Toronto' });
  t.equal(created.statusCode, 303);
  const url = created.headers.location!;
  const id = url.split('/').pop()!;
  t.equal(await zoneOnPage(client, id), 'America/Toronto (Eastern Time), set by hand.', 'a French number kept in the zone chosen for it');

  const edit = await client.get(`${url}/edit`);
  t.equal(chosenZone(edit.body), 'America/Toronto', 'the edit form shows the zone chosen');
  t.equal((await client.post(url, { phone: '+33 6 12 34 56 79', first_name: 'Ann', time_zone: chosenZone(edit.body) })).statusCode, 303);
  t.same(await zoneOf(orm, account.id, '+33612345679'), ['America/Toronto', 'set'], 'a new number does not override a zone set by hand');
  t.equal(await zoneOnPage(client, id), 'America/Toronto (Eastern Time), set by hand.');

  await client.get(`${url}/edit`);
  t.equal((await client.post(url, { phone: '+33612345679', first_name: 'Ann', time_zone: '' })).statusCode, 303);
  t.same(await zoneOf(orm, account.id, '+33612345679'), ['Europe/Paris', 'number'], '"From the number" derives it again');
  t.equal(await zoneOnPage(client, id), 'Europe/Paris (Central European Time), from the number.');
  t.equal(chosenZone((await client.get(`${url}/edit`)).body), '', 'and the form says so');

  // A zone no select offers, written by a script: the form again with the reason, nothing saved.
  const reason = '&quot;Mars/Olympus&quot; is not a time zone: write one such as America/New_York or Europe/Paris, or leave it empty for the zone of the number.';
  const badEdit = await client.post(url, { phone: '+33612345600', first_name: 'Changed', time_zone: 'Mars/Olympus' });
  t.equal(badEdit.statusCode, 422);
  t.match(badEdit.body, fieldError('time_zone', reason));
  const ann = await withAccount(orm.em, account.id).findOneOrFail(Contact, { id: Number(id) });
  t.same([ann.phone, ann.firstName, ann.timeZone, ann.timeZoneSource], ['+33612345679', 'Ann', 'Europe/Paris', 'number'], 'the contact is unchanged');
  await client.get('/contacts/new');
  const badNew = await client.post('/contacts', { phone: '+33612345601', time_zone: 'Mars/Olympus' });
  t.equal(badNew.statusCode, 422);
  t.match(badNew.body, fieldError('time_zone', reason));
  t.equal(await withAccount(orm.em, account.id).count(Contact, {}), 3, 'no contact created');
});

t.test('a zone set by the API or an import that the select does not list survives an edit of the form', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const em = withAccount(orm.em, account.id);
  const contact = em.create(Contact, { account, phone: '+14155550100', country: 'US', timeZone: 'UTC', timeZoneSource: 'set' });
  await em.flush();
  const client = await signedIn(app, owner);
  const edit = await client.get(`/contacts/${contact.id}/edit`);
  t.equal(chosenZone(edit.body), 'UTC', 'the form shows the zone the contact has');
  t.equal((await client.post(`/contacts/${contact.id}`, { phone: '+14155550100', first_name: 'Renamed', time_zone: chosenZone(edit.body) })).statusCode, 303);
  t.same(await zoneOf(orm, account.id, '+14155550100'), ['UTC', 'set'], 'renaming the contact keeps its zone');
});

t.test('the API: time_zone given (canonical spelling), absent (derived) or invalid (that item refused); an update without it keeps a zone set', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const key = await createKey(orm, account);
  const call = (method: 'GET' | 'POST', url: string, payload?: object) => app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });
  const get = async (phone: string) => (await call('GET', `/api/v1/contacts?phone=${encodeURIComponent(phone)}`)).json();

  const first = await call('POST', '/api/v1/contacts', {
    contacts: [
      { phone: '+33612345601', time_zone: 'america/new_york' },
      { phone: '+1 415 555 0100' },
      { phone: '+33612345602', first_name: 'Mars', time_zone: 'Mars/Olympus' },
      { phone: '+17015550100', time_zone: '' },
    ],
  });
  t.equal(first.statusCode, 200);
  t.match(first.json(), { created: 3, updated: 0 });
  t.same(first.json().errors.map((e: { index: number; code: string }) => [e.index, e.code]), [[2, 'invalid_time_zone']]);
  t.match(first.json().errors[0].message, '"Mars/Olympus" is not a time zone');
  t.equal((await call('GET', '/api/v1/contacts?phone=%2B33612345602')).statusCode, 404, 'nothing written for the refused item');

  t.match(await get('+33612345601'), { phone: '+33612345601', country: 'FR', time_zone: 'America/New_York', time_zone_source: 'set' });
  t.match(await get('+14155550100'), { time_zone: 'America/Los_Angeles', time_zone_source: 'number' });
  t.match(await get('+17015550100'), { time_zone: null, time_zone_source: 'number' }, 'an empty time_zone: the number, which tells none');

  const update = await call('POST', '/api/v1/contacts', { contacts: [{ phone: '+33612345601', first_name: 'Ann' }, { phone: '+14155550100', time_zone: 'Pacific/Honolulu' }] });
  t.match(update.json(), { created: 0, updated: 2, errors: [] });
  t.match(await get('+33612345601'), { first_name: 'Ann', time_zone: 'America/New_York', time_zone_source: 'set' }, 'an update without time_zone keeps the zone set');
  t.match(await get('+14155550100'), { time_zone: 'Pacific/Honolulu', time_zone_source: 'set' }, 'one with it sets it');
  const reset = await call('POST', '/api/v1/contacts', { contacts: [{ phone: '+14155550100', time_zone: null }, { phone: '+33612345601', time_zone: '' }] });
  t.match(reset.json(), { created: 0, updated: 2, errors: [] });
  t.match(await get('+14155550100'), { time_zone: 'America/Los_Angeles', time_zone_source: 'number' }, 'an explicit null gives the number\'s zone back');
  t.match(await get('+33612345601'), { time_zone: 'Europe/Paris', time_zone_source: 'number' }, 'so does an empty one');
});

t.test('the import: a "timezone" column sets the zones it has; empty cells take the number\'s; a bad one is reported for its line', async (t) => {
  const { app, orm } = await buildTestApp(t, dataDir(t));
  const { account, owner } = await createTenant(orm);
  const em = withAccount(orm.em, account.id);
  em.create(Contact, { account, phone: '+14155550109', country: 'US', firstName: 'Kept', timeZone: 'Asia/Tokyo', timeZoneSource: 'set' });
  await em.flush();
  const client = await signedIn(app, owner);
  const csv = [
    'phone,first_name,TimeZone',
    '+14155550101,Ann,',
    '+12125550102,Bob,Europe/Paris',
    '+33612345603,Cy,america/chicago',
    '+14155550104,Dee,Not/A_Zone',
    '+17015550105,Eve,',
    '+14155550109,Kept again,',
  ].join('\n');
  const id = importIdOf((await upload(client, 'zones.csv', csv)).headers.location);
  t.equal(selected((await client.get(`/contacts/imports/${id}`)).body, 2), 'time_zone', 'the column is guessed from its header');
  await client.post(`/contacts/imports/${id}/start`, { column_0: 'phone', column_1: 'first_name', column_2: 'time_zone', existing: 'update' });
  t.match(await waitForImport(orm, account.id, id), { status: 'done', total: 6, created: 4, updated: 1, invalid: 1 });

  const contacts = await em.fork().find(Contact, {}, { orderBy: { phone: 'asc' } });
  t.same(contacts.map((c) => [c.phone, c.firstName, c.timeZone, c.timeZoneSource]), [
    ['+12125550102', 'Bob', 'Europe/Paris', 'set'],
    ['+14155550101', 'Ann', 'America/Los_Angeles', 'number'],
    ['+14155550109', 'Kept again', 'Asia/Tokyo', 'set'],
    ['+17015550105', 'Eve', null, 'number'],
    ['+33612345603', 'Cy', 'America/Chicago', 'set'],
  ], 'a zone from the file, or the number\'s; an empty cell leaves a zone set by hand alone');
  const report = (await client.get(`/contacts/imports/${id}/errors.csv`)).body.trim().split('\r\n');
  t.same(report.slice(1), ['5,+14155550104,"""Not/A_Zone"" is not a time zone: write one such as America/New_York or Europe/Paris, or leave it empty for the zone of the number."']);
});

t.test('a contact created by an inbound message from an unknown +1 212 number is in New York time', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account } = await createTenant(orm);
  const { gateway } = await inboundNumber(orm, account);
  await receive(app, gateway, { from: '+1 212 555 0100', text: 'my address is jo@example.com' });
  await workers(orm).settle();
  const jo = await withAccount(orm.em, account.id).findOneOrFail(Contact, { phone: '+12125550100' });
  t.same([jo.email, jo.country, jo.timeZone, jo.timeZoneSource], ['jo@example.com', 'US', 'America/New_York', 'number']);
});

// The numbers of the backfill test, each with the zone it must end with: the (i % 5)th pattern.
const PATTERNS = [
  { prefix: '+1415555', country: 'US', zone: 'America/Los_Angeles' },
  { prefix: '+1212555', country: 'US', zone: 'America/New_York' },
  { prefix: '+1555555', country: 'US', zone: null },
  { prefix: '+3361234', country: 'FR', zone: 'Europe/Paris' },
  { prefix: '+1808555', country: 'US', zone: 'Pacific/Honolulu' },
];

/** `count` contacts written by SQL as before zones existed (no source), the numbers of PATTERNS
 * shifted by `shift` so two accounts with the same numbers expect different zones. */
async function oldContacts(orm: MikroORM, accountId: string, count: number, shift: number) {
  const pick = (field: 'phone' | 'country') => `case (i + ${shift}) % ${PATTERNS.length} ${PATTERNS.map((p, n) => `when ${n} then ${field === 'phone' ? `'${p.prefix}' || lpad(i::text, 4, '0')` : `'${p.country}'`}`).join(' ')} end`;
  await query(orm, `insert into contact (account_id, phone, country) select ?, ${pick('phone')}, ${pick('country')} from generate_series(1, ${count}) as i`, [accountId]);
}

/** The contacts whose zone is not the one their number must give (as text, to read in a failure). */
const wrongZones = (orm: MikroORM) =>
  query<{ account_id: string; phone: string; time_zone: string | null; time_zone_source: string | null }>(
    orm,
    `select account_id, phone, time_zone, time_zone_source from contact
     where not bad_number and time_zone_source is distinct from 'set'
       and (time_zone_source is distinct from 'number' or time_zone is distinct from case ${PATTERNS.map((p) => `when phone like '${p.prefix}%' then ${p.zone ? `'${p.zone}'` : 'null'}`).join(' ')} end)
     limit 5`,
  );

const pending = async (orm: MikroORM) => Number((await query<{ n: string }>(orm, 'select count(*) as n from contact where time_zone_source is null'))[0]!.n);

t.test('the backfill gives thousands of older contacts, in two accounts, their number\'s zone, in batches that a restart or a crash resumes', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const shop = await createTenant(orm, 'Shop');
  const other = await createTenant(orm, 'Other shop');
  await oldContacts(orm, shop.account.id, 2_500, 0);
  await oldContacts(orm, other.account.id, 1_500, 1);
  await query(orm, `insert into contact (account_id, phone, bad_number) values (?, '12345', true)`, [shop.account.id]);
  await query(orm, `insert into contact (account_id, phone, country, time_zone, time_zone_source) values (?, '+14155559999', 'US', 'Asia/Tokyo', 'set')`, [shop.account.id]);
  const total = 2_500 + 1_500 + 1;
  t.equal(await pending(orm), total, 'every older contact waits, but the one set by hand');
  const idOf = async (accountId: string, phone: string) => (await query<{ id: string }>(orm, 'select id from contact where account_id = ? and phone = ?', [accountId, phone]))[0]!.id;
  const client = await signedIn(app, shop.owner);
  const laId = await idOf(shop.account.id, '+14155550005');
  t.equal(await zoneOnPage(client, laId), `Not worked out from the number yet (this takes a few minutes after an upgrade); until then ${US_FALLBACK}.`);
  t.match((await client.get('/contacts')).body, /data-field="zones-pending">Working out the time zone of 2,501 contacts written before time zones existed/, 'the Contacts page says how many are still to do (its own account\'s)');

  // One batch, then the process stops (a restart in the middle).
  t.equal(await inTransaction(orm.em.fork(), (db) => backfillTimeZonesOn(db, 700)), 700);
  t.equal(await pending(orm), total - 700);

  // A process that crashes holding a batch: its rows are skipped by the others while it holds
  // them, and wait again once its transaction is rolled back.
  let done = 0;
  await withClient(orm.em.fork(), async (crashing) => {
    await crashing.query('begin');
    t.equal(await backfillTimeZonesOn(crashing, 500), 500);
    const fresh = new TimeZoneBackfill(orm, pino({ level: 'silent' }), 1_000);
    done += await fresh.tick();
    await crashing.query('rollback');
  });
  t.equal(done, 1_000, 'another process took a full batch of other rows meanwhile');
  t.equal(await pending(orm), total - 700 - 1_000, 'the crashed batch was not done');

  // After the restart: a new backfill goes on with what is left, until nothing is.
  const restarted = new TimeZoneBackfill(orm, pino({ level: 'silent' }), 1_000);
  const ticks: number[] = [];
  for (let count = -1; count !== 0; ) ticks.push((count = await restarted.tick()));
  t.same(ticks, [1_000, 1_000, 301, 0], 'each contact left is taken once');
  t.equal(await inTransaction(orm.em.fork(), (db) => backfillTimeZonesOn(db)), 0, 'and nothing is left for anyone');

  t.same(await wrongZones(orm), [], 'every contact, in either account, has its own number\'s zone');
  const counts = await query<{ account_id: string; zone: string | null; n: number }>(
    orm,
    `select account_id, time_zone as zone, count(*)::int as n from contact where time_zone_source = 'number' and not bad_number group by 1, 2 order by 1, 2`,
  );
  const expected = (accountId: string, count: number, shift: number) =>
    PATTERNS.map((p, n) => ({ account_id: accountId, zone: p.zone, n: Array.from({ length: count }, (_, i) => (i + 1 + shift) % PATTERNS.length).filter((k) => k === n).length }));
  const byKey = (rows: { account_id: string; zone: string | null; n: number }[]) => rows.map((r) => `${r.account_id} ${r.zone} ${r.n}`).sort();
  t.same(byKey(counts), byKey([...expected(shop.account.id, 2_500, 0), ...expected(other.account.id, 1_500, 1)]), 'each account has its own contacts\' zones, no more, no fewer');
  t.same(
    await query(orm, `select phone, time_zone, time_zone_source from contact where account_id = ? and (bad_number or time_zone_source = 'set') order by phone`, [shop.account.id]),
    [{ phone: '+14155559999', time_zone: 'Asia/Tokyo', time_zone_source: 'set' }, { phone: '12345', time_zone: null, time_zone_source: 'number' }],
    'the zone set by hand is untouched; a bad number tells none (its digits would read as New York)',
  );
  t.equal(await zoneOnPage(client, laId), 'America/Los_Angeles (Pacific Time), from the number.', 'the contact page says the zone now');
  t.notMatch((await client.get('/contacts')).body, /data-field="zones-pending"/, 'and the Contacts page no longer mentions the backfill');
});
