// Reading a large result without holding it in memory: a server-side cursor (DECLARE ... CURSOR
// with bind parameters, in a read-only transaction) fetched a batch at a time. A consumer that
// writes each batch before asking for the next (a CSV download) holds back the reads
// (backpressure), and one that stops early (an abandoned download) ends the transaction, which
// releases the cursor.
import type pg from 'pg';

const BATCH = 2_000;

/** The rows of `sql` on `client`, in batches. */
export async function* cursorBatchesOn<T extends object>(client: pg.ClientBase, sql: string, params: unknown[], batch = BATCH): AsyncGenerator<T[]> {
  await client.query('begin read only');
  let open = true;
  try {
    await client.query(`declare batches no scroll cursor for ${sql}`, params);
    for (;;) {
      const { rows } = await client.query<T>(`fetch ${batch} from batches`);
      if (rows.length === 0) break;
      yield rows;
    }
    await client.query('commit');
    open = false;
  } finally {
    if (open) await client.query('rollback').catch(() => {});
  }
}
