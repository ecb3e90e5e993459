// The `contact-import` job: reads the stored CSV with csv-parse, validates every row in
// JavaScript with the same rules as the forms and the API (contact-import.rows.ts, in worker
// threads for a large file), streams the valid rows into a temporary staging table by COPY and
// the reported rows into contact_import_error, then merges the staging table into the contacts
// with one set-based statement (mergeStagedOn). All of it happens in ONE transaction: an import
// finishes with its report or changes nothing, even if the process dies half-way. Progress is
// written on another connection every PROGRESS_EVERY rows so the page can poll it meanwhile.
import fs from 'node:fs';
import os from 'node:os';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CsvError } from 'csv-parse';
import type { MikroORM, EntityManager } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import { withAccount } from '../../db/tenant.js';
import { inTransaction } from '../../db/raw-client.js';
import { ContactImport } from './contact-import.entity.js';
import { customFieldsOf } from './contacts.service.js';
import { BUILT_IN_FIELDS } from './fields.js';
import type { RowBatch, RowRules, ValidatedBatch } from './contact-import.rows.js';
import { WORKERS_FROM_BYTES, importThreads, inlineValidation, workerValidation } from './contact-import.validation.js';
import { analyzeStageOn, copyStageOn, createStageOn, mergeStagedOn, raiseWorkMemOn } from './contact-merge.queries.js';
import { LineParser, parserOptions, describeCsvError, copyText, CsvProblem, type Delimiter } from './contact-import.csv.js';
import { claimImport, setProgress, markFailed, markDoneOn, lockImportOn, copyErrorsOn, insertDuplicatesOn, type ImportIds, type ImportCounts } from './contact-import.queries.js';

export type ContactImportJobData = ImportIds;

const PROGRESS_EVERY = 20_000;
/** The scheduler's lock is touched this often while the import runs, the merge included. */
const TOUCH_EVERY_MS = 10_000;
/** Rows sent to a worker thread at a time, and batches awaiting validation per thread. */
const BATCH_ROWS = 2_000;
const BATCHES_AHEAD = 4;
/** Copy text that may wait in the stream while PostgreSQL reads, before parsing pauses. */
const COPY_AHEAD = 4 * 1024 * 1024;
/** Reported rows beyond this many characters wait in a file rather than in memory. */
const ERRORS_IN_MEMORY = 4 * 1024 * 1024;
const READ_CHUNK = 256 * 1024;

/** A failure the user can act on; its message is shown as is. */
export class ImportFailure extends Error {}
class AlreadyRunning extends Error {}

export interface JobHooks {
  /** Extends the scheduler's lock on the job (Agenda's job.touch). */
  touch?: () => Promise<void>;
  log?: Pick<FastifyBaseLogger, 'error' | 'info'>;
  /** Where rows are validated; by default in worker threads from WORKERS_FROM_BYTES on. */
  validation?: 'inline' | 'workers';
}

export async function runContactImport(orm: MikroORM, ids: ContactImportJobData, hooks: JobHooks = {}): Promise<void> {
  const em = withAccount(orm.em, ids.accountId);
  if (!(await claimImport(em, ids))) return;
  const contactImport = await em.findOne(ContactImport, { id: ids.importId }, { populate: ['account'] });
  if (!contactImport) return;
  const started = Date.now();
  const touching = hooks.touch
    ? setInterval(() => hooks.touch!().catch((error) => hooks.log?.error({ err: error }, 'touching the import job failed')), TOUCH_EVERY_MS)
    : null;
  try {
    const counts = await importFile(orm, em, contactImport, ids, hooks);
    hooks.log?.info({ importId: ids.importId, ...counts, ms: Date.now() - started }, 'contact import done');
  } catch (error) {
    if (error instanceof AlreadyRunning) return;
    const known = error instanceof ImportFailure || error instanceof CsvProblem;
    if (!known) hooks.log?.error({ err: error, importId: ids.importId }, 'contact import failed');
    const message = known
      ? `${(error as Error).message} Nothing was imported.`
      : `The import stopped because of an error on our side (reference: import ${ids.importId}). Nothing was imported; try again later.`;
    await markFailed(em, ids, message);
  } finally {
    if (touching) clearInterval(touching);
  }
  // The file held personal data only to be imported: it goes either way.
  fs.rmSync(contactImport.filePath, { force: true });
}

