// Automation → Email templates over HTTP: create, list, edit and delete with field errors; the
// placeholders checked as SMS campaigns check theirs ({{event.*}} allowed); the preview for a
// contact (found by phone, email or id) with its fields and the fallbacks, the HTML body with the
// contact's data escaped and served as a sandboxed document; a template a program sends cannot be
// deleted (the page names the program); viewers read but change nothing.
import t from 'tap';
import { addUser, buildTestApp, createTenant, fieldError, signedIn } from '../helper.js';
import { query } from '../sending/helpers.js';
import { contact, template } from './email-helpers.js';

async function setUp(t: Parameters<typeof buildTestApp>[0]) {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm);
  const marketer = await addUser(orm, account, 'marketer');
  const client = await signedIn(app, marketer);
  return { app, orm, account, owner, client };
}

const FORM = { name: 'Welcome', subject: 'Welcome, {{first_name|friend}}!', text_body: 'Hello {{first_name|there}},\nyour order {{event.order_id|soon}} is ready.', html_body: '<p>Hello <b>{{first_name|there}}</b></p>' };

t.test('a marketer creates, lists and edits an email template', async (t) => {
  const { orm, account, client } = await setUp(t);
  const created = await client.post('/automation/emails', FORM);
  t.equal(created.statusCode, 303);
  const [row] = await query<{ id: string; name: string; subject: string; text_body: string; html_body: string }>(orm, 'select id, name, subject, text_body, html_body from email_template where account_id = ?', [account.id]);
  t.same({ ...row, id: undefined }, { id: undefined, name: 'Welcome', subject: FORM.subject, text_body: FORM.text_body, html_body: FORM.html_body }, 'saved as typed');
  t.equal(created.headers.location, `/automation/emails/${row!.id}/preview`, 'then shown in its preview');

  const list = await client.get('/automation/emails');
  t.equal(list.statusCode, 200);
  t.match(list.body, /<a href="\/automation\/emails\/[0-9a-f-]+\/preview">Welcome<\/a>/, 'listed by name');
  t.match(list.body, 'Welcome, {{first_name|friend}}!', 'with its subject');
  t.match(list.body, /\d\d-\d\d-\d{4} \d\d:\d\d/, 'and when it was updated');

  const edit = await client.get(`/automation/emails/${row!.id}/edit`);
  t.match(edit.body, 'value="Welcome"');
  const saved = await client.post(`/automation/emails/${row!.id}`, { ...FORM, subject: 'Hi {{first_name}}', html_body: '' });
  t.equal(saved.statusCode, 303);
  const [after] = await query<{ subject: string; html_body: string | null }>(orm, 'select subject, html_body from email_template where id = ?', [row!.id]);
  t.same(after, { subject: 'Hi {{first_name}}', html_body: null }, 'an emptied HTML body is no HTML body');
});

t.test('a template form refuses what is missing, unknown placeholders and a taken name, on each field', async (t) => {
  const { orm, account, client } = await setUp(t);
  await template(orm, account, { name: 'Taken', subject: 'S', textBody: 'T' });
  const refused = await client.post('/automation/emails', { name: 'Taken', subject: '', text_body: '  ', html_body: '<p>{{nickname}} {{First Name}}</p>' });
  t.equal(refused.statusCode, 422);
  t.match(refused.body, fieldError('subject', 'Write the subject.'));
  t.match(refused.body, fieldError('text_body', 'Write the text body: every email has one, for mail programs that show no HTML.'));
  t.match(refused.body, fieldError('html_body', 'Not a placeholder: {{First Name}} (write them like {{first_name}} or {{first_name|there}}).'));
  const taken = await client.post('/automation/emails', { name: 'Taken', subject: 'Hi {{nickname}}', text_body: 'Hi {{unsubscribe_link}}' });
  t.equal(taken.statusCode, 422);
  t.match(taken.body, fieldError('name', 'There is already a template named &quot;Taken&quot;.'));
  t.match(taken.body, fieldError('subject', 'Unknown placeholder: {{nickname}}.'));
  t.match(taken.body, fieldError('text_body', 'Unknown placeholder: {{unsubscribe_link}}.'), 'the SMS unsubscribe link is not an email placeholder');
  t.match(taken.body, 'value="Hi {{nickname}}"', 'what was typed is kept');
  const [{ n }] = await query<{ n: number }>(orm, 'select count(*)::int as n from email_template where account_id = ?', [account.id]);
  t.equal(n, 1, 'nothing was saved');

  // A custom field is a placeholder; so is any event data.
  await client.get('/contacts/fields');
  await query(orm, `insert into custom_field (id, account_id, key, label, type, created_at) values (gen_random_uuid(), ?, 'tier', 'Tier', 'text', now())`, [account.id]);
  const accepted = await client.post('/automation/emails', { name: 'Tiers', subject: 'Your {{tier}} status', text_body: '{{event.anything|x}}' });
  t.equal(accepted.statusCode, 303);
});

