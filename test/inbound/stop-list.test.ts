// Inbound SMS → "Unsubscribed using STOP keyword", over HTTP: who opted out by keyword, newest
// first, with the latest campaign sent before the reply as a labelled estimate; filters by date
// (in the account's zone) and number, keyset pages, the CSV export; and the simulator's "Simulate
// an incoming SMS" form, whose STOP shows in the list once processed.
import t from 'tap';
import type { MikroORM } from '@mikro-orm/postgresql';
import { addUser, buildTestApp, createTenant, fieldError, signedIn } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Gateway } from '../../src/modules/gateways/gateway.entity.js';
import { InboundNumber } from '../../src/modules/gateways/inbound-number.entity.js';
import { query } from '../sending/helpers.js';
import { campaignSentTo, contactNamed, inboundNumber, inboundRows, receive, workers, NUMBER } from './helpers.js';

async function setUp(t: Parameters<typeof buildTestApp>[0]) {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const { gateway, inbound } = await inboundNumber(orm, account);
  const client = await signedIn(app, await addUser(orm, account, 'marketer'));
  return { app, orm, account, owner, gateway, inbound, client, ...workers(orm) };
}

/** The rows of the STOP list as text, one string per row, cells joined by " | ". */
function rowsOf(html: string): string[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => cell[1]!.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim()).join(' | '),
  );
}

/** STOP list rows written straight into the table (many, at chosen times). */
async function stops(orm: MikroORM, accountId: string, numberId: string, rows: { phone: string; at: Date; keyword?: string }[]) {
  for (const [i, row] of rows.entries()) {
    await query(
      orm,
      `insert into inbound_message (account_id, gateway_id, gateway_message_id, inbound_number_id, from_raw, phone, to_number, body, received_at, status, classification, keyword)
       select ?, gateway_id, ?, id, ?, ?, number, 'STOP', ?, 'processed', 'opt_out', ? from inbound_number where id = ?`,
      [accountId, `bulk-${i}-${row.phone}`, row.phone, row.phone, row.at, row.keyword ?? 'STOP', numberId],
    );
  }
}

t.test('the STOP list shows who opted out by keyword, newest first, with the latest campaign before the reply as an estimate', async (t) => {
  const { app, orm, account, gateway, client, settle } = await setUp(t);
  const ann = await contactNamed(orm, account, '+33612345601', 'Ann', 'Martin');
  const replied = new Date('2026-03-10T09:15:00Z');
  await campaignSentTo(orm, account, 'Winter sale', [{ phone: '+33612345601', at: new Date('2026-03-01T09:00:00Z') }]);
  await campaignSentTo(orm, account, 'Spring sale', [{ phone: '+33612345601', at: new Date('2026-03-10T07:00:00Z') }]);
  await campaignSentTo(orm, account, 'Sent after the reply', [{ phone: '+33612345601', at: new Date('2026-03-10T10:00:00Z') }]);
  await campaignSentTo(orm, account, 'Sent to someone else', [{ phone: '+33612345699', at: new Date('2026-03-10T08:00:00Z') }]);

  await receive(app, gateway, { from: '+33612345601', text: 'Stop', receivedAt: replied });
  await receive(app, gateway, { from: '+33612345602', text: 'ARRÊT', receivedAt: new Date('2026-03-10T10:30:00Z') });
  await receive(app, gateway, { from: '+33612345603', text: 'When is the sale?', receivedAt: new Date('2026-03-10T11:00:00Z') });
  await settle();

  const page = await client.get('/inbound');
  t.equal(page.statusCode, 200);
  t.same(rowsOf(page.body), [
    '+33612345602 | not a contact | +33644000000 | ARRET | 10-03-2026 11:30 | none sent before it',
    '+33612345601 | Ann Martin | +33644000000 | STOP | 10-03-2026 10:15 | Spring sale sent 10-03-2026 08:00',
  ], 'newest first; times in the account zone; an inbox reply is not listed; the campaign is the latest sent to that phone before the reply');
  t.match(page.body, 'Times in Europe/Paris.', 'the zone is named above the table');
  t.match(page.body, `<a href="/contacts/${ann.id}">Ann Martin</a>`, 'a contact links to its page');
  t.match(page.body, 'Latest campaign sent before the reply <small class="estimate">(estimate)</small>', 'the campaign column is labelled an estimate');
  t.match(page.body, 'Which campaign a reply answers cannot be known exactly', 'and says why');

  const other = await createTenant(orm, 'Other account');
  const outsider = await signedIn(app, other.owner);
  const theirs = await outsider.get('/inbound');
  t.same(rowsOf(theirs.body), [], "another account's list is its own");
  t.match(theirs.body, 'No one has opted out by keyword yet.');
});

