// CSV handling for contact imports, free of I/O: the parser options, a parser that knows the line
// of every record, delimiter detection, the header and preview of an upload, messages for
// malformed files, and the text formats written out (PostgreSQL COPY text, report CSV cells).
import { Parser, CsvError, type Options } from 'csv-parse';

export const DELIMITERS = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];
export const DELIMITER_LABELS: Record<Delimiter, string> = { ',': 'Comma ( , )', ';': 'Semicolon ( ; )', '\t': 'Tab', '|': 'Pipe ( | )' };
/** How a delimiter travels in forms and URLs (a tab does not survive trimming). */
export const DELIMITER_NAMES: Record<Delimiter, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };

export function delimiterByName(name: unknown): Delimiter | null {
  const found = Object.entries(DELIMITER_NAMES).find(([, n]) => n === name);
  return found ? (found[0] as Delimiter) : null;
}

/** The longest row accepted, in characters: a longer one is almost always an unclosed quote. */
export const MAX_ROW_CHARS = 65_536;
/** The most columns a file may have: each one is a row of the mapping page. */
export const MAX_COLUMNS = 250;
/** Rows shown on the mapping page under the header. */
export const PREVIEW_ROWS = 5;

export function parserOptions(delimiter: Delimiter, strictColumns: boolean): Options {
  return {
    delimiter,
    bom: true,
    // A quote inside an unquoted value (5" screen) is kept as text; only a quoted value that
    // never closes is an error.
    relax_quotes: true,
    relax_column_count: !strictColumns,
    skip_empty_lines: true,
    max_record_size: MAX_ROW_CHARS,
  };
}

/** csv-parse as a push parser that reports each record with the line it ends on. Records are
 * handed to `onRecord` synchronously while a chunk is parsed, when `info.lines` is exact. */
export class LineParser extends Parser {
  constructor(
    options: Options,
    private readonly onRecord: (record: string[], line: number) => void,
  ) {
    super(options);
    // Nothing reads the readable side: let its end flow.
    this.resume();
    // Errors reach feed()'s caller; the stream's own 'error' event must not go unhandled.
    this.on('error', () => {});
  }

  override push(chunk: unknown): boolean {
    if (chunk === null) return super.push(null);
    this.onRecord(chunk as string[], this.info.lines);
    return true;
  }

  /** Parses one chunk (or the end of the input, with null); rejects with the CSV error. */
  feed(chunk: Buffer | null): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.once('error', onError);
      const done = (error?: Error | null) => {
        this.off('error', onError);
        if (error) reject(error);
        else resolve();
      };
      if (chunk) this.write(chunk, done);
      else this.end(done);
    });
  }
}

/** Splits the start of a file into lines, newlines inside quotes kept. */
function sampleLines(text: string, max: number): string[] {
  const lines: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length && lines.length < max; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\n' && !quoted) {
      const line = text.slice(start, i).replace(/\r$/, '');
      if (line.trim()) lines.push(line);
      start = i + 1;
    }
  }
  if (lines.length < max && start < text.length && text.slice(start).trim()) lines.push(text.slice(start));
  return lines;
}

function countOutsideQuotes(line: string, delimiter: string): number {
  let quoted = false;
  let count = 0;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (c === delimiter && !quoted) count++;
  }
  return count;
}

/** The delimiter among , ; TAB | that splits the header line into the most columns, preferring
 * one that splits the next lines the same way. A single column file gets a comma. */
export function detectDelimiter(head: string): Delimiter {
  const lines = sampleLines(head.replace(/^\uFEFF/, ''), 11);
  if (!lines.length) return ',';
  let best: Delimiter = ',';
  let bestScore = 0;
  for (const delimiter of DELIMITERS) {
    const count = countOutsideQuotes(lines[0], delimiter);
    if (count === 0) continue;
    const agreeing = lines.slice(1).filter((line) => countOutsideQuotes(line, delimiter) === count).length;
    const score = agreeing * 10_000 + count;
    if (score > bestScore) {
      best = delimiter;
      bestScore = score;
    }
  }
  return best;
}

/** Delimiters other than `current` that would split the header into more columns. */
export function otherDelimiters(head: string, current: Delimiter): Delimiter[] {
  const first = sampleLines(head.replace(/^\uFEFF/, ''), 1)[0] ?? '';
  return DELIMITERS.filter((d) => d !== current && countOutsideQuotes(first, d) > countOutsideQuotes(first, current));
}

/** A malformed file, said so a person can fix it; `line` is where the problem is. */
export class CsvProblem extends Error {
  constructor(
    message: string,
    readonly line: number | null,
  ) {
    super(message);
  }
}

