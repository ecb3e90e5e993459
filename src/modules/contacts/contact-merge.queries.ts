// Set-based upsert of many contacts at once, shared by CSV import (rows arrive by COPY) and the
// API (up to 1,000 rows as JSON). Rows are first validated in JavaScript and written to a
// temporary staging table; one statement then merges them into `contact`, records consent
// events for every opt-in change, honours suppressed (erased, opted-out) numbers and adds the
// contacts to a list. Hand-written SQL: one INSERT ... SELECT ... ON CONFLICT for a million rows
// instead of a million ORM entities. Every statement is scoped by the account id parameter.
// Every function takes the raw client of the caller's transaction (the staging table lives and
// dies with it), so every name ends in `On`.
import type pg from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';

/** One validated row. `line` identifies it in reports (CSV line number or API index). */
export interface StagedContact {
  line: number;
  phone: string;
  country: string | null;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  fields: Record<string, unknown> | null;
  /** null: not given (new contacts count as opted in; existing keep their state). */
  sms_opt_in: boolean | null;
  bad_number: boolean;
  /** The zone (contacts/time-zones.ts): 'set' when the row chose it, 'number' when derived. */
  time_zone: string | null;
  time_zone_source: 'number' | 'set';
}

export const STAGE_COLUMNS = ['line', 'phone', 'country', 'email', 'first_name', 'last_name', 'fields', 'sms_opt_in', 'bad_number', 'time_zone', 'time_zone_source'] as const;

export interface MergeOptions {
  accountId: string;
  /** Existing phones: update their mapped fields, or leave them as they are. */
  existing: 'update' | 'skip';
  /** Add every contact of the rows (new and existing) to this list. */
  listId?: string | null;
  /** Whether a row may opt an opted-out contact back in (the API may; imports may not). */
  allowOptIn: boolean;
  /** Consent source and actor recorded for opt-in changes. */
  source: 'import' | 'api';
  actor: string;
}

export interface MergeResult {
  created: number;
  updated: number;
  /** Existing contacts left unchanged (skip mode). */
  skipped: number;
  /** Lines that repeat a phone of a later line (the last one wins). */
  duplicates: { line: number; keptLine: number; phone: string }[];
}

export async function createStageOn(client: pg.Client): Promise<void> {
  await client.query(`create temporary table contact_stage (
    line int not null, phone text not null, country text, email text, first_name text, last_name text,
    fields jsonb, sms_opt_in boolean, bad_number boolean not null default false, time_zone text, time_zone_source text not null default 'number'
  ) on commit drop`);
}

/** Room for the merge's sorts and hashes of a million rows without spilling to disk, for the
 * rest of the transaction. */
export async function raiseWorkMemOn(client: pg.Client): Promise<void> {
  await client.query(`set local work_mem = '128MB'`);
}

/** Stages rows given as COPY text (STAGE_COLUMNS, tab-separated): write to the stream, end it. */
export function copyStageOn(client: pg.Client): CopyStreamQuery {
  return client.query(copyFrom(`copy contact_stage (${STAGE_COLUMNS.join(', ')}) from stdin`));
}

/** Statistics of the staged rows, so the merge is planned for their number. */
export async function analyzeStageOn(client: pg.Client): Promise<void> {
  await client.query('analyze contact_stage');
}

/** Stages rows given as JSON (the API's at most 1,000 rows). */
export async function stageRowsOn(client: pg.Client, rows: StagedContact[]): Promise<void> {
  await client.query(
    `insert into contact_stage select * from jsonb_to_recordset($1::jsonb) as x(line int, phone text, country text, email text, first_name text, last_name text, fields jsonb, sms_opt_in boolean, bad_number boolean, time_zone text, time_zone_source text)`,
    [JSON.stringify(rows)],
  );
}

