// CSV import, bad input: each problem gets a clear message and nothing is half-imported (a refused
// upload stores nothing; a failed import changes no contact). Runs the import in process (the
// app has no scheduler here).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { buildTestApp, createTenant, signedIn, type Client } from '../helper.js';
import { importIdOf, upload as uploadFile, waitForImport } from './helpers.js';
import { runHousekeeping } from '../../src/jobs.js';
import { withAccount } from '../../src/db/tenant.js';
import { Contact } from '../../src/modules/contacts/contact.entity.js';
import { ContactList } from '../../src/modules/contacts/contact-list.entity.js';
import { ContactImport } from '../../src/modules/contacts/contact-import.entity.js';

const upload = (client: Client, content: Buffer | string | null, fields?: Record<string, string>) => uploadFile(client, 'contacts.csv', content, fields);

/** The app on a data directory of its own, an owner signed in. */
async function setup(t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-import-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const { app, orm } = await buildTestApp(t, { DATA_DIR: dataDir, ...env });
  const tenant = await createTenant(orm);
  const client = await signedIn(app, tenant.owner);
  const em = withAccount(orm.em, tenant.account.id);
  const stored = () => (fs.existsSync(path.join(dataDir, 'imports')) ? fs.readdirSync(path.join(dataDir, 'imports')) : []);
  const imports = () => em.fork().count(ContactImport, {});
  const contacts = () => em.fork().count(Contact, {});
  return { app, orm, client, em, ...tenant, stored, imports, contacts };
}

const rows = (n: number, start = 0) => Array.from({ length: n }, (_, i) => `+336123450${String(start + i).padStart(2, '0')},Name ${i}`);

t.test('refused uploads say why and store nothing', async (t) => {
  const { client, stored, imports } = await setup(t);
  const cases: [string, Buffer | string, RegExp][] = [
    ['an empty file', '', /The file is empty\./],
    ['blank lines only', '\n \r\n\n', /The file is empty\./],
    ['only a header', 'phone,first_name\r\n', /The file has a header line but no contacts below it\./],
    ['a header and blank lines', 'phone,first_name\n\n\n', /The file has a header line but no contacts below it\./],
    ['Latin-1 text', Buffer.concat([Buffer.from('phone,first_name\n+33612345601,Ann\n+33612345602,'), Buffer.from([0x48, 0xe9, 0x6c, 0xe8, 0x6e, 0x65]), Buffer.from('\n')]), /The file is not UTF-8 text: line 3 has a character in another encoding/],
    ['UTF-16', Buffer.from('\ufeffphone\n+33612345601\n', 'utf16le'), /not UTF-8 text|not a text file/],
    ['a binary file', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00]), /This is not a text file \(line 1 contains a NUL byte\)/],
    ['an unreadable header', '"phone,first_name\n+33612345601,Ann\n', /The header line cannot be read\. Line 1: a quoted value is never closed/],
    ['30,000 columns', `phone${',x'.repeat(29_999)}\n+33612345601${','.repeat(29_999)}\n`, /The header line has 30,000 columns; an import takes at most 250\. Remove the columns you do not need, or check the separator\./],
  ];
  for (const [what, content, message] of cases) {
    const response = await upload(client, content);
    t.equal(response.statusCode, 422, `${what}: 422`);
    t.match(response.body, message, `${what}: says why`);
    t.match(response.body, 'role="alert"', `${what}: as an alert on the upload form`);
  }
  const none = await upload(client, null);
  t.equal(none.statusCode, 422);
  t.match(none.body, 'Choose a CSV file to upload.');
  const noToken = await upload(client, 'phone\n+33612345601\n', {});
  t.equal(noToken.statusCode, 403, 'an upload without its CSRF token is refused before the file is stored');
  t.same(stored(), [], 'no file was kept');
  t.equal(await imports(), 0, 'no import was recorded');
});

