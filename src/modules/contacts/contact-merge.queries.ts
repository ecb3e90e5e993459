// Set-based upsert of many contacts at once, shared by CSV import (rows arrive by COPY) and the
// API (up to 1,000 rows as JSON). Rows are first validated in JavaScript and written to a
// temporary staging table; a few set-based statements then merge them into `contact` (see
// mergeStagedOn), record consent events for every opt-in change, honour suppressed (erased,
// opted-out) numbers and add the contacts to a list. Hand-written SQL: a million rows in a few
// statements instead of a million ORM entities. Every statement is scoped by the account id parameter.
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
  /** The zone (contacts/time-zones.ts): 'set' when the row chose it, 'number' when derived (an
   * existing contact's set zone stays), 'reset' when derived and replacing a set zone (the API's
   * explicit null). */
  time_zone: string | null;
  time_zone_source: 'number' | 'set' | 'reset';
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

/** The zone source a staged row leaves on its contact ('reset' is a derived zone). */
const STORED_SOURCE = `case s.time_zone_source when 'reset' then 'number' else s.time_zone_source end`;

/** A phone's hash as suppression keeps it (see phoneHash in phone.ts), of `phone` in account $1. */
const PHONE_HASH = (phone: string) => `encode(sha256(convert_to($1::text || ':' || ${phone}, 'UTF8')), 'hex')`;

/**
 * Merges the staged rows into the account's contacts, in a few statements on the caller's
 * transaction (all or nothing with it):
 * 1. `contact_src`: the last line of each phone, with the account's contact of that phone (its id
 *    and opt-in as they were) and whether the number is suppressed. One sort of the staged rows.
 * 2. New phones: a plain INSERT, no conflict handling (which costs every row a speculative
 *    insertion). Should another transaction create one of these phones meanwhile, the unique
 *    index refuses the statement: it is undone to a savepoint, those phones are resolved again
 *    as existing contacts, and the INSERT runs again for the others.
 * 3. Existing phones: an UPDATE of the contacts whose values change, none of the others.
 * Consent events and list membership go with the statements that make them.
 */
export async function mergeStagedOn(client: pg.Client, options: MergeOptions): Promise<MergeResult> {
  const params = [options.accountId, options.listId ?? null, options.source, options.actor];
  const anySuppressed = (await client.query(`select exists (select 1 from suppression where account_id = $1) as any`, [options.accountId])).rows[0].any as boolean;
  const src = await client.query(
    `create temporary table contact_src on commit drop as
     select s.line, s.phone, s.country, s.email, s.first_name, s.last_name, coalesce(jsonb_strip_nulls(s.fields), '{}') as fields,
            s.sms_opt_in, s.bad_number, s.time_zone, s.time_zone_source, c.id as contact_id, c.sms_opt_in as old_opt_in,
            ${anySuppressed ? `exists (select 1 from suppression x where x.account_id = $1 and x.phone_hash = ${PHONE_HASH('s.phone')})` : 'false'} as suppressed
     from (select distinct on (phone) * from contact_stage order by phone, line desc) s
     left join contact c on c.account_id = $1 and c.phone = s.phone`,
    [options.accountId],
  );
  await client.query('analyze contact_src');
  const staged = Number((await client.query<{ n: string }>('select count(*) as n from contact_stage')).rows[0].n);
  const duplicates =
    staged === src.rowCount
      ? { rows: [] }
      : await client.query<{ line: number; kept_line: number; phone: string }>(
          `select s.line, k.line as kept_line, s.phone from contact_stage s join contact_src k on k.phone = s.phone where s.line <> k.line order by s.line`,
        );

  const created = await insertNewOn(client, options, params);

  const existing = Number((await client.query<{ n: string }>('select count(*) as n from contact_src where contact_id is not null')).rows[0].n);
  if (existing && options.existing === 'update') {
    // An import can opt a contact out, never back in; the API can opt back in.
    const given = `(case when s.suppressed then false else s.sms_opt_in end)`;
    const optIn = options.allowOptIn ? `coalesce(${given}, c.sms_opt_in)` : `case when c.sms_opt_in = false then false else coalesce(${given}, c.sms_opt_in) end`;
    const values = {
      email: 'coalesce(s.email, c.email)',
      first_name: 'coalesce(s.first_name, c.first_name)',
      last_name: 'coalesce(s.last_name, c.last_name)',
      country: 'coalesce(s.country, c.country)',
      fields: 'c.fields || s.fields',
      bad_number: 's.bad_number',
      sms_opt_in: optIn,
      // A zone chosen by hand stays unless the row chooses one itself or asks for the number's.
      time_zone: `case when s.time_zone_source <> 'number' or c.time_zone_source is distinct from 'set' then s.time_zone else c.time_zone end`,
      time_zone_source: `case when s.time_zone_source <> 'number' or c.time_zone_source is distinct from 'set' then ${STORED_SOURCE} else c.time_zone_source end`,
    };
    const columns = Object.keys(values);
    await client.query(
      `with upd as (
         update contact c set ${columns.map((column) => `${column} = ${values[column as keyof typeof values]}`).join(', ')},
           opt_out_source = case when (${optIn}) is distinct from c.sms_opt_in then case when (${optIn}) = false then $2::text end else c.opt_out_source end,
           opted_out_at = case when (${optIn}) is distinct from c.sms_opt_in then case when (${optIn}) = false then now() end else c.opted_out_at end,
           updated_at = now()
         from contact_src s
         where s.contact_id is not null and c.id = s.contact_id and c.account_id = $1
           and (${Object.values(values).join(', ')}) is distinct from (${columns.map((column) => `c.${column}`).join(', ')})
         returning c.id, c.phone, c.sms_opt_in, s.old_opt_in
       )
       insert into consent_event (account_id, contact_id, phone_hash, opted_in, source, actor)
       select $1, u.id, ${PHONE_HASH('u.phone')}, coalesce(u.sms_opt_in, true), $2::text, $3::text
       from upd u where u.sms_opt_in is distinct from u.old_opt_in`,
      [options.accountId, options.source, options.actor],
    );
  }
  if (existing && options.listId) {
    await client.query(
      `insert into contact_list_member (list_id, contact_id, account_id)
       select $2::uuid, s.contact_id, $1 from contact_src s where s.contact_id is not null
       on conflict do nothing`,
      params.slice(0, 2),
    );
  }

  return {
    created,
    updated: options.existing === 'update' ? existing : 0,
    skipped: options.existing === 'skip' ? existing : 0,
    duplicates: duplicates.rows.map((d) => ({ line: d.line, keptLine: d.kept_line, phone: d.phone })),
  };
}

