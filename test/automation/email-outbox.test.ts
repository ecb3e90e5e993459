// Emails queued by automation (queueEmailsOn, as a program's Send email step calls it) and the
// Email outbox: each email rendered for its contact with the event's data, a contact without an
// address recorded as skipped with that reason; without SMTP_URL the sender keeps them in the
// outbox, where a user reads them (newest first, by status, paged, one email's text and HTML, CSV);
// viewers read but do not export; erasing a contact strips its emails.
import t from 'tap';
import { addUser, createTenant, signedIn } from '../helper.js';
import { query } from '../sending/helpers.js';
import { contact, emailSetUp, queue, sender } from './email-helpers.js';

const setUp = emailSetUp;

t.test('queued emails are rendered for each contact; a contact without an address is recorded as skipped', async (t) => {
  const { orm, account, templateId } = await setUp(t);
  const ann = await contact(orm, account, { phone: '+33612345601', firstName: 'Ann & <Co>', lastName: 'Martin', email: 'ann@example.com', fields: { tier: 'gold' } });
  const bob = await contact(orm, account, { phone: '+33612345602', firstName: 'Bob' });
  const answers = await queue(orm, [
    { accountId: account.id, contactId: ann.id, templateId, runId: null, eventData: { order_id: 'A-17' } },
    { accountId: account.id, contactId: bob.id, templateId, runId: null, eventData: {} },
    { accountId: account.id, contactId: '999999', templateId, runId: null, eventData: {} },
  ]);
  t.same(answers.map((a) => [a.status, a.skipReason]), [['queued', null], ['skipped', 'The contact has no email address'], ['skipped', 'The contact has no email address']], 'one answer per email, in order');
  const rows = await query<Record<string, unknown>>(orm, 'select id::text, to_address, contact_id::text, subject, text_body, html_body, status, skip_reason from email_message where account_id = ? order by id', [account.id]);
  t.same(rows.map((r) => r.id), answers.map((a) => a.id), 'the answers are the records');
  t.same(rows[0], {
    id: answers[0]!.id,
    to_address: 'ann@example.com',
    contact_id: ann.id,
    subject: 'Order A-17 for Ann & <Co>',
    text_body: 'Hi Ann & <Co> Martin, order A-17 is ready (gold).',
    html_body: '<p>Hi <b>Ann &#38; &#60;Co&#62;</b>, order A-17</p>',
    status: 'queued',
    skip_reason: null,
  }, "the contact's fields and the event's data filled in; in HTML, escaped");
  t.same([rows[1]!.to_address, rows[1]!.text_body], [null, 'Hi Bob , order ? is ready (standard).'], 'fallbacks where a value is missing');

  // Another account's template is not this account's to send.
  const other = await createTenant(orm);
  const theirs = await contact(orm, other.account, { phone: '+33612345609', email: 'x@example.com' });
  await t.rejects(queue(orm, [{ accountId: other.account.id, contactId: theirs.id, templateId, runId: null, eventData: {} }]), /There is no email template/);
});