t.test('the size limit: declared too large, or found too large while streaming', async (t) => {
  const { client, stored, imports } = await setup(t, { IMPORT_MAX_MB: '1' });
  const line = '+33612345601,' + 'x'.repeat(86) + '\n';
  const big = 'phone,notes\n' + line.repeat(Math.ceil((3 * 1024 * 1024) / line.length));
  const declared = await upload(client, big);
  t.equal(declared.statusCode, 413, 'a 3 MB upload is refused from its Content-Length');
  t.match(declared.body, 'The file is larger than 1 MB, the largest import accepted here.');
  t.equal(declared.headers.connection, 'close', 'the rest of the upload is not read');

  const slightly = 'phone,notes\n' + line.repeat(Math.ceil((1024 * 1024 + 50 * 1024) / line.length));
  const streamed = await upload(client, slightly);
  t.equal(streamed.statusCode, 413, 'a file just over the limit is cut by the parser and refused');
  t.match(streamed.body, 'The file is larger than 1 MB');

  const fits = await upload(client, 'phone,notes\n' + line.repeat(Math.floor((1000 * 1024) / line.length)));
  t.equal(fits.statusCode, 303, 'a file under the limit is taken');
  t.equal(stored().length, 1, 'only the accepted file is stored');
  t.equal(await imports(), 1);
});

t.test('the mapping is refused with field errors, and nothing starts', async (t) => {
  const { app, orm, client, em, contacts } = await setup(t);
  const other = await createTenant(orm, 'Other account');
  const foreign = withAccount(orm.em, other.account.id).create(ContactList, { account: other.account, name: 'Theirs' });
  await withAccount(orm.em, other.account.id).flush();
  const id = importIdOf((await upload(client, 'phone,email,first_name\n+33612345601,ann@example.com,Ann\n')).headers.location);
  const start = (form: Record<string, string>) => client.post(`/contacts/imports/${id}/start`, { existing: 'update', ...form });

  const unknown = await start({ column_0: 'phone', column_1: 'password_hash' });
  t.equal(unknown.statusCode, 422);
  t.match(unknown.body, '&quot;password_hash&quot; is not a field of your contacts.');
  t.match(unknown.body, /name="column_1" aria-label="[^"]*" aria-invalid="true"/, 'on the column');

  const twice = await start({ column_0: 'phone', column_1: 'email', column_2: 'email' });
  t.equal(twice.statusCode, 422);
  t.match(twice.body, 'Email is chosen for &quot;email&quot; and &quot;first_name&quot;: choose it for one column only.');
  t.equal(twice.body.match(/aria-invalid="true"/g)?.length, 2, 'both columns are marked');
  t.match(twice.body, /<select name="column_2"[^>]*>[\s\S]*?<option value="email" selected/, 'the choices are kept');

  const phoneless = await start({ column_1: 'email' });
  t.equal(phoneless.statusCode, 422);
  t.match(phoneless.body, 'Choose which column holds the phone numbers (Phone): it is required.');

  const theirList = await start({ column_0: 'phone', list: foreign.id });
  t.equal(theirList.statusCode, 422, "another account's list is a field error, not a 404");
  t.match(theirList.body, 'Choose one of your lists (or none).');
  t.notMatch(theirList.body, 'Theirs');
  const badList = await start({ column_0: 'phone', list: 'not-a-uuid' });
  t.equal(badList.statusCode, 422);
  t.match(badList.body, 'Choose one of your lists (or none).');

  const badMode = await start({ column_0: 'phone', existing: 'merge' });
  t.equal(badMode.statusCode, 422);
  t.match(badMode.body, 'Choose whether existing contacts are updated or skipped.');

  t.equal((await em.fork().findOneOrFail(ContactImport, { id })).status, 'uploaded', 'still waiting for its mapping');
  t.equal(await contacts(), 0);

  const ok = await start({ column_0: 'phone', column_1: 'email' });
  t.equal(ok.statusCode, 303);
  const again = await start({ column_0: 'phone' });
  t.equal(again.statusCode, 303, 'a second start (double click) only leads to the progress page');
  t.equal(again.headers.location, `/contacts/imports/${id}/progress`);
  t.match(await waitForImport(orm, (await em.fork().findOneOrFail(ContactImport, { id }, { populate: ['account'] })).account.id, id), { status: 'done', created: 1 });
  void app;
});

