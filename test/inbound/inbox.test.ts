// Inbound SMS → SMS inbox, over HTTP: replies that are no keyword (email captures labelled), and
// the unroutable and failed messages an operator must see, newest first with the campaign they
// probably answer; search, the handled/problems filters, marking handled (marketers and owners),
// retrying a failed message (owners), and the CSV export.
import t from 'tap';
import type { MikroORM } from '@mikro-orm/postgresql';
import { addUser, buildTestApp, createTenant, signedIn } from '../helper.js';
import { query } from '../sending/helpers.js';
import { campaignSentTo, contactNamed, inboundNumber, inboundRows, receive, workers, NUMBER } from './helpers.js';

async function setUp(t: Parameters<typeof buildTestApp>[0]) {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const { gateway, inbound } = await inboundNumber(orm, account);
  const marketer = await addUser(orm, account, 'marketer');
  const client = await signedIn(app, marketer);
  return { app, orm, account, owner, marketer, gateway, inbound, client, ...workers(orm) };
}

/** The inbox rows as text, one string per row, cells joined by " | ". */
function rowsOf(html: string): string[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? html;
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)]
      .map((cell) => cell[1]!.replace(/<form[\s\S]*?<\/form>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim())
      .join(' | '),
  );
}

/** A message whose processing kept failing, as the processor leaves it after its last attempt. */
async function failedMessage(orm: MikroORM, accountId: string, phone: string, body: string, receivedAt = new Date()) {
  const [row] = await query<{ id: string }>(
    orm,
    `insert into inbound_message (account_id, gateway_id, gateway_message_id, inbound_number_id, from_raw, phone, to_number, body, received_at, status, attempts, error)
     select ?, gateway_id, ?, id, ?, ?, number, ?, ?, 'failed', 5, 'deadlock detected' from inbound_number where account_id = ? and number = ? returning id`,
    [accountId, `failed-${phone}-${body}`, phone, phone, body, receivedAt, accountId, NUMBER],
  );
  return row!.id;
}

const at = (minutes: number) => new Date(Date.parse('2026-03-10T09:00:00Z') + minutes * 60_000);

t.test('the inbox lists replies that are no keyword, email captures, and unroutable and failed messages, newest first', async (t) => {
  const { app, orm, account, gateway, client, settle } = await setUp(t);
  const ann = await contactNamed(orm, account, '+33612345601', 'Ann', 'Martin');
  await campaignSentTo(orm, account, 'Spring sale', [{ phone: '+33612345601', at: at(-60) }]);
  await receive(app, gateway, { from: '+33612345601', text: 'When does the sale end?', receivedAt: at(0) });
  await receive(app, gateway, { from: '+33612345602', text: 'Sure: bob@example.com', receivedAt: at(1) });
  await receive(app, gateway, { from: '+33612345603', text: 'STOP', receivedAt: at(2) });
  await receive(app, gateway, { from: '+33612345604', text: 'Who is this?', to: '+33699999999', receivedAt: at(3) });
  await settle();
  await failedMessage(orm, account.id, '+33612345605', 'Hello?', at(4));

  const page = await client.get('/inbound/inbox');
  t.equal(page.statusCode, 200);
  const bob = await query<{ id: string }>(orm, `select id from contact where account_id = ? and phone = '+33612345602'`, [account.id]);
  t.same(rowsOf(page.body), [
    `unknown number +33612345605 | ${NUMBER} | Processing failed: deadlock detected Hello? | 10-03-2026 10:04 | none sent before it | Not handled`,
    'unknown number +33612345604 | +33699999999 | Unroutable: sent to +33699999999, which is none of your inbound numbers. Who is this? | 10-03-2026 10:03 | none sent before it | Not handled',
    `+33612345602 | ${NUMBER} | Sure: bob@example.com email captured: bob@example.com | 10-03-2026 10:01 | none sent before it | Not handled`,
    `Ann Martin +33612345601 | ${NUMBER} | When does the sale end? | 10-03-2026 10:00 | Spring sale sent 10-03-2026 09:00 | Not handled`,
  ], 'newest first; a STOP is not in the inbox; problems show with their reason');
  t.match(page.body, `<a href="/contacts/${ann.id}">Ann Martin</a>`, 'a contact links to its page');
  t.match(page.body, `<a href="/contacts/${bob[0]!.id}">+33612345602</a>`, 'the contact made from a captured email too');
  t.match(page.body, 'Probably answers <small class="estimate">(estimate)</small>', 'the campaign is labelled an estimate');
  t.match(page.body, 'Times in Europe/Paris.');
});

