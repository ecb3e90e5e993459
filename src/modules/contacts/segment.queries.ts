// Segments over the contact table: size, pages and the recipient set, with hand-written SQL.
// Why not the ORM: the rules compile to one parameterised WHERE condition (segment-compiler.ts)
// that must run as a single set-based statement over up to millions of contacts: a count, a
// keyset page, an INSERT ... SELECT for a campaign launch, a cursor for an export. Every
// statement is scoped by the account id, which is always $1.
//
// Naming: a function that takes a raw client ends in `On` (a route or a launch that already holds
// one, for several statements on one connection); one that takes the EntityManager does not.
// Where both answer one question (compileSegment, segmentSize, segmentPage), the EntityManager
// one is only a one-line wrapper: `withClient(em, (client) => …On(client, …))`.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { withClient } from '../../db/raw-client.js';
import { compileRules, type CompiledRules, type FieldInfo } from './segment-compiler.js';
import { isGroup, type SegmentRules } from './segment-rules.js';
import { isUuid } from '../../db/find.js';
import { CONTACT_ROW_COLUMNS, type ContactRow } from './contact.queries.js';


export interface SegmentContext {
  customFields: FieldInfo[];
  /** Those of the lists named by the rules that belong to the account. */
  lists: Set<string>;
  timeZone: string;
}

/** The list ids a set of rules names (well-formed ones only; the rest fail validation). */
export function listIdsOf(rules: SegmentRules): string[] {
  const ids = new Set<string>();
  const visit = (items: unknown[]) => {
    for (const item of items) {
      if (typeof item !== 'object' || item === null) continue;
      if (isGroup(item as never)) visit((item as { conditions: unknown[] }).conditions);
      else {
        const { field, value } = item as { field?: unknown; value?: unknown };
        if (field === 'list' && typeof value === 'string' && isUuid(value.trim())) ids.add(value.trim().toLowerCase());
      }
    }
  };
  if (rules && Array.isArray(rules.conditions)) visit(rules.conditions);
  return [...ids];
}

/** The account's custom fields, time zone, and which of the named lists are its own: one query. */
export async function loadSegmentContextOn(client: pg.Client, accountId: string, rules: SegmentRules): Promise<SegmentContext> {
  const { rows } = await client.query<{ time_zone: string | null; fields: FieldInfo[]; lists: string[] }>(
    `select (select time_zone from account where id = $1) as time_zone,
            (select coalesce(json_agg(json_build_object('key', f.key, 'label', f.label, 'type', f.type) order by f.label), '[]'::json)
               from custom_field f where f.account_id = $1) as fields,
            (select coalesce(json_agg(l.id), '[]'::json) from contact_list l where l.account_id = $1 and l.id = any($2::uuid[])) as lists`,
    [accountId, listIdsOf(rules)],
  );
  const row = rows[0];
  return { customFields: row.fields, lists: new Set(row.lists.map((id) => id.toLowerCase())), timeZone: row.time_zone ?? 'UTC' };
}

/** Validates and compiles rules for an account on an open client. */
export async function compileSegmentOn(client: pg.Client, accountId: string, rules: SegmentRules): Promise<CompiledRules> {
  const context = await loadSegmentContextOn(client, accountId, rules);
  return compileRules(rules, context.customFields, { accountId, lists: context.lists, timeZone: context.timeZone });
}

/** Validates and compiles rules (throws a ValidationError when they are wrong). */
export async function compileSegment(em: EntityManager, accountId: string, rules: SegmentRules): Promise<CompiledRules> {
  return withClient(em, (client) => compileSegmentOn(client, accountId, rules));
}

/** `select c.id from contact c where ...`: the recipients of a segment, for INSERT ... SELECT
 * (a campaign launch appends its own parameters after `params`). */
export function segmentIdsQuery(compiled: CompiledRules): CompiledRules {
  return { sql: `select c.id from contact c where ${compiled.sql}`, params: compiled.params };
}

export interface SegmentSize {
  /** Contacts that match the rules. */
  total: number;
  /** Of those, the ones a campaign can text: opted in and with a valid number. */
  textable: number;
}

export async function segmentSizeOn(client: pg.Client, compiled: CompiledRules): Promise<SegmentSize> {
  const { rows } = await client.query<{ total: string; textable: string }>(
    `select count(*) as total, count(*) filter (where c.sms_opt_in is distinct from false and not c.bad_number) as textable
       from contact c where ${compiled.sql}`,
    compiled.params,
  );
  return { total: Number(rows[0].total), textable: Number(rows[0].textable) };
}

export async function countSegment(em: EntityManager, accountId: string, rules: SegmentRules): Promise<number> {
  return withClient(em, async (client) => {
    const compiled = await compileSegmentOn(client, accountId, rules);
    const { rows } = await client.query<{ n: string }>(`select count(*) as n from contact c where ${compiled.sql}`, compiled.params);
    return Number(rows[0].n);
  });
}

export async function segmentSize(em: EntityManager, accountId: string, rules: SegmentRules): Promise<SegmentSize> {
  return withClient(em, async (client) => segmentSizeOn(client, await compileSegmentOn(client, accountId, rules)));
}

export interface SegmentPage {
  contacts: ContactRow[];
  /** The `after` of the next page, or null on the last one. */
  next: number | null;
}

export async function segmentPageOn(client: pg.Client, compiled: CompiledRules, options: { after?: number | null; limit: number }): Promise<SegmentPage> {
  const limit = Math.max(1, Math.min(500, Math.floor(options.limit)));
  const params = [...compiled.params];
  let keyset = '';
  if (options.after !== undefined && options.after !== null) {
    params.push(options.after);
    keyset = ` and c.id < $${params.length}::bigint`;
  }
  params.push(limit + 1);
  const { rows } = await client.query<ContactRow & { id: string }>(
    `select ${CONTACT_ROW_COLUMNS}
       from contact c where ${compiled.sql}${keyset}
      order by c.id desc limit $${params.length}`,
    params,
  );
  const contacts = rows.slice(0, limit).map((row) => ({ ...row, id: Number(row.id), created_at: new Date(row.created_at) }));
  return { contacts, next: rows.length > limit ? contacts[contacts.length - 1].id : null };
}

/** One page of a segment's contacts, newest first (keyset on id: `after` is the last id seen). */
export async function segmentPage(em: EntityManager, accountId: string, rules: SegmentRules, options: { after?: number | null; limit: number }): Promise<SegmentPage> {
  return withClient(em, async (client) => segmentPageOn(client, await compileSegmentOn(client, accountId, rules), options));
}
