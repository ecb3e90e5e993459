// The two operations on a trigger-kept rollup table (usage_daily, campaign_rollup; see their
// migration): folding the differences statements appended into one row per key, and replacing a
// part of it with figures recomputed from the source rows. Readers sum whatever rows a key has,
// so both are invisible to them.
//
// Both take one advisory lock per table, so they never run over the same rows at once; each does
// its work in one statement, whose one snapshot makes it exact: what it deletes is what it read,
// and a difference committed after that snapshot stays, as the change it describes is not in
// what was read either.
import type pg from 'pg';

export interface RollupTable {
  table: string;
  /** Key columns that are never null (compared with =, and indexed). */
  key: string[];
  /** Key columns that may be null (compared with IS NOT DISTINCT FROM). */
  nullableKey: string[];
  /** The summed columns. */
  sums: string[];
}

const lockOn = (client: pg.ClientBase, table: RollupTable) => client.query('select pg_advisory_xact_lock(hashtext($1))', [`rollup:${table.table}`]);

async function inLockedTransaction<T>(client: pg.ClientBase, table: RollupTable, fn: () => Promise<T>): Promise<T> {
  await client.query('begin');
  try {
    await lockOn(client, table);
    const result = await fn();
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
}

const allKeys = (table: RollupTable) => [...table.key, ...table.nullableKey].join(', ');
const nonZero = (table: RollupTable) => table.sums.map((sum) => `sum(${sum}) <> 0`).join(' or ');
const summed = (table: RollupTable) => table.sums.map((sum) => `sum(${sum})`).join(', ');

/** Folds the keys of up to `limit` appended differences (oldest first) into one row per key;
 * answers how many differences it looked at (`limit`: there may be more). */
export async function foldRollupOn(client: pg.ClientBase, table: RollupTable, limit: number): Promise<number> {
  const keys = allKeys(table);
  const sameKey = [...table.key.map((c) => `t.${c} = k.${c}`), ...table.nullableKey.map((c) => `t.${c} is not distinct from k.${c}`)].join(' and ');
  return inLockedTransaction(client, table, async () => {
    const { rows } = await client.query<{ seen: string }>(
      `with recent as (select * from ${table.table} where not folded order by id limit $1),
       keys as (select distinct ${keys} from recent),
       gone as (delete from ${table.table} t using keys k where ${sameKey} returning t.*),
       folded as (insert into ${table.table} (${keys}, ${table.sums.join(', ')}, folded)
         select ${keys}, ${summed(table)}, true from gone group by ${keys} having ${nonZero(table)})
       select count(*) as seen from recent`,
      [limit],
    );
    return Number(rows[0]!.seen);
  });
}

/** Replaces the rows `where` selects (a condition on the table's own columns, `$n` parameters
 * allowed) with the rows `recompute` yields (a select of the key columns and the columns to sum);
 * answers how many keys had other figures than the recomputed ones (0 when the rollup was right). */
export async function replaceRollupOn(client: pg.ClientBase, table: RollupTable, where: string, recompute: string, params: unknown[]): Promise<number> {
  const keys = allKeys(table);
  return inLockedTransaction(client, table, async () => {
    const { rows } = await client.query<{ differing: string }>(
      `with kept as (select ${keys}, ${summed(table)} from ${table.table} where ${where} group by ${keys} having ${nonZero(table)}),
       fresh as (select ${keys}, ${summed(table)} from (${recompute}) d group by ${keys} having ${nonZero(table)}),
       gone as (delete from ${table.table} where ${where}),
       put as (insert into ${table.table} (${keys}, ${table.sums.join(', ')}, folded) select *, true from fresh)
       select count(*) as differing from ((select * from kept except select * from fresh) union (select * from fresh except select * from kept)) d`,
      params,
    );
    return Number(rows[0]!.differing);
  });
}