t.test('the STOP list filters by reply date in the account zone and by inbound number, and pages by cursor', async (t) => {
  const { orm, account, inbound, client } = await setUp(t);
  await query(orm, `update account set time_zone = 'America/New_York' where id = ?`, [account.id]);
  const second = (await inboundNumber(orm, account, '+33644000001')).inbound;
  await stops(orm, account.id, inbound.id, [
    { phone: '+33612340001', at: new Date('2026-03-10T03:59:00Z') }, // 9 March, 23:59 in New York
    { phone: '+33612340002', at: new Date('2026-03-10T04:00:00Z') }, // 10 March, 00:00 in New York
  ]);
  await stops(orm, account.id, second.id, [{ phone: '+33612340003', at: new Date('2026-03-11T12:00:00Z') }]);

  const phones = async (url: string) => rowsOf((await client.get(url)).body).map((row) => row.split(' | ')[0]);
  t.same(await phones('/inbound?from=2026-03-10&to=2026-03-10'), ['+33612340002'], "a day is the account's day");
  t.same(await phones('/inbound?to=2026-03-09'), ['+33612340001'], "'to' includes its whole day");
  t.same(await phones('/inbound?from=2026-03-10'), ['+33612340003', '+33612340002']);
  t.same(await phones(`/inbound?number=${second.id}`), ['+33612340003'], 'by inbound number');
  t.same(await phones('/inbound?number=not-an-id'), [], 'an unknown number matches nothing');
  const filtered = await client.get(`/inbound?from=2026-03-10&number=${inbound.id}`);
  t.match(filtered.body, `href="/inbound/export?from=2026-03-10&amp;number=${inbound.id}"`, 'the export link carries the filters');

  const impossible = await client.get('/inbound?from=2026-02-31');
  t.equal(impossible.statusCode, 400);
  t.match(impossible.body, 'The from date 2026-02-31 is not a date.');

  // 55 more, five of them at the very same moment (the id breaks the tie).
  const base = Date.parse('2026-04-01T12:00:00Z');
  await stops(orm, account.id, inbound.id, Array.from({ length: 55 }, (_, i) => ({ phone: `+336123451${String(i).padStart(2, '0')}`, at: new Date(base + (i < 5 ? 0 : i) * 60_000) })));
  const first = await client.get('/inbound?from=2026-04-01');
  const firstRows = rowsOf(first.body);
  t.equal(firstRows.length, 50, 'a page holds 50');
  t.equal(firstRows[0]!.split(' | ')[0], '+33612345154', 'newest first');
  const next = /href="(\/inbound\?from=2026-04-01&amp;after=\d+)"/.exec(first.body)?.[1]?.replace(/&amp;/g, '&');
  t.ok(next, 'a link leads to older replies');
  const secondPage = await client.get(next!);
  const secondRows = rowsOf(secondPage.body);
  t.equal(secondRows.length, 5, 'the rest are on the next page');
  const all = [...firstRows, ...secondRows].map((row) => row.split(' | ')[0]);
  t.equal(new Set(all).size, 55, 'every reply once, none twice, across pages');
  t.notMatch(secondPage.body, 'Older →', 'the last page has no next');
  t.match(secondPage.body, '← Newest');

  const fragment = await client.get(next!, { 'hx-request': 'true', 'hx-target': 'section#stop-results' });
  t.match(fragment.body, /^<section id="stop-results"/, 'htmx gets the results alone');
  t.notMatch(fragment.body, '<html');
});

