// CSV export of a list, a segment or every contact: content, formula escaping, streaming of
// 20,000 rows in chunks over a real socket, an abandoned download releasing its connection, roles,
// and other accounts' ids.
import http from 'node:http';
import t from 'tap';
import pg from 'pg';
import { parse } from 'csv-parse/sync';
import { withAccount } from '../../src/db/tenant.js';
import { withClient } from '../../src/db/raw-client.js';
import { seedDemoContacts } from '../../src/db/demo-seed.js';
import { csvCell } from '../../src/modules/contacts/csv-cell.js';
import { Segment } from '../../src/modules/contacts/segment.entity.js';
import { ContactList } from '../../src/modules/contacts/contact-list.entity.js';
import { addUser, buildTestApp, createTenant, eventually, signedIn } from '../helper.js';

t.test('cells are escaped against formula injection and quoted as CSV wants', async (t) => {
  t.equal(csvCell('=HYPERLINK("http://evil","x")'), `"'=HYPERLINK(""http://evil"",""x"")"`);
  t.equal(csvCell('+SUM(A1)'), `'+SUM(A1)`);
  t.equal(csvCell('-2+3'), `'-2+3`);
  t.equal(csvCell('@cmd'), `'@cmd`);
  t.equal(csvCell('\tTAB'), `"'\tTAB"`);
  t.equal(csvCell('Ann;=1+2'), '"Ann;=1+2"', 'a spreadsheet splitting on semicolons keeps it one cell');
  t.equal(csvCell('Ann\t=1+2'), '"Ann\t=1+2"', 'or on tabs');
  t.equal(csvCell('+33612345678'), '+33612345678', 'an E.164 number is a number, not a formula');
  t.equal(csvCell('-12.5'), '-12.5', 'so is a negative amount');
  t.equal(csvCell('a, b'), '"a, b"');
  t.equal(csvCell('line\nbreak'), '"line\nbreak"');
  t.equal(csvCell(' padded'), '" padded"');
  t.equal(csvCell(null), '');
  t.equal(csvCell('Zoë'), 'Zoë');
});

t.test('exporting a list, a segment and every contact', async (t) => {
  const { app, orm } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm, 'Export Co');
  const other = await createTenant(orm, 'Other Co');
  const em = withAccount(orm.em, account.id);
  const list = em.create(ContactList, { account: account.id, name: 'Évènement 2026' });
  const segment = em.create(Segment, { account: account.id, name: 'Opted-out French', rules: { combinator: 'and', conditions: [{ field: 'country', operator: 'equals', value: 'FR' }, { field: 'sms_opt_in', operator: 'is_false' }] } });
  await em.flush();
  await withClient(em, async (client) => {
    await client.query(`insert into custom_field (id, account_id, key, label, type, created_at) values (gen_random_uuid(), $1, 'points', 'Points', 'number', now()), (gen_random_uuid(), $1, 'vip', 'VIP', 'boolean', now()), (gen_random_uuid(), $1, 'note', 'Note', 'text', now())`, [account.id]);
    const rows = [
      ['+33612345601', 'FR', 'ann@example.com', '=HYPERLINK("http://evil.example","click")', '+SUM(1)', { points: -5, vip: true, note: '@admin, "quoted"' }, null, null],
      ['+33612345602', 'FR', null, 'Bob', '-2+3', { points: 12.5, vip: false }, false, 'stop_keyword'],
      ['+4915112345678', 'DE', 'clara@example.de', 'Clara', 'Zoë', {}, true, null],
    ];
    for (const [phone, country, email, first, last, fields, optIn, source] of rows) {
      const { rows: inserted } = await client.query(
        `insert into contact (account_id, phone, country, email, first_name, last_name, fields, sms_opt_in, opt_out_source) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id`,
        [account.id, phone, country, email, first, last, JSON.stringify(fields), optIn, source],
      );
      if (phone !== '+4915112345678') await client.query(`insert into contact_list_member (list_id, contact_id, account_id) values ($1, $2, $3)`, [list.id, inserted[0].id, account.id]);
    }
    await client.query(`insert into contact (account_id, phone, country, first_name) values ($1, '+33612345601', 'FR', 'Not mine')`, [other.account.id]);
  });
  const client = await signedIn(app, owner);

  const fromList = await client.get(`/contacts/export?list=${list.id}`);
  t.equal(fromList.statusCode, 200);
  t.match(fromList.headers['content-type'], /^text\/csv; charset=utf-8/);
  t.match(fromList.headers['content-disposition'], /^attachment; filename="list-evenement-2026-\d{4}-\d{2}-\d{2}\.csv"$/);
  const lines = fromList.body.split('\r\n');
  t.equal(lines[0], 'phone,email,first_name,last_name,country,sms_opt_in,opt_out_source,note,points,vip', 'the header, custom fields by label');
  t.equal(lines[1], `+33612345601,ann@example.com,"'=HYPERLINK(""http://evil.example"",""click"")",'+SUM(1),FR,,,"'@admin, ""quoted""",-5,yes`);
  t.equal(lines[2], `+33612345602,,Bob,'-2+3,FR,no,stop_keyword,,12.5,no`);
  t.equal(lines.length, 4, 'two members and the final line break');
  const parsed = parse(fromList.body, { columns: true }) as Record<string, string>[];
  t.equal(parsed[0].first_name, `'=HYPERLINK("http://evil.example","click")`, 'a CSV reader sees the escaped text');
  t.notMatch(fromList.body, /Not mine/, "another account's contacts never appear");

  const fromSegment = await client.get(`/contacts/export?segment=${segment.id}`);
  t.equal(fromSegment.statusCode, 200);
  t.match(fromSegment.headers['content-disposition'], /filename="segment-opted-out-french-/);
  t.same((parse(fromSegment.body, { columns: true }) as { phone: string }[]).map((r) => r.phone), ['+33612345602']);

  const everyone = await client.get('/contacts/export');
  t.equal((parse(everyone.body, { columns: true }) as unknown[]).length, 3, 'no list or segment: every contact');

  t.equal((await client.get(`/contacts/export?list=${list.id}&segment=${segment.id}`)).statusCode, 400);
  t.equal((await client.get('/contacts/export?list=nope')).statusCode, 404);
  t.equal((await client.get('/contacts/export?segment=00000000-0000-4000-8000-000000000000')).statusCode, 404);

  // Another account's list and segment are "not found"; a viewer may not export at all.
  const theirs = withAccount(orm.em, other.account.id);
  const theirList = theirs.create(ContactList, { account: other.account.id, name: 'Theirs' });
  const theirSegment = theirs.create(Segment, { account: other.account.id, name: 'Theirs', rules: { combinator: 'and', conditions: [] } });
  await theirs.flush();
  t.equal((await client.get(`/contacts/export?list=${theirList.id}`)).statusCode, 404);
  t.equal((await client.get(`/contacts/export?segment=${theirSegment.id}`)).statusCode, 404);
  const viewer = await signedIn(app, await addUser(orm, account, 'viewer'));
  const refused = await viewer.get(`/contacts/export?list=${list.id}`);
  t.equal(refused.statusCode, 403);
  t.match(refused.body, /only marketers and owners can export/);
  const marketer = await signedIn(app, await addUser(orm, account, 'marketer'));
  t.equal((await marketer.get(`/contacts/export?list=${list.id}`)).statusCode, 200);

  // A segment whose rules no longer compile says why.
  await withClient(em, (c) => c.query(`delete from custom_field where account_id = $1 and key = 'points'`, [account.id]));
  const broken = em.create(Segment, { account: account.id, name: 'Big spenders', rules: { combinator: 'and', conditions: [{ field: 'field:points', operator: 'greater_than', value: '10' }] } });
  await em.flush();
  const unfixed = await client.get(`/contacts/export?segment=${broken.id}`);
  t.equal(unfixed.statusCode, 422);
  t.match(unfixed.body, /cannot be exported until its rules are fixed[\s\S]*no custom field &quot;points&quot;/);
});

