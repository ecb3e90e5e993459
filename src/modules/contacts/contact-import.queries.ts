// Hand-written SQL of CSV imports: the job's state changes (claimed, progress, done, failed) are
// single-row updates that must run on their own connection while the import's transaction is
// open (so the progress bar moves), the reported rows are written by COPY and read in keyset
// pages. Every statement takes the account id and filters by it. Functions that take a raw
// client (the import's own transaction) end in `On`; the others take the EntityManager.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

export interface ImportIds {
  importId: string;
  accountId: string;
}

/** Moves a queued import to running (a crashed run's `running` may be taken again); false when
 * it is not there or already finished. */
export async function claimImport(em: EntityManager, ids: ImportIds): Promise<boolean> {
  const rows = await em.getConnection().execute(
    `update contact_import set status = 'running', started_at = now(), processed = 0, error_message = null
     where id = ? and account_id = ? and status in ('queued', 'running') returning id`,
    [ids.importId, ids.accountId],
  );
  return rows.length === 1;
}

/** Rows read so far (and, once the whole file is read, the exact total), outside the transaction. */
export async function setProgress(em: EntityManager, ids: ImportIds, processed: number, total?: number): Promise<void> {
  await em.getConnection().execute(
    `update contact_import set processed = ?, total = coalesce(?, greatest(total, ?)) where id = ? and account_id = ? and status = 'running'`,
    [processed, total ?? null, processed, ids.importId, ids.accountId],
  );
}

export async function markFailed(em: EntityManager, ids: ImportIds, message: string): Promise<void> {
  await em.getConnection().execute(
    `update contact_import set status = 'failed', error_message = ?, finished_at = now() where id = ? and account_id = ?`,
    [message, ids.importId, ids.accountId],
  );
}

export interface ImportCounts {
  total: number;
  created: number;
  updated: number;
  skipped: number;
  invalid: number;
  badNumbers: number;
}

/** Inside the import's transaction: the import is done with these counts, or not at all. */
export async function markDoneOn(client: pg.Client, ids: ImportIds, counts: ImportCounts): Promise<void> {
  await client.query(
    `update contact_import set status = 'done', total = $3, processed = $3, created = $4, updated = $5, skipped = $6, invalid = $7,
       bad_numbers = $8, error_message = null, finished_at = now()
     where id = $1 and account_id = $2`,
    [ids.importId, ids.accountId, counts.total, counts.created, counts.updated, counts.skipped, counts.invalid, counts.badNumbers],
  );
}

/** Takes a transaction-scoped lock on the import: false when another run holds it. */
export async function lockImportOn(client: pg.Client, ids: ImportIds): Promise<boolean> {
  const result = await client.query<{ ok: boolean }>(`select pg_try_advisory_xact_lock(hashtextextended('contact_import:' || $1::text, 0)) as ok`, [ids.importId]);
  return result.rows[0].ok;
}

export const ERROR_COPY = 'copy contact_import_error (import_id, account_id, line, phone, reason) from stdin';

/** Writes reported rows given in COPY text format (import_id, account_id, line, phone, reason). */
export async function copyErrorsOn(client: pg.Client, source: Readable): Promise<void> {
  await pipeline(source, client.query(copyFrom(ERROR_COPY)));
}

/** Reports duplicates (lines whose phone a later line repeats). A line already reported (a number
 * kept as bad number) gets the duplicate reason appended. */
export async function insertDuplicatesOn(client: pg.Client, ids: ImportIds, duplicates: { line: number; keptLine: number; phone: string }[]): Promise<void> {
  for (let start = 0; start < duplicates.length; start += 50_000) {
    const batch = duplicates.slice(start, start + 50_000);
    await client.query(
      `insert into contact_import_error as e (import_id, account_id, line, phone, reason)
       select $1, $2, d.line, d.phone, 'Duplicate of line ' || d.kept_line || ' (the same phone number; the later line is imported).'
       from unnest($3::int[], $4::int[], $5::text[]) as d(line, kept_line, phone)
       on conflict (import_id, line) do update set reason = e.reason || ' ' || excluded.reason`,
      [ids.importId, ids.accountId, batch.map((d) => d.line), batch.map((d) => d.keptLine), batch.map((d) => d.phone)],
    );
  }
}

export interface ReportedRow {
  line: number;
  phone: string | null;
  reason: string;
}

/** One keyset page of an import's reported rows, in line order. */
export async function reportedRows(em: EntityManager, ids: ImportIds, afterLine: number, limit: number): Promise<ReportedRow[]> {
  return em.getConnection().execute(
    `select line, phone, reason from contact_import_error where import_id = ? and account_id = ? and line > ? order by line limit ?`,
    [ids.importId, ids.accountId, afterLine, limit],
  );
}

export async function countReportedRows(em: EntityManager, ids: ImportIds): Promise<number> {
  const rows = await em.getConnection().execute(`select count(*)::int as n from contact_import_error where import_id = ? and account_id = ?`, [ids.importId, ids.accountId]);
  return rows[0].n;
}
