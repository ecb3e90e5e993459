// Expression indexes for the custom fields that saved segments test.
//
// A condition on a custom field compares an expression over the jsonb `fields`; without an index
// the count of a segment reads every contact that its other conditions leave (about 250 ms for a
// million contacts). Each custom field that a saved segment of its account uses gets one btree
// index on (country, the field's expression) — the expression of customFieldExpression, the one
// the compiler writes, with the key as a literal, since the planner matches an index expression
// only when it is the same — partial on its account and on the value being there (`where
// account_id = '…' and <expression> is not null`), so it holds only that account's contacts that
// have the field: other accounts' writes, and an import without that column, cost no more than
// the predicate check. A comparison (strict) implies the value is there, so the planner still
// uses it; "is empty" conditions do not (they did not before either). Country
// leads as in contact_account_country_segment_index, since most segments start with a country;
// without one, PostgreSQL 18 skips through the countries (skip scan). It cannot be an index-only
// scan (the planner does not see that `fields` is needed only inside the indexed expression), so
// the count still reads the matching rows from the table, but only those.
//
// syncFieldIndexes makes the indexes match the saved segments: it builds the missing ones and
// drops those no segment needs any more (the field deleted, the last segment using it deleted or
// changed, the account deleted), all CONCURRENTLY, outside any transaction, so writers are never
// blocked. A build that died half-way (a crash, a cancelled statement) leaves an INVALID index:
// it is dropped and built again. A session advisory lock makes processes take turns, so an
// INVALID index seen while holding it is a dead build, never another process's running one.
// Index names are `contact_field_v1_` and the field's UUID without hyphens: never text a user
// wrote. The version changes with customFieldExpression, so old indexes are dropped and rebuilt.
import type pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { withClient } from '../../db/raw-client.js';
import { FIELD_TYPES, type FieldType } from './custom-field.entity.js';
import { customFieldExpression } from './segment-compiler.js';

const PREFIX = 'contact_field_v1_';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const KEY = /^[a-z][a-z0-9_]{0,39}$/;
/** The advisory lock (hashtext of a fixed name) that syncs take in turns. */
const LOCK = `hashtextextended('contact-field-indexes', 0)`;

export interface IndexedField {
  id: string;
  accountId: string;
  key: string;
  type: FieldType;
}

/** The index of a custom field: its name is made from the field's id alone. */
export function fieldIndexName(fieldId: string): string {
  if (!UUID.test(fieldId)) throw new Error(`a custom field id is a UUID, not "${fieldId}"`);
  return PREFIX + fieldId.replaceAll('-', '');
}

/** CREATE INDEX CONCURRENTLY for a field. Its parts were checked (UUIDs, the key's pattern, a known
 * type) and are quoted anyway. */
export function fieldIndexSql(client: pg.Client, field: IndexedField): string {
  if (!UUID.test(field.accountId) || !KEY.test(field.key) || !FIELD_TYPES.includes(field.type)) throw new Error(`not an indexable custom field: ${JSON.stringify(field)}`);
  const expression = customFieldExpression(field.type, `${client.escapeLiteral(field.key)}::text`, 'fields');
  return `create index concurrently ${client.escapeIdentifier(fieldIndexName(field.id))} on contact (country, (${expression}))
            where account_id = ${client.escapeLiteral(field.accountId)}::uuid and (${expression}) is not null`;
}

/** Fields that some saved segment of their account names in a condition, at any depth. */
async function wantedOn(client: pg.Client): Promise<IndexedField[]> {
  const { rows } = await client.query<IndexedField>(
    `select f.id, f.account_id as "accountId", f.key, f.type from custom_field f
      where exists (select 1 from segment s where s.account_id = f.account_id
                      and jsonb_path_exists(s.rules, '$.**.field ? (@ == $name)', jsonb_build_object('name', 'field:' || f.key)))`,
  );
  return rows;
}

/** Our indexes on `contact` as they stand, valid or not (a dead concurrent build). */
async function existingOn(client: pg.Client): Promise<Map<string, boolean>> {
  const { rows } = await client.query<{ name: string; valid: boolean }>(
    `select c.relname as name, i.indisvalid as valid
       from pg_index i join pg_class c on c.oid = i.indexrelid
      where i.indrelid = 'contact'::regclass and starts_with(c.relname, 'contact_field_')`,
  );
  return new Map(rows.map((row) => [row.name, row.valid]));
}

export interface SyncResult {
  built: string[];
  dropped: string[];
}

/**
 * Builds and drops field indexes until they are those the saved segments need. Across accounts:
 * the indexes are the catalog's, and an account's deleted field leaves no row to find its index by.
 * `touch` is called every `touchEveryMs` while it runs (the job's lock).
 */
export async function syncFieldIndexes(orm: MikroORM, hooks: { touch?: () => Promise<void>; touchEveryMs?: number } = {}): Promise<SyncResult> {
  const touching = hooks.touch ? setInterval(() => void hooks.touch!().catch(() => {}), hooks.touchEveryMs ?? 10_000) : null;
  try {
    return await withClient(orm.em, async (client) => {
      await client.query(`select pg_advisory_lock(${LOCK})`);
      try {
        const wanted = new Map((await wantedOn(client)).map((field) => [fieldIndexName(field.id), field]));
        const existing = await existingOn(client);
        const result: SyncResult = { built: [], dropped: [] };
        for (const [name, valid] of existing) {
          if (valid && wanted.has(name)) continue;
          await client.query(`drop index concurrently if exists ${client.escapeIdentifier(name)}`);
          result.dropped.push(name);
        }
        for (const [name, field] of wanted) {
          if (existing.get(name) === true) continue;
          await client.query(fieldIndexSql(client, field));
          result.built.push(name);
        }
        return result;
      } finally {
        await client.query(`select pg_advisory_unlock(${LOCK})`);
      }
    });
  } finally {
    if (touching) clearInterval(touching);
  }
}
