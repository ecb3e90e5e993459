// Contacts found by an external id, many at once: one statement for a batch of values (the trigger
// API resolves up to 1,000 per call this way, not one query per contact). Each kind of key reads
// its own index: (account_id, phone) unique, (account_id, email), the primary key; a custom field
// reads `fields` of the account's contacts once for the whole batch.
import type pg from 'pg';
import type { FieldType } from './custom-field.entity.js';

/** The field an external id is compared with: a built-in one, or a custom field (of its type). */
export type KeyField = { kind: 'phone' | 'email' | 'id' } | { kind: 'custom'; key: string; type: FieldType };

/** A value's contact: the lowest id among those that have it, and how many have it. */
export interface KeyHit {
  id: string;
  count: number;
}

/** The column (or expression) each kind of key compares, and the SQL type of the values. */
function comparison(field: KeyField): { expression: string; type: string } {
  switch (field.kind) {
    case 'phone':
      return { expression: 'c.phone', type: 'text' };
    case 'email':
      return { expression: 'c.email', type: 'text' };
    case 'id':
      return { expression: 'c.id', type: 'bigint' };
    case 'custom':
      return { expression: 'c.fields ->> $3::text', type: 'text' };
  }
}

/** The contacts of the account that have these values (already in the stored form) in `field`,
 * by value. Values no contact has are absent. */
export async function contactsByKeyOn(client: pg.ClientBase, accountId: string, field: KeyField, values: string[]): Promise<Map<string, KeyHit>> {
  if (!values.length) return new Map();
  const { expression, type } = comparison(field);
  const { rows } = await client.query<{ value: string; id: string; count: number }>(
    `select ${expression}::text as value, min(c.id)::text as id, count(*)::int as count from contact c
     where c.account_id = $1 and ${expression} = any($2::${type}[]) group by 1`,
    field.kind === 'custom' ? [accountId, values, field.key] : [accountId, values],
  );
  return new Map(rows.map((row) => [row.value, { id: row.id, count: row.count }]));
}