t.test('the STOP list downloads as CSV with its filters, cells quoted as the contacts export does; viewers cannot export', async (t) => {
  const { app, orm, account, owner, gateway, client, settle } = await setUp(t);
  await contactNamed(orm, account, '+33612345601', '=HYPERLINK("x")', 'Martin, Jr');
  await campaignSentTo(orm, account, 'Sale; 50% "off"', [{ phone: '+33612345601', at: new Date('2026-03-10T07:00:00Z') }]);
  await receive(app, gateway, { from: '+33612345601', text: 'STOP', receivedAt: new Date('2026-03-10T09:15:00Z') });
  await receive(app, gateway, { from: '+33612345602', text: 'stop', receivedAt: new Date('2026-02-10T09:15:00Z') });
  await settle();

  const csv = await client.get('/inbound/export?from=2026-03-01');
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], 'text/csv');
  t.match(csv.headers['content-disposition'], /attachment; filename="stop-unsubscribes-\d{4}-\d{2}-\d{2}\.csv"/);
  t.equal(
    csv.body,
    'phone,first_name,last_name,is_contact,inbound_number,keyword,replied_at,latest_campaign_before_reply_estimate,latest_campaign_sent_at\r\n' +
      `+33612345601,"'=HYPERLINK(""x"")","Martin, Jr",yes,${NUMBER},STOP,2026-03-10T10:15:00+01:00,"Sale; 50% ""off""",2026-03-10T08:00:00+01:00\r\n`,
    'one row per reply in the filter; formulas defused, delimiters and quotes quoted; times with the account offset',
  );
  const everything = await client.get('/inbound/export');
  t.equal(everything.body.trim().split('\r\n').length, 3, 'without filters, every reply');
  t.match(everything.body, `+33612345602,,,no,${NUMBER},STOP,2026-02-10T10:15:00+01:00,,\r\n`, 'a number that is not a contact');

  const viewer = await signedIn(app, await addUser(orm, account, 'viewer'));
  t.equal((await viewer.get('/inbound/export')).statusCode, 403, 'viewers do not export personal data');
  t.notMatch((await viewer.get('/inbound')).body, 'Export CSV');
  t.match((await (await signedIn(app, owner)).get('/inbound')).body, 'Export CSV');
});

t.test('the simulator form stores an SMS as the webhook would; a STOP typed there shows in the STOP list once processed', async (t) => {
  const { orm, account, gateway, inbound, client, settle } = await setUp(t);
  await contactNamed(orm, account, '+33612345601', 'Ann', 'Martin');
  const page = await client.get('/inbound');
  t.match(page.body, '<summary>Simulate an incoming SMS</summary>');
  t.match(page.body, `<option value="${inbound.id}" selected>${NUMBER}</option>`, 'the only simulator number is chosen');

  const posted = await client.post('/inbound/simulate', { from: '+33 6 12 34 56 01', to: inbound.id, text: 'STOP', back: 'stop' });
  t.equal(posted.statusCode, 303);
  t.equal(posted.headers.location, '/inbound?received=1#simulate', 'back to the list it was typed on');
  const [row] = await query<{ gateway_id: string; from_raw: string; phone: string; to_number: string; body: string; status: string; inbound_number_id: string }>(
    orm,
    'select gateway_id, from_raw, phone, to_number, body, status, inbound_number_id from inbound_message where account_id = ?',
    [account.id],
  );
  t.same(row, { gateway_id: gateway.id, from_raw: '+33 6 12 34 56 01', phone: '+33612345601', to_number: NUMBER, body: 'STOP', status: 'received', inbound_number_id: inbound.id }, 'stored as received, like a webhook message');

  const waiting = await client.get('/inbound?received=1');
  t.match(waiting.body, 'Received; it is processed within a second.');
  t.match(waiting.body, /<section id="stop-results"[^>]* hx-get="\/inbound" hx-trigger="every 1s"/, 'the list follows the message while it waits');
  t.match(waiting.body, '1 message is being processed');

  await settle();
  const after = await client.get('/inbound', { 'hx-request': 'true', 'hx-target': 'section#stop-results' });
  t.same(rowsOf(after.body).map((r) => r.split(' | ').slice(0, 4).join(' | ')), [`+33612345601 | Ann Martin | ${NUMBER} | STOP`], 'the STOP is listed');
  t.notMatch(after.body, 'hx-trigger="every 1s"', 'and the list stops asking');

  const fromInbox = await client.post('/inbound/simulate', { from: 'ACME-SHOP', to: inbound.id, text: '', back: 'inbox' });
  t.equal(fromInbox.headers.location, '/inbound/inbox?received=1#simulate');
  await settle();
  const rows = await inboundRows(orm, account.id);
  t.match(rows[1], { status: 'processed', classification: 'inbox', inbox_text: '' }, 'any sender and an empty text are received, as the webhook takes them');
  t.match((await client.get('/inbound/inbox')).body, /unknown number<\/span><br><small>ACME-SHOP<\/small> <small class="muted">\(not a phone number\)/);
});