t.test('without SMTP_URL emails are kept in the Email outbox, where a user reads them', async (t) => {
  const { orm, account, client, templateId } = await setUp(t);
  const ann = await contact(orm, account, { phone: '+33612345601', firstName: 'Ann', email: 'ann@example.com' });
  const bob = await contact(orm, account, { phone: '+33612345602', firstName: 'Bob' });
  const [stored, skipped] = await queue(orm, [
    { accountId: account.id, contactId: ann.id, templateId, runId: null, eventData: { order_id: 'A-17' } },
    { accountId: account.id, contactId: bob.id, templateId, runId: null, eventData: {} },
  ]);
  const queued = await client.get('/automation/emails/outbox');
  t.match(queued.body, /data-status="queued"[\s\S]*Queued/, 'queued until the sender takes it');
  await sender(orm).drain();
  t.same(await query(orm, 'select status from email_message where id = ?', [stored!.id]), [{ status: 'stored' }]);

  const outbox = await client.get('/automation/emails/outbox');
  t.equal(outbox.statusCode, 200);
  t.match(outbox.body, 'No SMTP server is set (SMTP_URL), so emails are kept here');
  const rows = [...outbox.body.matchAll(/<tr id="email-(\d+)" data-status="(\w+)">([\s\S]*?)<\/tr>/g)].map((m) => [m[1], m[2], m[3]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()]);
  t.same(rows.map((r) => r.slice(0, 2)), [[skipped!.id, 'skipped'], [stored!.id, 'stored']], 'newest first');
  t.match(rows[0]![2], /^\d\d-\d\d-\d{4} \d\d:\d\d no address Bob Order for Bob Skipped The contact has no email address$/);
  t.match(rows[1]![2], /^\d\d-\d\d-\d{4} \d\d:\d\d ann@example.com Ann Order A-17 for Ann Kept in the outbox$/);
  t.match(outbox.body, 'Times in Europe/Paris.');

  const onlySkipped = await client.get('/automation/emails/outbox?status=skipped');
  t.match(onlySkipped.body, `email-${skipped!.id}"`);
  t.notMatch(onlySkipped.body, `email-${stored!.id}"`, 'filtered by status');
  t.match(onlySkipped.body, '<option value="skipped" selected>Skipped</option>');

  const read = await client.get(`/automation/emails/outbox/${stored!.id}`);
  t.equal(read.statusCode, 200);
  t.match(read.body, '<h1 class="email-subject">Order A-17 for Ann</h1>');
  t.match(read.body, 'ann@example.com');
  t.match(read.body, '<pre class="email-text" data-part="text">Hi Ann , order A-17 is ready (standard).</pre>');
  t.match(read.body, `<iframe class="email-html" src="/automation/emails/outbox/${stored!.id}/html" sandbox`);
  const html = await client.get(`/automation/emails/outbox/${stored!.id}/html`);
  t.equal(html.body, '<p>Hi <b>Ann</b>, order A-17</p>');
  t.match(html.headers['content-security-policy'], /^sandbox; default-src 'none'/);
  t.equal((await client.get(`/automation/emails/outbox/${skipped!.id}/html`)).statusCode, 200, 'a skipped email was rendered too');
  t.equal((await client.get('/automation/emails/outbox/999999')).statusCode, 404);

  const csv = await client.get('/automation/emails/outbox/export');
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-disposition'], /attachment; filename="email-outbox-\d{4}-\d\d-\d\d\.csv"/);
  const lines = csv.body.trim().split('\r\n');
  t.equal(lines[0], 'id,created_at,to,contact_id,first_name,last_name,subject,template,status,skip_reason,error,attempts,next_attempt_at,sent_at');
  t.match(lines[1], new RegExp(`^${skipped!.id},\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?\\+0[12]:00,,${bob.id},Bob,,Order for Bob,Order ready,skipped,The contact has no email address,,0,,$`));
  t.match(lines[2], new RegExp(`^${stored!.id},.*,ann@example.com,${ann.id},Ann,,Order A-17 for Ann,Order ready,stored,,,1,,\\d{4}-`));
});

t.test('the outbox pages newest first, 50 at a time', async (t) => {
  const { orm, account, client } = await setUp(t);
  await query(orm, `insert into email_message (account_id, to_address, subject, text_body, status) select ?, 'a@example.com', 'Email ' || n, 'Body', 'stored' from generate_series(1, 52) n`, [account.id]);
  const first = await client.get('/automation/emails/outbox');
  t.equal([...first.body.matchAll(/<tr id="email-/g)].length, 50);
  t.match(first.body, '>Email 52</a>');
  const older = /href="(\/automation\/emails\/outbox\?after=\d+)"/.exec(first.body)?.[1];
  t.ok(older, 'a link to older emails');
  const second = await client.get(older!);
  t.same([...second.body.matchAll(/>(Email \d+)<\/a>/g)].map((m) => m[1]), ['Email 2', 'Email 1']);
});

t.test('viewers read the outbox but do not export it', async (t) => {
  const { app, orm, account } = await setUp(t);
  const viewer = await signedIn(app, await addUser(orm, account, 'viewer'));
  await query(orm, `insert into email_message (account_id, to_address, subject, text_body, status) values (?, 'a@example.com', 'Readable', 'Body', 'stored')`, [account.id]);
  const outbox = await viewer.get('/automation/emails/outbox');
  t.match(outbox.body, 'Readable');
  t.notMatch(outbox.body, 'Export CSV');
  t.equal((await viewer.get('/automation/emails/outbox/export')).statusCode, 403);
});

t.test("erasing a contact strips its emails and stops those not sent yet", async (t) => {
  const { orm, account, client, templateId } = await setUp(t);
  const ann = await contact(orm, account, { phone: '+33612345601', firstName: 'Ann', email: 'ann@example.com' });
  await queue(orm, [{ accountId: account.id, contactId: ann.id, templateId, runId: null, eventData: {} }]);
  await client.get(`/contacts/${ann.id}/delete`);
  t.equal((await client.post(`/contacts/${ann.id}/delete`)).statusCode, 303);
  t.same(await query(orm, 'select contact_id, to_address, subject, text_body, status, skip_reason from email_message where account_id = ?', [account.id]), [
    { contact_id: null, to_address: null, subject: '', text_body: '', status: 'skipped', skip_reason: 'The contact was erased' },
  ]);
});
