// CSV export of the contacts of a segment, a list or the whole account, streamed: a server-side
// cursor (DECLARE ... CURSOR with bind parameters, in a read-only transaction) is fetched a batch
// at a time and each batch is written before the next is read, so a million contacts never sit
// in memory and a slow download holds back the database reads (backpressure through the stream).
//
// Cells are written by csvCell (csv-cell.ts): formula starts defused, delimiters quoted.
import type pg from 'pg';
import type { CompiledRules, FieldInfo } from './segment-compiler.js';
import { csvLine } from './csv-cell.js';

export const EXPORT_COLUMNS = ['phone', 'email', 'first_name', 'last_name', 'country', 'sms_opt_in', 'opt_out_source'] as const;

const BATCH = 2_000;

const yesNo = (value: unknown) => (value === true || value === 'true' ? 'yes' : value === false || value === 'false' ? 'no' : value);

/** The CSV of a compiled segment, as chunks of text: the header, then one chunk per batch.
 * Runs a transaction on `client`; stopping early (return/throw) rolls it back. */
export async function* exportCsvOn(client: pg.Client, compiled: CompiledRules, customFields: FieldInfo[]): AsyncGenerator<string> {
  const params = [...compiled.params];
  const fieldColumns = customFields.map((field) => {
    params.push(field.key);
    return `c.fields ->> $${params.length}::text`;
  });
  const booleans = customFields.map((field) => field.type === 'boolean');
  await client.query('begin read only');
  let open = true;
  try {
    await client.query(
      `declare contact_export no scroll cursor for
       select c.phone, c.email, c.first_name, c.last_name, c.country, c.sms_opt_in, c.opt_out_source${fieldColumns.map((col) => `, ${col}`).join('')}
         from contact c where ${compiled.sql}
        order by c.id`,
      params,
    );
    yield csvLine([...EXPORT_COLUMNS, ...customFields.map((f) => f.key)]);
    for (;;) {
      const { rows } = await client.query<unknown[]>({ text: `fetch ${BATCH} from contact_export`, rowMode: 'array' });
      if (rows.length === 0) break;
      let chunk = '';
      for (const row of rows) {
        row[5] = yesNo(row[5]);
        for (let i = 0; i < booleans.length; i++) if (booleans[i]) row[7 + i] = yesNo(row[7 + i]);
        chunk += csvLine(row);
      }
      yield chunk;
    }
    await client.query('commit');
    open = false;
  } finally {
    if (open) await client.query('rollback').catch(() => {});
  }
}