/** Turns a csv-parse error into a sentence. `recordStart` is the line after the last good record. */
export function describeCsvError(error: unknown, recordStart: number, headerLength?: number): CsvProblem {
  if (!(error instanceof CsvError)) return new CsvProblem(`The file could not be read as CSV: ${(error as Error).message}`, null);
  const at = (error as CsvError & { lines?: number }).lines ?? recordStart;
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new CsvProblem(`Line ${recordStart}: a quoted value is never closed (an unbalanced " quote).`, recordStart);
    case 'CSV_MAX_RECORD_SIZE':
      return new CsvProblem(`Line ${recordStart}: the row is longer than ${MAX_ROW_CHARS.toLocaleString('en')} characters, most likely because a " quote is never closed.`, recordStart);
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const got = (error as CsvError & { record?: unknown[] }).record?.length;
      const expected = headerLength ?? '';
      return new CsvProblem(`Line ${at} has ${got ?? 'a different number of'} value${got === 1 ? '' : 's'} but the header has ${expected} column${expected === 1 ? '' : 's'}: check the separator and the quotes on that line.`, at);
    }
    case 'CSV_INVALID_CLOSING_QUOTE':
      return new CsvProblem(`Line ${at}: text follows a closing " quote inside a value (write a quote inside a quoted value as "").`, at);
    default:
      return new CsvProblem(`Line ${at}: ${error.message}`, at);
  }
}

export interface HeadAnalysis {
  delimiter: Delimiter;
  header: string[];
  preview: string[][];
  /** A problem in the first rows (wrong column count, unclosed quote), shown on the mapping page. */
  problem: string | null;
}

/**
 * Reads the header and the first rows from the start of a file. `complete` says whether `head` is
 * the whole file. Throws CsvProblem when the file cannot be imported at all (empty, only a
 * header, an unreadable header line).
 */
export async function analyseHead(head: Buffer, complete: boolean, delimiter: Delimiter): Promise<HeadAnalysis> {
  let text = head;
  if (!complete) {
    // The last line may be cut in the middle: parse whole lines only.
    const lastNewline = head.lastIndexOf(10);
    text = lastNewline >= 0 ? head.subarray(0, lastNewline + 1) : head;
  }
  if (!text.toString('utf8').replace(/^\uFEFF/, '').trim()) throw new CsvProblem('The file is empty.', null);

  const records: string[][] = [];
  const lines: number[] = [];
  let lastLine = 0;
  let dataRows = 0;
  let problem: string | null = null;
  const parser = new LineParser(parserOptions(delimiter, false), (record, line) => {
    if (records.length <= PREVIEW_ROWS) {
      records.push(record);
      lines.push(line);
    }
    if (records.length > 1) dataRows++;
    lastLine = line;
  });
  try {
    await parser.feed(text);
    if (complete) await parser.feed(null);
  } catch (error) {
    const described = describeCsvError(error, lastLine + 1);
    if (!records.length) throw new CsvProblem(`The header line cannot be read. ${described.message}`, described.line);
    problem = described.message;
  }
  if (!records.length) throw new CsvProblem('The file is empty.', null);
  const header = records[0];
  if (header.length > MAX_COLUMNS) {
    throw new CsvProblem(`The header line has ${header.length.toLocaleString('en')} columns; an import takes at most ${MAX_COLUMNS}. Remove the columns you do not need, or check the separator.`, 1);
  }
  if (header.every((name) => !name.trim())) throw new CsvProblem('The first line must name the columns (phone, email, first name…), but it is empty.', 1);
  if (!dataRows && !problem) {
    throw new CsvProblem(
      complete ? 'The file has a header line but no contacts below it.' : `No row ends within the first ${Math.round(head.length / 1024)} kB of the file: is a quote left open?`,
      2,
    );
  }
  const preview = records.slice(1);
  if (!problem) {
    const index = preview.findIndex((row) => row.length !== header.length);
    if (index >= 0) {
      const got = preview[index].length;
      problem = `Line ${lines[index + 1]} has ${got} value${got === 1 ? '' : 's'} but the header has ${header.length} column${header.length === 1 ? '' : 's'}: check the separator.`;
    }
  }
  return { delimiter, header, preview, problem };
}

// --- Output formats ----------------------------------------------------------------------------

const COPY_SPECIAL = /[\\\t\n\r]/;

/** A value in PostgreSQL's COPY text format (null as \N). */
export function copyText(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (!COPY_SPECIAL.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