t.test('20,000 contacts stream out in chunks, and an abandoned download frees its connection', async (t) => {
  const { app, orm, databaseUrl } = await buildTestApp(t);
  const { account, owner } = await createTenant(orm, 'Stream Co');
  const em = withAccount(orm.em, account.id);
  await withClient(em, (client) => seedDemoContacts(client, { accountId: account.id, contacts: 20_000 }));
  const client = await signedIn(app, owner);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  // node:http without keep-alive, so "abandoning" really closes the socket, as a browser does.
  const download = (onResponse: (response: http.IncomingMessage, request: http.ClientRequest) => void) => {
    const request = http.get(`${base}/contacts/export`, { headers: { cookie: client.cookieHeader }, agent: false }, (response) => onResponse(response, request));
    request.on('error', () => {});
  };

  const { response, chunks, text } = await new Promise<{ response: http.IncomingMessage; chunks: number; text: string }>((resolve, reject) =>
    download((response) => {
      let chunks = 0;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        chunks++;
        text += chunk;
      });
      response.on('end', () => resolve({ response, chunks, text }));
      response.on('error', reject);
    }),
  );
  t.equal(response.statusCode, 200);
  t.equal(response.headers['content-length'], undefined, 'no length known in advance: streamed');
  t.equal(response.headers['transfer-encoding'], 'chunked');
  const rows = parse(text, { columns: true }) as Record<string, string>[];
  t.equal(rows.length, 20_000, 'every contact');
  t.ok(chunks >= 10, `arrived in ${chunks} chunks`);
  t.equal(new Set(rows.map((r) => r.phone)).size, 20_000);
  t.ok(rows.every((r) => /^\+\d{8,15}$/.test(r.phone)), 'phone numbers as they are');
  t.same(Object.keys(rows[0]), ['phone', 'email', 'first_name', 'last_name', 'country', 'sms_opt_in', 'opt_out_source', 'birthday', 'points', 'tier']);

  // Abandoned after the first chunk: the cursor's transaction ends and the connection returns.
  // Watched from a connection of its own (a pooled one could be the very connection left open).
  const watcher = new pg.Client({ connectionString: databaseUrl });
  await watcher.connect();
  t.teardown(() => watcher.end());
  const inTransaction = async () =>
    Number((await watcher.query(`select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend' and xact_start is not null`)).rows[0].count);
  await new Promise<void>((resolve) =>
    download((response, request) => {
      response.once('data', () => {
        request.destroy();
        resolve();
      });
    }),
  );
  const open = await eventually('the cursor transaction to end', inTransaction, { until: (n) => n === 0, timeoutMs: 10_000 }); // was 50 tries 100 ms apart
  t.equal(open, 0, 'the cursor transaction ended');
  const again = await client.get('/contacts/export?segment=00000000-0000-4000-8000-000000000000');
  t.equal(again.statusCode, 404, 'the app still answers');
});
