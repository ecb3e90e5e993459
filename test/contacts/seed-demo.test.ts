// Demo contacts: valid mobile numbers of several countries, opt-outs with their evidence, custom
// field values of the right types, list members; a second run adds more without collisions; the
// `seed-demo` command prints the account id last.
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import t from 'tap';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { withAccount } from '../../src/db/tenant.js';
import { withClient } from '../../src/db/raw-client.js';
import { seedDemoContacts, DEMO_COUNTRIES } from '../../src/db/demo-seed.js';
import { normalisePhone } from '../../src/phone.js';
import { parseFieldValue } from '../../src/modules/contacts/fields.js';
import { buildTestApp, createTenant } from '../helper.js';

t.test('seeding demo contacts, twice', async (t) => {
  const { orm } = await buildTestApp(t);
  const { account } = await createTenant(orm, 'Demo Shop');
  const other = await createTenant(orm, 'Another Shop');
  const em = withAccount(orm.em, account.id);
  // A field with a demo key but another type is left alone.
  await withClient(em, (c) => c.query(`insert into custom_field (id, account_id, key, label, type, created_at) values (gen_random_uuid(), $1, 'points', 'Points', 'text', now())`, [account.id]));

  const first = await withClient(em, (client) => seedDemoContacts(client, { accountId: account.id, contacts: 2_000, batchSize: 700 }));
  t.equal(first.requested, 2_000);
  t.equal(first.created, 2_000);
  t.same(first.fields, ['tier', 'birthday'], 'points already exists as text: not filled');
  t.same(first.lists.map((l) => l.name), ['VIP customers', 'Newsletter', 'Spring promotion']);
  t.ok(first.lists.every((l) => l.added > 0), 'every list has members');
  t.equal(Object.keys(first.byCountry).length, DEMO_COUNTRIES.length, 'eight countries');

  const second = await withClient(em, (client) => seedDemoContacts(client, { accountId: account.id, contacts: 1_500 }));
  t.equal(second.created, 1_500, 'a second run adds more, without phone collisions');
  const again = await withClient(em, (client) => seedDemoContacts(client, { accountId: other.account.id, contacts: 100 }));
  t.equal(again.created, 100, 'another account gets its own');

  const rows = await withClient(em, async (client) =>
    (await client.query(`select phone, country, email, first_name, last_name, fields, sms_opt_in, opt_out_source, opted_out_at, created_at from contact where account_id = $1`, [account.id])).rows,
  );
  t.equal(rows.length, 3_500);
  let invalid = 0;
  let notMobile = 0;
  for (const row of rows) {
    const parsed = normalisePhone(row.phone);
    if (!parsed.ok || parsed.e164 !== row.phone || parsed.country !== row.country) invalid++;
    const type = parsePhoneNumberFromString(row.phone)?.getType();
    if (type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') notMobile++;
  }
  t.equal(invalid, 0, 'every number is valid E.164 of its country');
  t.equal(notMobile, 0, 'and a mobile number');
  t.equal(new Set(rows.map((r) => r.phone)).size, rows.length);
  const byCountry = new Map<string, number>();
  for (const row of rows) byCountry.set(row.country, (byCountry.get(row.country) ?? 0) + 1);
  t.ok([...byCountry.values()].every((n) => n > 50), 'several countries, each well represented');
  t.ok(rows.every((r) => r.first_name && r.last_name), 'names');
  t.ok(rows.filter((r) => r.email).every((r) => /^[a-z.]+\d*@example\.(com|net|org)$/.test(r.email)), 'emails at example domains');
  const optedOut = rows.filter((r) => r.sms_opt_in === false);
  t.ok(optedOut.length > 50 && optedOut.length < 350, `some opted out (${optedOut.length})`);
  t.ok(optedOut.every((r) => ['stop_keyword', 'unsubscribe_link', 'manual'].includes(r.opt_out_source) && new Date(r.opted_out_at) >= new Date(r.created_at)), 'with a source and a time');
  const times = rows.map((r) => new Date(r.created_at).getTime());
  t.ok(Math.max(...times) - Math.min(...times) > 300 * 86_400_000, 'created over about a year');
  t.ok(rows.every((r) => parseFieldValue('text', r.fields.tier).ok && parseFieldValue('date', r.fields.birthday).ok), 'field values of the right types');
  t.ok(rows.every((r) => r.fields.birthday === undefined || /^\d{4}-\d{2}-\d{2}$/.test(r.fields.birthday)), 'dates in canonical form');
  t.ok(rows.every((r) => r.fields.points === undefined), 'nothing written to a field of another type');

  const consent = await withClient(em, async (client) => (await client.query(`select count(*)::int as n from consent_event where account_id = $1 and opted_in = false`, [account.id])).rows[0].n);
  t.equal(consent, optedOut.length, 'a consent event for every opt-out');
});

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      env: { PATH: process.env.PATH!, HOME: os.tmpdir(), DATA_DIR: path.join(os.tmpdir(), 'textcast-seed-test'), LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('npm run cli -- seed-demo', async (t) => {
  const { orm, databaseUrl } = await buildTestApp(t);
  const bad = await cli(['seed-demo', '--contacts', 'lots'], { DATABASE_URL: databaseUrl });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^textcast: --contacts must be a whole number/);
  const none = await cli(['seed-demo'], { DATABASE_URL: databaseUrl });
  t.equal(none.code, 2, 'no account yet');
  t.match(none.stderr, /there is no account yet/);

  const { account } = await createTenant(orm, 'First Account');
  await createTenant(orm, 'Second Account');
  const run = await cli(['seed-demo', '--contacts', '250'], { DATABASE_URL: databaseUrl });
  t.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  t.match(lines[0], /^created 250 demo contacts in [\d.]+ s \(FR \d+, /);
  t.equal(lines[lines.length - 1].split(' ').pop(), account.id, 'the first account, its id as the last word');
  const count = await withClient(withAccount(orm.em, account.id), async (c) => (await c.query(`select count(*)::int as n from contact where account_id = $1`, [account.id])).rows[0].n);
  t.equal(count, 250);
});
