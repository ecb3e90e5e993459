// CSV contact import throughput: a generated file of N rows imported by the `contact-import` job
// code, end to end (read, parse, validate every row, COPY to staging, one set-based merge, report,
// commit), into an empty account.
//
// `npm run bench -- import [--rows 1000000] [--opt-in] [--existing update|skip] [--again] [--validation inline|workers]`
//
// A PostgreSQL of its own (the embedded server in .bench-data on port 5545, or DATABASE_URL's
// server when set) with a fresh, migrated database. The file is generated first (untimed), then
// uploaded through storeUpload (timed separately: UTF-8 check and copy to DATA_DIR), then the job
// runs and is timed. The file has a phone, email, first and last name column; --opt-in adds an
// SMS opt-in column (yes, and no for one row in ten), which makes every row a consent change to
// record. With --again the same file is imported a second time (every row an existing contact)
// and that run is measured instead. --validation says where rows are validated (by default the
// job chooses: worker threads for a file this large). The last line is
// `BENCH import rows=<n> rows_per_s=<int> rss_mb=<peak rss> seconds=<job seconds>`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { once } from 'node:events';
import pino from 'pino';
import type { MikroORM } from '@mikro-orm/postgresql';
import { openBenchDatabase } from './database.js';
import { withAccount } from '../src/db/tenant.js';
import { createAccount } from '../src/modules/accounts/accounts.service.js';
import { ContactImport } from '../src/modules/contacts/contact-import.entity.js';
import { storeUpload, createImport, queueImport } from '../src/modules/contacts/contact-import.service.js';
import { runContactImport } from '../src/modules/contacts/contact-import.jobs.js';
import { customFieldsOf } from '../src/modules/contacts/contacts.service.js';
import { positiveInteger } from './args.js';

function log(line: string) {
  process.stderr.write(`bench import: ${line}\n`);
}

async function generate(file: string, rows: number, optIn: boolean): Promise<void> {
  const out = fs.createWriteStream(file);
  out.write(`Phone,Email,First name,Last name${optIn ? ',SMS opt-in' : ''}\n`);
  let text = '';
  for (let i = 0; i < rows; i++) {
    const digits = String(600_000_000 + i);
    const phone = i % 3 === 0 ? `+33${digits}` : i % 3 === 1 ? `0${digits}` : `+33 ${digits[0]} ${digits.slice(1, 3)} ${digits.slice(3, 5)} ${digits.slice(5, 7)} ${digits.slice(7)}`;
    text += `${phone},user${i}@example.com,First${i % 997},Last${i % 4999}${optIn ? (i % 10 === 0 ? ',no' : ',yes') : ''}\n`;
    if (text.length > 1 << 20) {
      if (!out.write(text)) await once(out, 'drain');
      text = '';
    }
  }
  out.end(text);
  await once(out, 'finish');
}

async function importOnce(orm: MikroORM, accountId: string, source: string, dataDir: string, existing: 'update' | 'skip', validation: 'inline' | 'workers' | undefined) {
  const em = withAccount(orm.em, accountId);
  const account = await em.findOneOrFail('Account', { id: accountId });
  const id = crypto.randomUUID();
  const filePath = path.join(dataDir, 'imports', `${id}.csv`);
  const uploadStart = performance.now();
  const stored = await storeUpload(fs.createReadStream(source, { highWaterMark: 256 * 1024 }), filePath, Number.MAX_SAFE_INTEGER);
  const uploadSeconds = (performance.now() - uploadStart) / 1000;
  const contactImport = await createImport(em, { id, account: account as never, userEmail: 'bench@example.com', fileName: 'bench.csv', filePath, upload: stored, customFields: await customFieldsOf(em) });
  await queueImport(em, contactImport, { mapping: contactImport.mapping!, existing, listId: null, keepBadNumbers: false });
  log(`upload: ${(stored.bytes / 1e6).toFixed(1)} MB stored in ${uploadSeconds.toFixed(2)} s; mapping ${JSON.stringify(contactImport.mapping)}`);
  const started = performance.now();
  await runContactImport(orm, { importId: id, accountId }, { log: pino({ level: 'info' }, pino.destination(2)), validation });
  const seconds = (performance.now() - started) / 1000;
  const result = await withAccount(orm.em, accountId).findOneOrFail(ContactImport, { id });
  return { result, seconds };
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { rows: { type: 'string' }, existing: { type: 'string' }, again: { type: 'boolean' }, 'opt-in': { type: 'boolean' }, validation: { type: 'string' } }, strict: true });
  const rows = positiveInteger('rows', values.rows, 1_000_000);
  const existing = (values.existing ?? 'update') as 'update' | 'skip';
  if (existing !== 'update' && existing !== 'skip') throw new Error(`--existing must be update or skip, got "${values.existing}"`);
  const validation = values.validation as 'inline' | 'workers' | undefined;
  if (validation !== undefined && validation !== 'inline' && validation !== 'workers') throw new Error(`--validation must be inline or workers, got "${values.validation}"`);

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'textcast-bench-import-'));
  const source = path.join(workDir, 'contacts.csv');
  log(`generating ${rows.toLocaleString('en')} rows`);
  await generate(source, rows, values['opt-in'] ?? false);
  const db = await openBenchDatabase(log);
  const orm = db.orm;
  try {
    const em = orm.em.fork();
    const account = createAccount(em, { name: 'Bench', timeZone: 'Europe/Paris' });
    account.defaultCountry = 'FR';
    await em.flush();

    let { result, seconds } = await importOnce(orm, account.id, source, workDir, existing, validation);
    if (values.again) {
      log(`first import: ${JSON.stringify({ status: result.status, created: result.created, seconds })}; importing the same file again`);
      ({ result, seconds } = await importOnce(orm, account.id, source, workDir, existing, validation));
    }
    if (result.status !== 'done') throw new Error(`the import ${result.status}: ${result.errorMessage}`);
    const imported = result.created + result.updated + result.skipped;
    log(`done: total ${result.total}, created ${result.created}, updated ${result.updated}, skipped ${result.skipped}, invalid ${result.invalid} in ${seconds.toFixed(2)} s`);
    if (result.total !== rows || imported !== rows) throw new Error(`expected ${rows} rows imported, got total ${result.total} and ${imported} imported`);
    const rssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    process.stdout.write(`BENCH import rows=${rows} rows_per_s=${Math.round(rows / seconds)} rss_mb=${rssMb} seconds=${seconds.toFixed(1)}\n`);
  } finally {
    await db.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