/** Reported rows as COPY text: in memory while small, then spilled to a file beside the upload. */
class ReportedRows {
  private pieces: string[] = [];
  private size = 0;
  private file: fs.WriteStream | null = null;
  count = 0;

  constructor(
    private readonly path: string,
    private readonly ids: ImportIds,
  ) {}

  add(line: number, phone: string | null, reason: string): void {
    const text = `${this.ids.importId}\t${this.ids.accountId}\t${line}\t${copyText(phone === null ? null : phone.slice(0, 100))}\t${copyText(reason)}\n`;
    this.pieces.push(text);
    this.size += text.length;
    this.count++;
  }

  async spillIfLarge(): Promise<void> {
    if (this.size < ERRORS_IN_MEMORY) return;
    this.file ??= fs.createWriteStream(this.path, { mode: 0o600 });
    const text = this.pieces.join('');
    this.pieces = [];
    this.size = 0;
    if (!this.file.write(text)) await once(this.file, 'drain');
  }

  async copyTo(client: Parameters<typeof copyErrorsOn>[0]): Promise<void> {
    if (!this.count) return;
    const file = this.file;
    if (file) {
      file.end();
      await finished(file);
    }
    const path = this.path;
    const rest = this.pieces.join('');
    await copyErrorsOn(
      client,
      Readable.from(
        (async function* () {
          if (file) yield* fs.createReadStream(path);
          if (rest) yield rest;
        })(),
      ),
    );
  }

  cleanup(): void {
    this.file?.destroy();
    fs.rmSync(this.path, { force: true });
  }
}

/** Progress on its own connection, at most one update in flight. */
class Progress {
  private lastRows = 0;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly em: EntityManager,
    private readonly ids: ImportIds,
    private readonly hooks: JobHooks,
  ) {}

  report(rows: number): void {
    if (rows - this.lastRows < PROGRESS_EVERY || this.inFlight) return;
    this.lastRows = rows;
    this.inFlight = setProgress(this.em, this.ids, rows)
      .catch((error) => this.hooks.log?.error({ err: error }, 'import progress update failed'))
      .finally(() => (this.inFlight = null));
  }

  async final(rows: number): Promise<void> {
    await this.inFlight;
    await setProgress(this.em, this.ids, rows, rows);
  }

  async settle(): Promise<void> {
    await this.inFlight;
  }
}