t.test('search finds text and phone (wildcards are text); the filters show handled, not handled or problems', async (t) => {
  const { app, orm, account, gateway, inbound, client, settle } = await setUp(t);
  await receive(app, gateway, { from: '+33612345601', text: 'Is it 50% off?', receivedAt: at(0) });
  await receive(app, gateway, { from: '+33612345602', text: 'I want 500 of them', receivedAt: at(1) });
  await receive(app, gateway, { from: '+33612345603', text: 'Call me_back', receivedAt: at(2) });
  await settle();
  await failedMessage(orm, account.id, '+33612345604', 'Broken', at(3));
  const texts = async (url: string) => rowsOf((await client.get(url)).body).map((row) => row.split(' | ')[2]);

  t.same(await texts('/inbound/inbox?q=50%25'), ['Is it 50% off?'], '"50%" is the text 50%, not a pattern');
  t.same(await texts('/inbound/inbox?q=e_b'), ['Call me_back'], '"_" is the character');
  t.same(await texts('/inbound/inbox?q=OF'), ['I want 500 of them', 'Is it 50% off?'], 'case does not matter');
  t.same(await texts('/inbound/inbox?q=612345602'), ['I want 500 of them'], 'by phone');
  t.same(await texts('/inbound/inbox?state=problems'), ['Processing failed: deadlock detected Broken']);

  const [first] = await inboundRows(orm, account.id);
  await client.post(`/inbound/inbox/${first!.id}/handled`, { handled: 'yes' });
  t.same(await texts('/inbound/inbox?state=handled'), ['Is it 50% off?']);
  t.same(await texts('/inbound/inbox?state=unhandled'), ['Processing failed: deadlock detected Broken', 'Call me_back', 'I want 500 of them']);
  t.equal((await texts('/inbound/inbox')).length, 4, 'all by default');
  t.equal((await client.get('/inbound/inbox?state=everything')).statusCode, 400, 'an unknown filter is refused');
  t.match((await client.get('/inbound/inbox?q=zzz')).body, 'No message matches these filters.');
  const fragment = await client.get('/inbound/inbox?q=50%25', { 'hx-request': 'true', 'hx-target': 'section#inbox-results' });
  t.match(fragment.body, /^<section id="inbox-results"/, 'htmx gets the results alone');
  t.match(fragment.body, 'href="/inbound/inbox/export?q=50%25"', 'with an export link for the same search');
  t.ok(inbound);
});

t.test('marketers and owners mark messages handled and not handled; viewers only read', async (t) => {
  const { app, orm, account, marketer, gateway, client, settle } = await setUp(t);
  await receive(app, gateway, { from: '+33612345601', text: 'Hello there', receivedAt: at(0) });
  await receive(app, gateway, { from: '+33612345602', text: 'STOP', receivedAt: at(1) });
  await settle();
  const [hello, stop] = await inboundRows(orm, account.id);
  const handled = async () => (await query<{ handled_at: string | null; handled_by: string | null }>(orm, 'select handled_at, handled_by from inbound_message where id = ?', [hello!.id]))[0]!;

  const page = await client.get('/inbound/inbox?state=unhandled');
  t.match(page.body, 'Mark as handled');
  const plain = await client.post(`/inbound/inbox/${hello!.id}/handled`, { handled: 'yes', back: '/inbound/inbox?state=unhandled' });
  t.equal(plain.statusCode, 303);
  t.equal(plain.headers.location, '/inbound/inbox?state=unhandled', 'without JavaScript, back to the list as it was filtered');
  t.match(await handled(), { handled_by: `user:${marketer.email}` }, 'who handled it is kept');
  t.ok((await handled()).handled_at, 'and when');
  t.match((await client.get('/inbound/inbox')).body, new RegExp(`Handled</span> <small class="muted">by ${marketer.email.replace('.', '\\.')}, \\d{2}-\\d{2}-\\d{4} \\d{2}:\\d{2}</small>`));

  const undone = await client.post(`/inbound/inbox/${hello!.id}/handled`, { handled: 'no', back: '/inbound/inbox' }, { 'hx-request': 'true' });
  t.equal(undone.statusCode, 200, 'with htmx the row answers');
  t.match(undone.body, new RegExp(`^\\s*<tr id="inbox-${hello!.id}"`), 'its row alone');
  t.match(undone.body, 'Not handled');
  t.match(undone.body, 'Mark as handled');
  t.same(await handled(), { handled_at: null, handled_by: null });

  const evil = await client.post(`/inbound/inbox/${hello!.id}/handled`, { handled: 'yes', back: 'https://evil.example/' });
  t.equal(evil.headers.location, '/inbound/inbox', 'back only ever leads to the lists');
  t.equal((await client.post(`/inbound/inbox/${stop!.id}/handled`, { handled: 'yes' })).statusCode, 404, 'a STOP is not in the inbox');
  t.equal((await client.post(`/inbound/inbox/${hello!.id}/handled`, { handled: 'maybe' })).statusCode, 400, 'handled is yes or no');

  const viewer = await signedIn(app, await addUser(orm, account, 'viewer'));
  const seen = await viewer.get('/inbound/inbox');
  t.match(seen.body, 'Hello there', 'viewers read the inbox');
  t.notMatch(seen.body, 'Mark as', 'without the buttons');
  t.equal((await viewer.post(`/inbound/inbox/${hello!.id}/handled`, { handled: 'no' })).statusCode, 403, 'and cannot change it');
  t.match(await handled(), { handled_by: `user:${marketer.email}` });
});