t.test("the simulator form's mistakes are field errors (422) and store nothing; only simulator numbers, only for those who change things", async (t) => {
  const { app, orm, account, inbound, client } = await setUp(t);
  const em = withAccount(orm.em.fork(), account.id);
  const kannel = em.create(Gateway, { account: account.id, kind: 'kannel', name: 'Kannel', config: { url: 'http://127.0.0.1:13013/cgi-bin/sendsms' } });
  const real = em.create(InboundNumber, { account: account.id, number: '+33644000002', country: 'FR', gateway: kannel, helpReply: 'h', optOutReply: 'o', optInReply: 'i' });
  await em.flush();
  const page = await client.get('/inbound/inbox');
  t.notMatch(page.body, '+33644000002</option>', 'a number on a real gateway is not offered');

  const cases: [string, Record<string, string>, string, string][] = [
    ['no sender', { from: '  ' }, 'sim-from', 'Give the sender: a phone number (or any text of 1 to 40 characters, as a gateway may pass).'],
    ['a long sender', { from: 'x'.repeat(41) }, 'sim-from', 'A sender can have at most 40 characters; this one has 41.'],
    ['a long text', { text: 'é'.repeat(1601) }, 'sim-text', 'An SMS can have at most 1,600 characters; this one has 1,601.'],
    ['no number', { to: '' }, 'sim-to', 'Choose one of your inbound numbers on a simulator gateway.'],
    ['a number on a real gateway', { to: real.id }, 'sim-to', 'Choose one of your inbound numbers on a simulator gateway.'],
    ['a malformed number id', { to: 'nope' }, 'sim-to', 'Choose one of your inbound numbers on a simulator gateway.'],
  ];
  for (const [what, change, field, message] of cases) {
    const response = await client.post('/inbound/simulate', { from: '+33612345601', to: inbound.id, text: 'Hello', back: 'inbox', ...change });
    t.equal(response.statusCode, 422, `${what}: 422`);
    t.match(response.body, fieldError(field, message), `${what}: said on the field`);
    t.match(response.body, '<details id="simulate" class="simulate" open>', `${what}: the form stays open`);
  }
  const kept = await client.post('/inbound/simulate', { from: 'x'.repeat(41), to: inbound.id, text: 'Keep me', back: 'stop' });
  t.match(kept.body, '>Keep me</textarea>', 'what was typed is kept');
  t.match(kept.body, '<h1>Unsubscribed using STOP keyword</h1>', 'on the page it was typed on');
  const schema = await client.post('/inbound/simulate', { from: '+33612345601', to: inbound.id, text: 'x'.repeat(10_001), back: 'inbox' });
  t.equal(schema.statusCode, 422, 'a text past the schema bound is a field error too');
  t.same(await inboundRows(orm, account.id), [], 'nothing was stored');

  const viewer = await signedIn(app, await addUser(orm, account, 'viewer'));
  t.notMatch((await viewer.get('/inbound/inbox')).body, 'Simulate an incoming SMS', 'viewers do not see the form');
  t.equal((await viewer.post('/inbound/simulate', { from: '+33612345601', to: inbound.id, text: 'Hi' })).statusCode, 403, 'nor may they post it');

  const bare = await createTenant(orm, 'No numbers');
  t.notMatch((await (await signedIn(app, bare.owner)).get('/inbound')).body, 'Simulate an incoming SMS', 'without a simulator number there is no form');
});