/** Inserts the new phones of contact_src (step 2 above); answers how many were created. */
async function insertNewOn(client: pg.Client, options: MergeOptions, params: unknown[]): Promise<number> {
  // Ids are read back only when something needs them: a list, or the consent event of a new
  // contact whose opt-in is known.
  const needsIds =
    Boolean(options.listId) ||
    (await client.query(`select exists (select 1 from contact_src where contact_id is null and (sms_opt_in is not null or suppressed)) as any`)).rows[0].any;
  const insert = `insert into contact (account_id, phone, country, email, first_name, last_name, fields, sms_opt_in, opt_out_source, opted_out_at, bad_number, time_zone, time_zone_source)
     select $1, s.phone, s.country, s.email, s.first_name, s.last_name, s.fields,
            case when s.suppressed then false else s.sms_opt_in end,
            case when s.suppressed then 'suppressed' when s.sms_opt_in = false then $3::text end,
            case when s.suppressed or s.sms_opt_in = false then now() end,
            s.bad_number, s.time_zone, ${STORED_SOURCE}
     from contact_src s where s.contact_id is null`;
  const sql = needsIds
    ? `with ins as (${insert} returning id, phone, sms_opt_in),
       consent as (
         insert into consent_event (account_id, contact_id, phone_hash, opted_in, source, actor)
         select $1, i.id, ${PHONE_HASH('i.phone')}, i.sms_opt_in,
                case when s.suppressed and i.sms_opt_in = false then 'suppressed' else $3::text end, $4::text
         from ins i join contact_src s on s.phone = i.phone
         where i.sms_opt_in is not null
       ),
       listed as (
         insert into contact_list_member (list_id, contact_id, account_id)
         select $2::uuid, i.id, $1 from ins i where $2::uuid is not null
       )
       select count(*) as n from ins`
    : insert.replace('$3::text', '$2::text');
  const values = needsIds ? params : [params[0], params[2]];
  for (let attempt = 1; ; attempt++) {
    await client.query('savepoint contact_merge_new');
    try {
      const result = await client.query<{ n: string }>(sql, values);
      await client.query('release savepoint contact_merge_new');
      return needsIds ? Number(result.rows[0].n) : (result.rowCount ?? 0);
    } catch (error) {
      if ((error as { code?: string }).code !== '23505' || attempt >= 5) throw error;
      // Another transaction created some of these phones: they are existing contacts now.
      await client.query('rollback to savepoint contact_merge_new');
      await client.query(
        `update contact_src s set contact_id = c.id, old_opt_in = c.sms_opt_in from contact c
         where s.contact_id is null and c.account_id = $1 and c.phone = s.phone`,
        [options.accountId],
      );
    }
  }
}