export async function mergeStagedOn(client: pg.Client, options: MergeOptions): Promise<MergeResult> {
  const duplicates = await client.query<{ line: number; kept_line: number; phone: string }>(
    `select line, kept_line, phone from (
       select line, phone, last_value(line) over (partition by phone order by line rows between unbounded preceding and unbounded following) as kept_line
       from contact_stage) d
     where line <> kept_line order by line`,
  );

  const update = options.existing === 'update';
  const optInRule = options.allowOptIn
    ? `coalesce(excluded.sms_opt_in, c.sms_opt_in)`
    : // An import can opt a contact out, never back in.
      `case when c.sms_opt_in = false then false else coalesce(excluded.sms_opt_in, c.sms_opt_in) end`;

  // One statement: every CTE sees the table as it was before, so `before` holds the old opt-in.
  // Only the counts come back: a million per-row results would cost seconds and memory for nothing.
  const merged = await client.query<{ created: string; updated: string; skipped: string }>(
    `with src as (
       select distinct on (phone) * from contact_stage order by phone, line desc
     ),
     before as (
       select c.id, c.phone, c.sms_opt_in from contact c join src s on s.phone = c.phone where c.account_id = $1
     ),
     suppressed as (
       select s.phone from src s join suppression x
         on x.account_id = $1 and x.phone_hash = encode(sha256(convert_to($1::text || ':' || s.phone, 'UTF8')), 'hex')
     ),
     ins as (
       insert into contact as c (account_id, phone, country, email, first_name, last_name, fields, sms_opt_in, opt_out_source, opted_out_at, bad_number, time_zone, time_zone_source)
       select $1, s.phone, s.country, s.email, s.first_name, s.last_name, coalesce(jsonb_strip_nulls(s.fields), '{}'),
              case when x.phone is not null then false else s.sms_opt_in end,
              case when x.phone is not null then 'suppressed' when s.sms_opt_in = false then $3::text end,
              case when x.phone is not null or s.sms_opt_in = false then now() end,
              s.bad_number, s.time_zone, s.time_zone_source
       from src s left join suppressed x on x.phone = s.phone
       on conflict (account_id, phone) do ${
         update
           ? `update set
               email = coalesce(excluded.email, c.email),
               first_name = coalesce(excluded.first_name, c.first_name),
               last_name = coalesce(excluded.last_name, c.last_name),
               country = coalesce(excluded.country, c.country),
               fields = c.fields || excluded.fields,
               bad_number = excluded.bad_number,
               -- A zone chosen by hand stays unless the row chooses one itself.
               time_zone = case when excluded.time_zone_source = 'set' or c.time_zone_source is distinct from 'set' then excluded.time_zone else c.time_zone end,
               time_zone_source = case when excluded.time_zone_source = 'set' or c.time_zone_source is distinct from 'set' then excluded.time_zone_source else c.time_zone_source end,
               sms_opt_in = ${optInRule},
               opt_out_source = case when (${optInRule}) is distinct from c.sms_opt_in
                 then case when (${optInRule}) = false then $3::text end else c.opt_out_source end,
               opted_out_at = case when (${optInRule}) is distinct from c.sms_opt_in
                 then case when (${optInRule}) = false then now() end else c.opted_out_at end,
               updated_at = now()`
           : 'nothing'
       }
       returning c.id, c.phone, c.sms_opt_in, (xmax = 0) as created
     ),
     touched as (
       select i.id, i.phone, i.created, i.sms_opt_in, b.sms_opt_in as old_opt_in, true as changed from ins i left join before b on b.phone = i.phone
       union all
       select b.id, b.phone, false, b.sms_opt_in, b.sms_opt_in, false from before b where not exists (select 1 from ins i where i.phone = b.phone)
     ),
     consent as (
       insert into consent_event (account_id, contact_id, phone_hash, opted_in, source, actor)
       select $1, t.id, encode(sha256(convert_to($1::text || ':' || t.phone, 'UTF8')), 'hex'), coalesce(t.sms_opt_in, true),
              case when t.sms_opt_in = false and t.created and exists (select 1 from suppressed x where x.phone = t.phone) then 'suppressed' else $3::text end, $4::text
       from touched t
       where t.changed and ((t.created and t.sms_opt_in is not null) or (not t.created and t.sms_opt_in is distinct from t.old_opt_in))
     ),
     listed as (
       insert into contact_list_member (list_id, contact_id, account_id)
       select $2::uuid, t.id, $1 from touched t where $2::uuid is not null
       on conflict do nothing
     )
     select count(*) filter (where t.created) as created,
            count(*) filter (where not t.created and t.changed) as updated,
            count(*) filter (where not t.changed) as skipped
     from touched t`,
    [options.accountId, options.listId ?? null, options.source, options.actor],
  );

  const counts = merged.rows[0];
  return {
    created: Number(counts.created),
    updated: Number(counts.updated),
    skipped: Number(counts.skipped),
    duplicates: duplicates.rows.map((d) => ({ line: d.line, keptLine: d.kept_line, phone: d.phone })),
  };
}
