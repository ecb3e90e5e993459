// CSV import through the pages, with the job run by a real Agenda scheduler: upload, the guessed
// mapping, update and skip modes, list membership, the report and its CSV, invalid numbers kept
// as bad numbers only when chosen, the progress fragment, and roles.
import t from 'tap';
import pino from 'pino';
import { buildTestApp, createTenant, addUser, signedIn, fieldError } from '../helper.js';
import { dataDir, importIdOf, selected, upload, waitForImport } from './helpers.js';
import { withAccount } from '../../src/db/tenant.js';
import { startScheduler } from '../../src/jobs.js';
import { Account } from '../../src/modules/accounts/account.entity.js';
import { Contact } from '../../src/modules/contacts/contact.entity.js';
import { ContactList } from '../../src/modules/contacts/contact-list.entity.js';
import { CustomField } from '../../src/modules/contacts/custom-field.entity.js';
import { ConsentEvent } from '../../src/modules/contacts/consent.entity.js';
import { ContactImport } from '../../src/modules/contacts/contact-import.entity.js';

t.test('an import creates, updates and dedupes contacts, adds them to a list, and reports the rest', async (t) => {
  const { app, orm, databaseUrl } = await buildTestApp(t, dataDir(t));
  const scheduler = await startScheduler({ orm, databaseUrl, processJobs: true, log: pino({ level: 'silent' }), sessionLimits: { idleSeconds: 3600, maxSeconds: 3600 }, publicUrl: 'http://localhost' });
  app.scheduler = scheduler;
  const { account, owner } = await createTenant(orm, 'Import Bakery');
  const em = withAccount(orm.em, account.id);
  await em.nativeUpdate(Account, { id: account.id }, { defaultCountry: 'FR' });
  const list = em.create(ContactList, { account, name: 'Newsletter' });
  em.create(CustomField, { account, key: 'tier', label: 'Tier', type: 'text' });
  em.create(Contact, { account, phone: '+33612345601', firstName: 'Old', email: 'old@example.com' });
  await em.flush();
  const client = await signedIn(app, owner);

  const csv = [
    'Mobile;E-mail;Prénom;Nom;Tier;Notes',
    '06 12 34 56 01;ann@example.com;Ann;Smith;gold;x',
    '+33612345602;bob@example.com;Bob;;silver;',
    '0612345603;;Cy;;;',
    '12;x@example.com;Bad;;;',
    '+33612345604;not-an-email;Dee;;;',
    '+33 6 12 34 56 02;bob2@example.com;Bobby;;;',
    '=HYPERLINK("x");;Eve;;;',
  ].join('\r\n');
  const uploaded = await upload(client, 'customers.csv', csv);
  t.equal(uploaded.statusCode, 303, 'the upload is stored');
  const id = importIdOf(uploaded.headers.location as string);

  const mapping = await client.get(`/contacts/imports/${id}`);
  t.equal(mapping.statusCode, 200);
  t.match(mapping.body, '<option value="semicolon" selected', 'the semicolon is detected');
  t.match(mapping.body, '<td>Ann</td>', 'the first rows are shown');
  t.equal(selected(mapping.body, 0), 'phone', 'Mobile is guessed as the phone');
  t.equal(selected(mapping.body, 1), 'email', 'E-mail is guessed as the email');
  t.equal(selected(mapping.body, 2), 'first_name', 'Prénom is guessed as the first name');
  t.equal(selected(mapping.body, 3), 'last_name');
  t.equal(selected(mapping.body, 4), 'tier', 'a custom field is guessed from its label');
  t.equal(selected(mapping.body, 5), null, 'an unknown header is ignored');

  const started = await client.post(`/contacts/imports/${id}/start`, { column_0: 'phone', column_1: 'email', column_2: 'first_name', column_3: 'last_name', column_4: 'tier', column_5: '', existing: 'update', list: list.id });
  t.equal(started.statusCode, 303);
  t.equal(started.headers.location, `/contacts/imports/${id}/progress`);
  const done = await waitForImport(orm, account.id, id);
  t.equal(done.status, 'done', done.errorMessage ?? '');
  t.match(done, { total: 7, created: 2, updated: 1, skipped: 1, invalid: 3, badNumbers: 0 });

  const report = await client.get(`/contacts/imports/${id}/progress`);
  t.equal(report.statusCode, 200);
  t.match(report.body, /data-count="created">2</);
  t.match(report.body, /data-count="updated">1</);
  t.match(report.body, /data-count="skipped">1</);
  t.match(report.body, /data-count="invalid">3</);
  t.match(report.body, 'Download the 4 reported rows');
  t.notMatch(report.body, 'hx-trigger', 'a finished import is not polled');

  const contacts = await em.fork().find(Contact, {}, { orderBy: { phone: 'asc' } });
  t.same(
    contacts.map((c) => [c.phone, c.firstName, c.email, c.fields]),
    [
      ['+33612345601', 'Ann', 'ann@example.com', { tier: 'gold' }],
      ['+33612345602', 'Bobby', 'bob2@example.com', {}],
      ['+33612345603', 'Cy', null, {}],
    ],
    'the national numbers are read in the default country; the later of two lines wins',
  );
  const members = await orm.em.getConnection().execute(`select count(*)::int as n from contact_list_member where list_id = ?`, [list.id]);
  t.equal(members[0].n, 3, 'every imported contact is in the list');

  const errors = await client.get(`/contacts/imports/${id}/errors.csv`);
  t.equal(errors.statusCode, 200);
  t.match(errors.headers['content-type'], 'text/csv');
  t.match(errors.headers['content-disposition'], 'attachment; filename="customers-report.csv"');
  const lines = errors.body.trim().split('\r\n');
  t.equal(lines[0], 'line,phone,reason');
  t.match(lines[1], /^3,\+33612345602,"Duplicate of line 7 \(the same phone number; the later line is imported\)\."$/, 'a duplicate, its E.164 phone written as data (a number, not a formula)');
  t.match(lines[2], /^5,12,"""12"" is not a valid phone number\."$/);
  t.match(lines[3], /^6,\+33612345604,"""not-an-email"" is not an email address\."$/);
  t.match(lines[4], /^8,"'=HYPERLINK\(""x""\)",/, 'a cell that a spreadsheet would run is escaped');
  t.equal(lines.length, 5);

  // The same file again, skipping existing phones: nothing changes, every valid row is skipped.
  const again = importIdOf((await upload(client, 'again.csv', 'phone,first_name\n+33612345601,Changed\n+33612345609,New\n')).headers.location as string);
  await client.post(`/contacts/imports/${again}/start`, { column_0: 'phone', column_1: 'first_name', existing: 'skip' });
  const skipped = await waitForImport(orm, account.id, again);
  t.match(skipped, { status: 'done', total: 2, created: 1, updated: 0, skipped: 1, invalid: 0 });
  t.equal((await em.fork().findOneOrFail(Contact, { phone: '+33612345601' })).firstName, 'Ann', 'skip leaves an existing contact alone');

  // An import opts contacts out, never back in, and records the consent change.
  const optOut = importIdOf((await upload(client, 'optout.csv', 'phone,sms\n+33612345603,no\n')).headers.location as string);
  await client.post(`/contacts/imports/${optOut}/start`, { column_0: 'phone', column_1: 'sms_opt_in', existing: 'update' });
  t.match(await waitForImport(orm, account.id, optOut), { status: 'done', updated: 1 });
  const cy = await em.fork().findOneOrFail(Contact, { phone: '+33612345603' });
  t.equal(cy.smsOptIn, false);
  const events = await em.fork().find(ConsentEvent, { contact: cy.id });
  t.same(events.map((e) => [e.optedIn, e.source, e.actor]), [[false, 'import', 'import:optout.csv']]);

  const list2 = await client.get('/contacts/imports');
  t.match(list2.body, 'customers.csv');
  t.match(list2.body, 'again.csv');
  await scheduler.stop();
});

t.test('invalid numbers are kept as contacts flagged bad number only when the user chooses so', async (t) => {
  const { app, orm } = await buildTestApp(t, dataDir(t));
  const { account, owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  const em = withAccount(orm.em, account.id);

  const first = importIdOf((await upload(client, 'a.csv', 'phone,name\n+33612345611,Ann\n12345,Bad\n')).headers.location as string);
  await client.post(`/contacts/imports/${first}/start`, { column_0: 'phone', column_1: 'first_name', existing: 'update' });
  t.match(await waitForImport(orm, account.id, first), { status: 'done', created: 1, invalid: 1, badNumbers: 0 });
  t.equal(await em.fork().count(Contact, { phone: '12345' }), 0, 'not kept by default');

  const second = importIdOf((await upload(client, 'b.csv', 'phone,name\n+33612345612,Ann\n12345,Bad\nabc,Worse\n,Nobody\n')).headers.location as string);
  await client.post(`/contacts/imports/${second}/start`, { column_0: 'phone', column_1: 'first_name', existing: 'update', keep_bad_numbers: '1' });
  t.match(await waitForImport(orm, account.id, second), { status: 'done', total: 4, created: 3, invalid: 1, badNumbers: 2 });
  const bad = await em.fork().findOneOrFail(Contact, { phone: '12345' });
  t.equal(bad.badNumber, true, 'kept with the bad-number flag');
  t.equal(bad.firstName, 'Bad');
  t.equal((await em.fork().findOneOrFail(Contact, { phone: '+33612345612' })).badNumber, false);
  const csv = (await client.get(`/contacts/imports/${second}/errors.csv`)).body;
  t.match(csv, /3,12345,.*Kept as a contact flagged ""bad number""/, 'a kept number is still reported');
  t.match(csv, /5,,The phone number is missing\./, 'a row without a number cannot be kept');
});

t.test('the progress fragment polls while the import runs and stops when it is done', async (t) => {
  const { app, orm } = await buildTestApp(t, dataDir(t));
  const { account, owner } = await createTenant(orm);
  const client = await signedIn(app, owner);
  const em = withAccount(orm.em, account.id);
  const running = em.create(ContactImport, {
    account, createdBy: owner.email, fileName: 'big.csv', filePath: '/nonexistent', fileSize: 10, delimiter: ',', header: ['phone'], preview: [], mapping: ['phone'],
    status: 'running', total: 100_000, processed: 40_000,
  });
  await em.flush();
  const fragment = await client.get(`/contacts/imports/${running.id}/progress`, { 'hx-request': 'true', 'hx-target': 'div#import-progress' });
  t.equal(fragment.statusCode, 200);
  t.notMatch(fragment.body, '<html', 'only the fragment');
  t.match(fragment.body, `hx-get="/contacts/imports/${running.id}/progress" hx-trigger="every 1s"`);
  t.match(fragment.body, '<progress value="40000" max="100000"');
  t.match(fragment.body, '40,000 of about 100,000 (40 %)');
  t.notMatch(fragment.body, 'noscript', 'no meta refresh in a fragment htmx swaps in');

  const page = await client.get(`/contacts/imports/${running.id}/progress`);
  t.match(page.body, '<html', 'a full page without htmx');
  t.match(page.body, 'id="import-progress"');
  t.match(page.body, '<noscript><meta http-equiv="refresh" content="2">', 'without JavaScript the page refreshes itself');

  await em.nativeUpdate(ContactImport, { id: running.id }, { processed: 100_000 });
  t.match((await client.get(`/contacts/imports/${running.id}/progress`, { 'hx-request': 'true', 'hx-target': 'div#import-progress' })).body, 'saving the contacts');
  await em.nativeUpdate(ContactImport, { id: running.id }, { status: 'failed', errorMessage: 'Line 3: a quoted value is never closed. Nothing was imported.' });
  const failed = await client.get(`/contacts/imports/${running.id}/progress`, { 'hx-request': 'true', 'hx-target': 'div#import-progress' });
  t.match(failed.body, 'Line 3: a quoted value is never closed');
  t.notMatch(failed.body, 'hx-trigger');
  t.equal((await client.get(`/contacts/imports/${running.id}`)).headers.location, `/contacts/imports/${running.id}/progress`, 'a started import has no mapping page');
});

t.test('a viewer sees imports but cannot upload or start one', async (t) => {
  const { app, orm } = await buildTestApp(t, dataDir(t));
  const { account, owner } = await createTenant(orm);
  const viewer = await addUser(orm, account, 'viewer');
  const ownerClient = await signedIn(app, owner);
  const id = importIdOf((await upload(ownerClient, 'a.csv', 'phone\n+33612345611\n')).headers.location as string);

  const client = await signedIn(app, viewer);
  const page = await client.get('/contacts/imports');
  t.equal(page.statusCode, 200);
  t.notMatch(page.body, 'enctype="multipart/form-data"', 'no upload form');
  t.equal((await upload(client, 'b.csv', 'phone\n+33612345612\n')).statusCode, 403);
  t.equal((await client.post(`/contacts/imports/${id}/start`, { column_0: 'phone', existing: 'update' })).statusCode, 403);
  t.equal((await client.post(`/contacts/imports/${id}/delimiter`, { delimiter: 'comma' })).statusCode, 403);
  t.equal(await withAccount(orm.em, account.id).count(ContactImport, {}), 1, 'only the owner upload exists');
  t.equal((await withAccount(orm.em, account.id).findOneOrFail(ContactImport, { id })).status, 'uploaded');
});

t.test('an owner creates a custom field for a column that matches none, from the mapping page, and keeps every other choice', async (t) => {
  const { app, orm } = await buildTestApp(t, dataDir(t));
  const { account, owner } = await createTenant(orm);
  const em = withAccount(orm.em, account.id);
  const list = em.create(ContactList, { account, name: 'Regulars' });
  await em.flush();
  const client = await signedIn(app, owner);
  const id = importIdOf((await upload(client, 'shop.csv', 'phone,Tier,Notes\n+33612345611,gold,x\n')).headers.location as string);
  const page = await client.get(`/contacts/imports/${id}`);
  t.match(page.body, /<summary>New custom field…<\/summary>[\s\S]*?id="new_label_1" name="new_label_1" maxlength="100" value="Tier"/, 'offered for the column that matches no field, named after it');
  t.notMatch(page.body, 'id="new_label_0"', 'not for the phone column, which has its field');

  const choices = { column_0: 'phone', column_1: '', column_2: '', existing: 'skip', list: list.id };
  // A name that is a built-in field's, or none: the page again with the reason at that column.
  const builtIn = await client.post(`/contacts/imports/${id}/fields?column=2`, { ...choices, new_label_2: 'Email', new_type_2: 'text' });
  t.equal(builtIn.statusCode, 422);
  t.match(builtIn.body, fieldError('new_label_2', '&quot;email&quot; is a built-in field.'));
  t.match(builtIn.body, /<details class="new-field" open>[\s\S]*?name="new_label_2" maxlength="100" value="Email"/, 'what was typed is kept, open');
  t.match(builtIn.body, /value="skip" checked/, 'the other choices are kept');
  t.equal(selected(builtIn.body, 0), 'phone');
  const unnamed = await client.post(`/contacts/imports/${id}/fields?column=1`, { ...choices, new_label_1: ' ', new_type_1: 'text' });
  t.equal(unnamed.statusCode, 422);
  t.match(unnamed.body, fieldError('new_label_1', 'Give the field a label of at most 100 characters.'));
  t.equal(await em.count(CustomField, {}), 0, 'no field created');

  const created = await client.post(`/contacts/imports/${id}/fields?column=1`, { ...choices, new_label_1: 'Tier', new_type_1: 'text' });
  t.equal(created.statusCode, 303);
  const field = await em.findOneOrFail(CustomField, { key: 'tier' });
  t.same([field.label, field.type], ['Tier', 'text']);
  t.match(created.headers.location, /\?field=tier#mapping-form$/, 'back at the mapping form');
  const after = await client.get(String(created.headers.location).split('#')[0]);
  t.match(after.body, 'Custom field “Tier” created, and chosen for the column “Tier”.');
  t.equal(selected(after.body, 1), 'tier', 'the column is mapped to the new field');
  t.equal(selected(after.body, 0), 'phone', 'the phone column kept');
  t.match(after.body, /value="skip" checked/, 'the mode kept');
  t.match(after.body, new RegExp(`<option value="${list.id}" selected>Regulars</option>`), 'the list kept');
  t.equal((await client.post(`/contacts/imports/${id}/fields?column=9`, { ...choices, new_label_9: 'Nine', new_type_9: 'text' })).statusCode, 404, 'a column the file does not have');

  const marketer = await signedIn(app, await addUser(orm, account, 'marketer'));
  t.notMatch((await marketer.get(`/contacts/imports/${id}`)).body, 'New custom field…', 'only owners define custom fields');
  t.equal((await marketer.post(`/contacts/imports/${id}/fields?column=2`, { ...choices, new_label_2: 'Notes', new_type_2: 'text' })).statusCode, 403);
});