t.test('an owner retries a failed message: it goes back to the processor from its first attempt', async (t) => {
  const { app, orm, account, owner, client, settle } = await setUp(t);
  const id = await failedMessage(orm, account.id, '+33612345601', 'Is the shop open?');
  t.notMatch((await client.get('/inbound/inbox')).body, '>Retry<', 'marketers see no Retry');
  t.equal((await client.post(`/inbound/inbox/${id}/retry`)).statusCode, 403, 'nor may they retry');

  const boss = await signedIn(app, owner);
  t.match((await boss.get('/inbound/inbox')).body, '>Retry</button>');
  const retried = await boss.post(`/inbound/inbox/${id}/retry`, { back: '/inbound/inbox?state=problems' });
  t.equal(retried.statusCode, 303);
  t.equal(retried.headers.location, '/inbound/inbox?state=problems');
  t.match((await inboundRows(orm, account.id))[0], { status: 'received', error: null });
  const [{ attempts }] = await query<{ attempts: number }>(orm, 'select attempts from inbound_message where id = ?', [id]);
  t.equal(attempts, 0, 'from its first attempt');
  t.match((await boss.get('/inbound/inbox')).body, '1 message is being processed', 'the inbox follows it');

  await settle();
  t.match((await inboundRows(orm, account.id))[0], { status: 'processed', classification: 'inbox', in_inbox: true });
  t.equal((await boss.post(`/inbound/inbox/${id}/retry`)).statusCode, 409, 'a processed message is not retried');
});

t.test('the inbox downloads as CSV with its filters, cells quoted as the contacts export does', async (t) => {
  const { app, orm, account, gateway, client, settle } = await setUp(t);
  await contactNamed(orm, account, '+33612345601', 'Ann', null);
  await campaignSentTo(orm, account, 'Spring, sale', [{ phone: '+33612345601', at: at(-30) }]);
  await receive(app, gateway, { from: '+33612345601', text: '=1+2, "quoted"\nsecond line', receivedAt: at(0) });
  await receive(app, gateway, { from: '+33612345602', text: 'Plain', receivedAt: at(1) });
  await settle();
  await failedMessage(orm, account.id, '+33612345603', 'Broken', at(2));
  const [first] = await inboundRows(orm, account.id);
  await client.post(`/inbound/inbox/${first!.id}/handled`, { handled: 'yes' });

  const csv = await client.get('/inbound/inbox/export?state=handled');
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-disposition'], /filename="sms-inbox-\d{4}-\d{2}-\d{2}\.csv"/);
  const lines = csv.body.split('\r\n');
  t.equal(lines[0], 'received_at,phone,first_name,last_name,inbound_number,text,captured_email,status,error,handled,handled_at,handled_by,latest_campaign_before_reply_estimate,latest_campaign_sent_at');
  t.match(lines[1], new RegExp(`^2026-03-10T10:00:00\\+01:00,\\+33612345601,Ann,,${NUMBER.replace('+', '\\+')},"'=1\\+2, ""quoted""\nsecond line",,processed,,yes,\\d{4}-\\d{2}-\\d{2}T[^,]+,[^,]+@example.com,"Spring, sale",2026-03-10T09:30:00\\+01:00$`), 'a formula defused, quotes doubled, the line break kept inside one quoted cell');
  t.equal(lines.length, 3, 'only the handled message (and the final line break)');
  const problems = await client.get('/inbound/inbox/export?state=problems');
  t.match(problems.body, `\r\n2026-03-10T10:02:00+01:00,+33612345603,,,${NUMBER},Broken,,failed,deadlock detected,no,,,,\r\n`);
  const viewer = await signedIn(app, await addUser(orm, account, 'viewer'));
  t.equal((await viewer.get('/inbound/inbox/export')).statusCode, 403, 'viewers do not export');
});
