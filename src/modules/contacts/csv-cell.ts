// One CSV cell as a person's spreadsheet will open it (exports and import reports alike):
// - text a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage
//   return) gets a leading apostrophe, so it shows as text; a plain number (an E.164 phone such as
//   +33612345678, an amount such as -12.5) is data, left as it is;
// - a cell holding a delimiter a spreadsheet may split on (comma, semicolon, tab), a quote or a
//   line break is quoted, so no part of it becomes a cell of its own (`Ann;=1+2` stays one cell);
// - quotes inside are doubled (RFC 4180).
import { DateTime } from 'luxon';
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;
const NEEDS_QUOTES = /[",;\t\r\n]|^\s|\s$/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line (CRLF, as RFC 4180 and spreadsheets expect) of cells written by csvCell. */
export function csvLine(cells: readonly unknown[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

/** Chunks of a CSV download: the header line, then one chunk per batch of rows (a cursor's). */
export async function* csvChunks<T>(header: readonly string[], batches: AsyncIterable<T[]>, cells: (row: T) => unknown[]): AsyncGenerator<string> {
  yield csvLine(header);
  for await (const rows of batches) yield rows.map((row) => csvLine(cells(row))).join('');
}

/** A moment in a CSV cell: ISO 8601 with the offset of `zone` (the account's), which spreadsheets
 * read and which says its zone. Empty for none. */
export function csvTime(date: Date | string | null, zone: string): string {
  return date ? (DateTime.fromJSDate(new Date(date)).setZone(zone).toISO({ suppressMilliseconds: true }) ?? '') : '';
}