async function importFile(orm: MikroORM, em: EntityManager, contactImport: ContactImport, ids: ImportIds, hooks: JobHooks): Promise<ImportCounts> {
  const customFields = await customFieldsOf(em);
  const mapping = contactImport.mapping ?? [];
  const builtIn = new Set<string>(BUILT_IN_FIELDS.map((f) => f.key));
  for (const key of mapping) {
    if (key && !builtIn.has(key) && !customFields.has(key)) throw new ImportFailure(`The custom field "${key}" was deleted after the columns were mapped.`);
  }
  if (!mapping.includes('phone')) throw new ImportFailure('No column is mapped to the phone number.');
  if (!fs.existsSync(contactImport.filePath)) throw new ImportFailure('The uploaded file is no longer there; upload it again.');

  const rules: RowRules = {
    mapping,
    // Plain values: the rules travel to the worker threads.
    customFields: new Map([...customFields].map(([key, field]) => [key, { type: field.type, label: field.label }])),
    defaultCountry: contactImport.account.defaultCountry ?? null,
    keepBadNumbers: contactImport.keepBadNumbers,
  };
  const inWorkers = hooks.validation ? hooks.validation === 'workers' : os.availableParallelism() > 1 && fs.statSync(contactImport.filePath).size >= WORKERS_FROM_BYTES;
  const threads = importThreads();
  const headerLength = contactImport.header.length;
  const progress = new Progress(withAccount(orm.em, ids.accountId), ids, hooks);
  const reported = new ReportedRows(contactImport.filePath + '.errors', ids);
  const validation = inWorkers ? workerValidation(rules, threads) : inlineValidation(rules);

  try {
    const begun = Date.now();
    return await inTransaction(em, async (client) => {
      if (!(await lockImportOn(client, ids))) throw new AlreadyRunning();
      await raiseWorkMemOn(client);
      await createStageOn(client);
      const copy = copyStageOn(client);
      const copied = finished(copy);
      copied.catch(() => {});

      let rows = 0;
      let invalid = 0;
      let badNumbers = 0;
      let header = true;
      let lastLine = 0;
      // Batches handed to validation, oldest first: their rows are staged in file order.
      const validating: Promise<ValidatedBatch>[] = [];
      let batch: RowBatch = { records: [], lines: [] };
      const submit = () => {
        if (!batch.records.length) return;
        const answer = validation.validate(batch);
        answer.catch(() => {}); // awaited in turn; a failure must not go unhandled meanwhile
        validating.push(answer);
        batch = { records: [], lines: [] };
      };
      const parser = new LineParser(parserOptions(contactImport.delimiter as Delimiter, true), (record, line) => {
        if (header) {
          header = false;
          if (record.length !== headerLength) throw new ImportFailure('The header line of the file changed since it was mapped.');
        } else {
          rows++;
          batch.records.push(record);
          batch.lines.push(line);
          if (batch.records.length >= BATCH_ROWS) submit();
        }
        lastLine = line;
      });

      /** Stages the oldest validated batches, until at most `keep` are waiting. */
      const stage = async (keep: number) => {
        while (validating.length > keep) {
          const done = await validating.shift()!;
          invalid += done.invalid;
          badNumbers += done.badNumbers;
          for (const [line, phone, reason] of done.reported) reported.add(line, phone, reason);
          // Let a few megabytes wait in the stream, so parsing goes on while PostgreSQL reads.
          if (done.stage && !copy.write(done.stage) && copy.writableLength > COPY_AHEAD) await once(copy, 'drain');
        }
      };
      try {
        for await (const chunk of fs.createReadStream(contactImport.filePath, { highWaterMark: READ_CHUNK })) {
          await parser.feed(chunk as Buffer);
          await stage(inWorkers ? threads * BATCHES_AHEAD : 0);
          await reported.spillIfLarge();
          progress.report(rows);
        }
        await parser.feed(null);
        submit();
        await stage(0);
        copy.end();
        await copied;
      } catch (error) {
        // End the COPY with CopyFail, or the connection would wait for it forever (and the
        // rollback behind it).
        if (!copy.writableFinished) {
          copy.destroy(error as Error);
          await copied.catch(() => {});
        }
        if (error instanceof CsvError) throw describeCsvError(error, lastLine + 1, headerLength);
        throw error;
      }
      if (rows === 0) throw new ImportFailure('The file has no rows below its header.');
      await progress.final(rows);
      const staged = Date.now();

      await analyzeStageOn(client);
      await reported.copyTo(client);
      const merged = await mergeStagedOn(client, {
        accountId: ids.accountId,
        existing: contactImport.existing,
        listId: contactImport.list?.id ?? null,
        allowOptIn: false,
        source: 'import',
        actor: `import:${contactImport.fileName}`,
      });
      const mergedAt = Date.now();
      await insertDuplicatesOn(client, ids, merged.duplicates);
      const counts: ImportCounts = {
        total: rows,
        created: merged.created,
        updated: merged.updated,
        skipped: merged.skipped + merged.duplicates.length,
        invalid,
        badNumbers,
      };
      await progress.settle();
      await markDoneOn(client, ids, counts);
      hooks.log?.info({ importId: ids.importId, readAndStageMs: staged - begun, mergeMs: mergedAt - staged, reportMs: Date.now() - mergedAt }, 'contact import phases');
      return counts;
    });
  } finally {
    reported.cleanup();
    await validation.close();
  }
}