t.test('a malformed file fails as a whole, with the line, and imports nothing', async (t) => {
  const { orm, client, account, contacts, stored } = await setup(t);
  // 40,000 good rows first (over 1 MB: past what the upload reads for its preview), so the
  // problem is found by the job, after thousands of rows were already staged.
  const good = Array.from({ length: 60_000 }, (_, i) => `+3361${String(2_000_000 + i)},Name ${i}`);
  const file = (bad: string) => ['phone,first_name', ...good, bad, '+33612345678,After'].join('\n') + '\n';
  const failures: [string, string, RegExp][] = [
    ['an unclosed quote', file('+33612345699,"Ann'), /^Line 60002: a quoted value is never closed \(an unbalanced " quote\)\. Nothing was imported\.$/],
    ['a row with a column too many', file('+33612345699,Ann,extra'), /^Line 60002 has 3 values but the header has 2 columns: check the separator and the quotes on that line\. Nothing was imported\.$/],
    ['a row of 70,000 characters', file(`+33612345699,"${'x'.repeat(70_000)}"`), /^Line 60002: the row is longer than 65,536 characters, most likely because a " quote is never closed\. Nothing was imported\.$/],
  ];
  for (const [what, csv, message] of failures) {
    const id = importIdOf((await upload(client, csv)).headers.location);
    const mapping = await client.get(`/contacts/imports/${id}`);
    t.notMatch(mapping.body, 'role="alert"', `${what}: the first rows look fine`);
    t.equal((await client.post(`/contacts/imports/${id}/start`, { column_0: 'phone', column_1: 'first_name', existing: 'update' })).statusCode, 303);
    const failed = await waitForImport(orm, account.id, id);
    t.equal(failed.status, 'failed', `${what}: the import failed`);
    t.match(failed.errorMessage, message, `${what}: says where and why`);
    t.equal(await contacts(), 0, `${what}: not one contact was imported, not even the good rows before the problem`);
    const errorRows = await orm.em.getConnection().execute('select count(*)::int as n from contact_import_error where import_id = ?', [id]);
    t.equal(errorRows[0].n, 0, `${what}: no report rows either`);
    const page = await client.get(`/contacts/imports/${id}/progress`);
    t.match(page.body, 'Nothing was imported.');
  }
  t.same(stored(), [], 'the files are removed once the import has ended');
});

t.test('a problem in a small file is found at upload: it shows on the mapping page and blocks the start', async (t) => {
  const { client, em } = await setup(t);
  const id = importIdOf((await upload(client, ['phone,first_name', ...rows(7), '+33612345699,"Ann', '+33612345698,Bob'].join('\n'))).headers.location);
  const mapping = await client.get(`/contacts/imports/${id}`);
  t.match(mapping.body, 'Line 9: a quoted value is never closed');
  const start = await client.post(`/contacts/imports/${id}/start`, { column_0: 'phone', existing: 'update' });
  t.equal(start.statusCode, 422);
  t.match(start.body, 'Line 9: a quoted value is never closed');
  t.equal((await em.fork().findOneOrFail(ContactImport, { id })).status, 'uploaded');
});

t.test('a problem in the first rows shows on the mapping page and blocks the start', async (t) => {
  const { client, em } = await setup(t);
  const id = importIdOf((await upload(client, 'phone,first_name\n+33612345601,"Ann\n+33612345602,Bob\n')).headers.location);
  const mapping = await client.get(`/contacts/imports/${id}`);
  t.match(mapping.body, 'Line 2: a quoted value is never closed');
  const start = await client.post(`/contacts/imports/${id}/start`, { column_0: 'phone', existing: 'update' });
  t.equal(start.statusCode, 422);
  t.match(start.body, 'Line 2: a quoted value is never closed');
  t.equal((await em.fork().findOneOrFail(ContactImport, { id })).status, 'uploaded');
});

t.test('the separator is detected, and can be changed on the mapping page', async (t) => {
  const { client, em } = await setup(t);
  const detect = async (csv: string) => {
    const id = importIdOf((await upload(client, csv)).headers.location);
    return { id, found: await em.fork().findOneOrFail(ContactImport, { id }) };
  };
  t.equal((await detect('phone;first_name;notes\n+33612345601;Ann;"a, b"\n')).found.delimiter, ';');
  t.equal((await detect('phone\tfirst_name\n+33612345601\tAnn\n')).found.delimiter, '\t');
  t.equal((await detect('phone|first_name\n+33612345601|Ann\n')).found.delimiter, '|');
  t.equal((await detect('phone\n+33612345601\n')).found.delimiter, ',', 'a single column');

  // Rows separated differently from the header: the separator is likely wrong.
  const mixed = await detect('phone,first_name\n+33612345601;Ann\n');
  const page = await client.get(`/contacts/imports/${mixed.id}`);
  t.match(page.body, 'Line 2 has 1 value but the header has 2 columns: check the separator.');
  t.equal((await client.post(`/contacts/imports/${mixed.id}/start`, { column_0: 'phone', existing: 'update' })).statusCode, 422);

  // The wrong separator chosen by hand: one column, a hint, and no phone column.
  const { id } = await detect('phone;first_name\n+33612345601;Ann\n');
  t.equal((await client.post(`/contacts/imports/${id}/delimiter`, { delimiter: 'comma' })).statusCode, 303);
  const single = await client.get(`/contacts/imports/${id}`);
  t.match(single.body, 'Only one column was found. The header contains another separator: try “Semicolon ( ; )”.');
  t.match(single.body, '<option value="comma" selected');
  t.equal((await client.post(`/contacts/imports/${id}/delimiter`, { delimiter: 'colon' })).statusCode, 422, 'an unknown separator is refused');
  t.equal((await client.post(`/contacts/imports/${id}/delimiter`, { delimiter: 'semicolon' })).statusCode, 303);
  const back = await client.get(`/contacts/imports/${id}`);
  t.match(back.body, /<select name="column_1"[^>]*>[\s\S]*?<option value="first_name" selected/, 'the header is read again and the mapping guessed again');
});

t.test('values too long for a field are reported per row; the other rows are imported', async (t) => {
  const { orm, client, account, em } = await setup(t);
  const csv = ['phone,first_name,email', '+33612345601,Ann,ann@example.com', `+33612345602,${'B'.repeat(150)},bob@example.com`, `+33612345603,Cy,${'c'.repeat(250)}@example.com`, `${'6'.repeat(40)},Dee,`].join('\n');
  const id = importIdOf((await upload(client, csv)).headers.location);
  await client.post(`/contacts/imports/${id}/start`, { column_0: 'phone', column_1: 'first_name', column_2: 'email', existing: 'update', keep_bad_numbers: '1' });
  t.match(await waitForImport(orm, account.id, id), { status: 'done', total: 4, created: 1, invalid: 3, badNumbers: 0 });
  const report = (await client.get(`/contacts/imports/${id}/errors.csv`)).body;
  t.match(report, '3,+33612345602,The first name can have at most 100 characters.', 'an E.164 number is data: no apostrophe');
  t.match(report, '4,+33612345603,The email can have at most 254 characters.');
  t.match(report, /5,6{40},The phone number is too long\./, 'a number too long to store is not kept, even when bad numbers are');
  t.equal(await em.fork().count(Contact, {}), 1);
});

t.test('an upload that is never started is deleted after a day, and its page says why', async (t) => {
  const { client, orm, account, stored } = await setup(t);
  const uploaded = await upload(client, 'phone\n+33612345601\n');
  const id = importIdOf(uploaded.headers.location);
  t.equal(stored().length, 1);
  await orm.em.getConnection().execute(`update contact_import set created_at = now() - interval '25 hours' where id = ?`, [id]);
  await runHousekeeping(orm, { idleSeconds: 3600, maxSeconds: 3600 });
  t.same(stored(), [], 'the file is gone');
  const found = await withAccount(orm.em, account.id).findOneOrFail(ContactImport, { id });
  t.equal(found.status, 'failed');
  const page = await client.get(`/contacts/imports/${id}`);
  t.equal(page.statusCode, 303, 'the mapping page sends on to the report');
  t.match((await client.get(page.headers.location as string)).body, 'The file was not imported within 24 hours of its upload');
});
