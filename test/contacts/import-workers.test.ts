// A large import validates its rows in worker threads; the result must be the one the import's
// own thread gives: the same contacts, counts and reported rows, in file order.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import t from 'tap';
import type { MikroORM } from '@mikro-orm/postgresql';
import { buildTestApp, createTenant } from '../helper.js';
import { withAccount } from '../../src/db/tenant.js';
import { Account } from '../../src/modules/accounts/account.entity.js';
import { CustomField } from '../../src/modules/contacts/custom-field.entity.js';
import { ContactImport } from '../../src/modules/contacts/contact-import.entity.js';
import { storeUpload, createImport, queueImport } from '../../src/modules/contacts/contact-import.service.js';
import { runContactImport } from '../../src/modules/contacts/contact-import.jobs.js';
import { customFieldsOf } from '../../src/modules/contacts/contacts.service.js';

const ROWS = 6_000;

/** Every kind of row an import meets, spread over many batches. */
function csv(): string {
  const lines = ['Phone;Email;First name;Last name;Points'];
  for (let i = 0; i < ROWS; i++) {
    const digits = String(612_000_000 + i);
    const phone = [`+33${digits}`, `0${digits}`, `+33 ${digits.slice(0, 1)} ${digits.slice(1, 3)} ${digits.slice(3, 5)} ${digits.slice(5, 7)} ${digits.slice(7)}`, 'not a number', `+1 415 555 ${String(1000 + (i % 9000)).padStart(4, '0')}`][i % 5];
    const email = i % 97 === 0 ? 'not-an-email' : `user${i}@example.com`;
    const points = i % 89 === 0 ? 'many' : String(i % 50);
    lines.push(`${i % 131 === 0 ? `0${String(612_000_000 + i - 1)}` : phone};${email};Ann ${i};O"Neil\t${i};${points}`);
  }
  return lines.join('\n') + '\n';
}

async function importWith(orm: MikroORM, file: string, validation: 'inline' | 'workers') {
  const { account } = await createTenant(orm);
  const em = withAccount(orm.em, account.id);
  await em.nativeUpdate(Account, { id: account.id }, { defaultCountry: 'FR' });
  em.create(CustomField, { account, key: 'points', label: 'Points', type: 'number' });
  await em.flush();
  const id = crypto.randomUUID();
  const filePath = path.join(path.dirname(file), `${id}.csv`);
  const stored = await storeUpload(fs.createReadStream(file), filePath, Number.MAX_SAFE_INTEGER);
  const fresh = await em.fork().findOneOrFail(Account, { id: account.id });
  const contactImport = await createImport(em, { id, account: fresh, userEmail: 'test@example.com', fileName: 'big.csv', filePath, upload: stored, customFields: await customFieldsOf(em) });
  await queueImport(em, contactImport, { mapping: contactImport.mapping!, existing: 'update', listId: null, keepBadNumbers: false });
  await runContactImport(orm, { importId: id, accountId: account.id }, { validation });
  const result = await em.fork().findOneOrFail(ContactImport, { id });
  const sql = orm.em.getConnection();
  const contacts = await sql.execute(`select phone, country, email, first_name, last_name, fields, sms_opt_in, bad_number from contact where account_id = ? order by phone`, [account.id]);
  const reported = await sql.execute(`select line, phone, reason from contact_import_error where import_id = ? order by line`, [id]);
  return { result, contacts, reported };
}

t.test('rows validated in worker threads give what the import thread gives', async (t) => {
  const { orm } = await buildTestApp(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-import-workers-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'big.csv');
  fs.writeFileSync(file, csv());

  const inline = await importWith(orm, file, 'inline');
  const workers = await importWith(orm, file, 'workers');
  t.equal(workers.result.status, 'done', workers.result.errorMessage ?? '');
  t.match(inline.result, { status: 'done', total: ROWS });
  const counts = (r: ContactImport) => [r.total, r.created, r.updated, r.skipped, r.invalid, r.badNumbers];
  t.same(counts(workers.result), counts(inline.result), 'the same counts');
  t.ok(inline.result.invalid > 1000 && inline.result.skipped > 10, 'the file has invalid and duplicate rows');
  t.equal(workers.contacts.length, inline.contacts.length);
  t.same(workers.contacts, inline.contacts, 'the same contacts, values and countries');
  t.same(workers.reported, inline.reported, 'the same reported rows, in file order');
});