t.test('the preview shows the email a contact would get: its fields, the fallbacks, the HTML escaped', async (t) => {
  const { orm, account, client } = await setUp(t);
  const id = await template(orm, account, { name: 'Order', subject: 'Hi {{first_name|there}}, {{tier|valued}} customer', textBody: 'Dear {{first_name|there}} {{last_name}},\nthanks.', htmlBody: '<p>Dear <b>{{first_name|there}}</b></p>' });
  await query(orm, `insert into custom_field (id, account_id, key, label, type, created_at) values (gen_random_uuid(), ?, 'tier', 'Tier', 'text', now())`, [account.id]);
  const ann = await contact(orm, account, { phone: '+33612345601', firstName: 'Ann <i>', lastName: 'Martin', email: 'ann@example.com', fields: { tier: 'gold' } });
  const bob = await contact(orm, account, { phone: '+33612345602', email: 'bob@example.com' });

  const byPhone = await client.get(`/automation/emails/${id}/preview?contact=${encodeURIComponent('+33 6 12 34 56 01')}`);
  t.equal(byPhone.statusCode, 200);
  t.match(byPhone.body, `data-contact="${ann.id}"`, 'found by its phone as people type it');
  t.match(byPhone.body, '<dd data-part="subject">Hi Ann &lt;i&gt;, gold customer</dd>');
  t.match(byPhone.body, '<pre class="email-text" data-part="text">Dear Ann &lt;i&gt; Martin,\nthanks.</pre>');
  t.match(byPhone.body, `src="/automation/emails/${id}/preview/html?contact=${ann.id}"`, 'the HTML body is framed');
  t.match(byPhone.body, /<iframe[^>]+sandbox/, 'in a sandbox');

  const html = await client.get(`/automation/emails/${id}/preview/html?contact=${ann.id}`);
  t.equal(html.statusCode, 200);
  t.equal(html.body, '<p>Dear <b>Ann &#60;i&#62;</b></p>', "the contact's name is text, not markup");
  t.match(html.headers['content-security-policy'], /^sandbox; default-src 'none'/, 'a document that runs nothing and loads nothing');

  const byEmail = await client.get(`/automation/emails/${id}/preview?contact=BOB@example.com`);
  t.match(byEmail.body, `data-contact="${bob.id}"`, 'found by its email address');
  t.match(byEmail.body, '<dd data-part="subject">Hi there, valued customer</dd>', 'empty fields take their fallbacks');
  const byId = await client.get(`/automation/emails/${id}/preview?contact=${ann.id}`);
  t.match(byId.body, `data-contact="${ann.id}"`, 'found by its id');
  const newest = await client.get(`/automation/emails/${id}/preview`);
  t.match(newest.body, `data-contact="${bob.id}"`, 'without a choice: the newest contact with an address');
  const nobody = await client.get(`/automation/emails/${id}/preview?contact=nobody@example.com`);
  t.match(nobody.body, 'No contact has the id, phone number or email address &quot;nobody@example.com&quot;.');

  const noAddress = await contact(orm, account, { phone: '+33612345603', firstName: 'Cy' });
  const skipped = await client.get(`/automation/emails/${id}/preview?contact=${noAddress.id}`);
  t.match(skipped.body, 'This contact has no email address: a program would record its email as skipped.');
});

t.test('a template a program sends cannot be deleted; the page names the program', async (t) => {
  const { orm, account, client } = await setUp(t);
  const used = await template(orm, account, { name: 'Used', subject: 'S', textBody: 'T' });
  const unused = await template(orm, account, { name: 'Unused', subject: 'S', textBody: 'T' });
  const [event] = await query<{ id: string }>(orm, `insert into external_event (id, account_id, name, source, created_at) values (gen_random_uuid(), ?, 'Order paid', 'api', now()) returning id`, [account.id]);
  const [program] = await query<{ id: string }>(orm, `insert into automation_program (id, account_id, name, event_id, created_at, updated_at) values (gen_random_uuid(), ?, 'After purchase', ?, now(), now()) returning id`, [account.id, event!.id]);
  await query(orm, `insert into automation_step (id, account_id, program_id, position, kind, email_template_id, created_at, updated_at) values (gen_random_uuid(), ?, ?, 0, 'send_email', ?, now(), now())`, [account.id, program!.id, used]);

  const confirm = await client.get(`/automation/emails/${used}/delete`);
  t.match(confirm.body, 'The template &quot;Used&quot; is sent by the program &quot;After purchase&quot;: remove it from their steps first.');
  t.notMatch(confirm.body, 'Delete the template</button>', 'no delete button');
  const refused = await client.post(`/automation/emails/${used}/delete`);
  t.equal(refused.statusCode, 409);
  t.match(refused.body, 'is sent by the program &quot;After purchase&quot;');

  t.match((await client.get(`/automation/emails/${unused}/delete`)).body, 'Delete the template</button>');
  const deleted = await client.post(`/automation/emails/${unused}/delete`);
  t.equal(deleted.statusCode, 303);
  t.same(await query(orm, 'select name from email_template where account_id = ? order by name', [account.id]), [{ name: 'Used' }]);
});

t.test('viewers read templates and previews but cannot change them', async (t) => {
  const { app, orm, account } = await setUp(t);
  const id = await template(orm, account, { name: 'Readable', subject: 'S', textBody: 'T' });
  const viewer = await signedIn(app, await addUser(orm, account, 'viewer'));
  const list = await viewer.get('/automation/emails');
  t.equal(list.statusCode, 200);
  t.match(list.body, 'Readable');
  t.notMatch(list.body, 'New email template', 'no button to create one');
  t.notMatch(list.body, `/automation/emails/${id}/edit`, 'nor to edit');
  t.equal((await viewer.get(`/automation/emails/${id}/preview`)).statusCode, 200);
  t.equal((await viewer.get('/automation/emails/new')).statusCode, 403);
  t.equal((await viewer.get(`/automation/emails/${id}/edit`)).statusCode, 403);
  t.equal((await viewer.post('/automation/emails', FORM)).statusCode, 403);
  t.equal((await viewer.post(`/automation/emails/${id}/delete`)).statusCode, 403);
});

t.test('the Automation tab links to the email pages', async (t) => {
  const { client } = await setUp(t);
  const tab = await client.get('/automation');
  t.equal(tab.statusCode, 200);
  t.match(tab.body, '<a href="/automation/emails">Email templates</a>');
  t.match(tab.body, '<a href="/automation/emails/outbox">Email outbox</a>');
});
