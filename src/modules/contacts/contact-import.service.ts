// CSV import, the steps before the job: receive and check the upload (size, UTF-8, not binary),
// store it, read its header and first rows, guess and validate the column mapping, queue it.
// The job itself is in contact-import.jobs.ts.
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Account } from '../accounts/index.js';
import { ContactImport, EXISTING_MODES, type ExistingMode } from './contact-import.entity.js';
import { ContactList } from './contact-list.entity.js';
import type { CustomField } from './custom-field.entity.js';
import { BUILT_IN_FIELDS } from './fields.js';
import { analyseHead, detectDelimiter, CsvProblem, type Delimiter } from './contact-import.csv.js';
import { slugify } from '../../text.js';
import { isUuid } from '../../db/find.js';

/** The start of an upload kept in memory to read its header and preview rows. */
const HEAD_BYTES = 1024 * 1024;

export function formatMegabytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024)).toLocaleString('en')} MB`;
}

export function tooLargeMessage(maxBytes: number): string {
  return `The file is larger than ${formatMegabytes(maxBytes)}, the largest import accepted here. Split it into smaller files.`;
}

export function importsDir(dataDir: string): string {
  return path.join(dataDir, 'imports');
}

/** A refused upload: nothing was stored. */
export class UploadRefused extends Error {
  constructor(
    readonly status: 413 | 422,
    message: string,
  ) {
    super(message);
  }
}

/** Offset of the first byte that is not valid UTF-8 (skipping the continuation bytes a chunk may
 * start with), or -1. Only used to say where the problem is. */
function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  while (i < Math.min(3, buf.length) && (buf[i] & 0xc0) === 0x80) i++;
  while (i < buf.length) {
    const b = buf[i];
    const length = b < 0x80 ? 1 : (b & 0xe0) === 0xc0 && b >= 0xc2 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 && b <= 0xf4 ? 4 : 0;
    if (!length) return i;
    for (let k = 1; k < length; k++) {
      if (i + k >= buf.length) return -1; // cut at the chunk's end
      if ((buf[i + k] & 0xc0) !== 0x80) return i;
    }
    i += length;
  }
  return -1;
}

function countNewlines(buf: Buffer): number {
  let count = 0;
  let at = buf.indexOf(10);
  while (at !== -1) {
    count++;
    at = buf.indexOf(10, at + 1);
  }
  return count;
}

export interface StoredUpload {
  bytes: number;
  /** Lines of the file (an estimate of its rows + 1). */
  lines: number;
  head: Buffer;
  complete: boolean;
}

const NOT_UTF8 = 'Save it as "CSV UTF-8" (in Excel: File › Save As › CSV UTF-8) and upload it again.';

/**
 * Streams an upload to `dest`, checking as it goes that it is UTF-8 text (a fatal TextDecoder)
 * and no larger than `maxBytes` (`source.truncated` is set by the multipart parser when the
 * limit cut the file). On any refusal the partial file is removed and UploadRefused thrown.
 */
export async function storeUpload(source: Readable & { truncated?: boolean }, dest: string, maxBytes: number): Promise<StoredUpload> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const partial = dest + '.part';
  const out = fs.createWriteStream(partial, { mode: 0o600 });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const headChunks: Buffer[] = [];
  let headBytes = 0;
  let bytes = 0;
  let lines = 0;
  let lastByte = 10;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (chunk.indexOf(0) !== -1) {
        throw new UploadRefused(422, `This is not a text file (line ${lines + countNewlines(chunk.subarray(0, chunk.indexOf(0))) + 1} contains a NUL byte): is it a spreadsheet (.xlsx) rather than CSV? Export it as CSV and upload that.`);
      }
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        const at = firstInvalidUtf8(chunk);
        const line = lines + countNewlines(chunk.subarray(0, at < 0 ? 0 : at)) + 1;
        throw new UploadRefused(422, `The file is not UTF-8 text: line ${line} has a character in another encoding (Latin-1 or Windows-1252?). ${NOT_UTF8}`);
      }
      bytes += chunk.length;
      lines += countNewlines(chunk);
      lastByte = chunk[chunk.length - 1];
      if (headBytes < HEAD_BYTES) {
        headChunks.push(chunk);
        headBytes += chunk.length;
      }
      if (!out.write(chunk)) await once(out, 'drain');
    }
    if (source.truncated || bytes > maxBytes) throw new UploadRefused(413, tooLargeMessage(maxBytes));
    try {
      decoder.decode();
    } catch {
      throw new UploadRefused(422, `The file is not UTF-8 text: it ends in the middle of a character. ${NOT_UTF8}`);
    }
    out.end();
    await once(out, 'finish');
    fs.renameSync(partial, dest);
  } catch (error) {
    // The file may still be opening: remove it once the stream is closed.
    if (!out.closed) {
      const closed = once(out, 'close').catch(() => {});
      out.destroy();
      await closed;
    }
    fs.rmSync(partial, { force: true });
    throw error;
  }
  if (bytes > 0 && lastByte !== 10) lines++;
  const head = Buffer.concat(headChunks).subarray(0, HEAD_BYTES);
  return { bytes, lines, head, complete: head.length === bytes };
}

/** Reads the start of a stored file (to re-read the header with another delimiter). */
export function readHead(filePath: string): { head: Buffer; complete: boolean } {
  const fd = fs.openSync(filePath, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const read = fs.readSync(fd, buffer, 0, HEAD_BYTES, 0);
    const size = fs.fstatSync(fd).size;
    return { head: buffer.subarray(0, read), complete: read === size };
  } finally {
    fs.closeSync(fd);
  }
}

export function cleanFileName(name: string | undefined): string {
  const base = path.basename(String(name ?? '').replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return (base || 'contacts.csv').slice(0, 255);
}

/** Creates the import of a stored upload: reads its header and preview, guesses the mapping.
 * An unusable file (empty, only a header) is removed and refused. */
export async function createImport(
  em: EntityManager,
  options: { account: Account; userEmail: string; id: string; fileName: string; filePath: string; upload: StoredUpload; customFields: Map<string, CustomField> },
): Promise<ContactImport> {
  const { upload } = options;
  let analysis;
  try {
    if (upload.bytes === 0) throw new CsvProblem('The file is empty.', null);
    analysis = await analyseHead(upload.head, upload.complete, detectDelimiter(upload.head.toString('utf8')));
  } catch (error) {
    fs.rmSync(options.filePath, { force: true });
    if (error instanceof CsvProblem) throw new UploadRefused(422, error.message);
    throw error;
  }
  const contactImport = em.create(ContactImport, {
    id: options.id,
    account: options.account,
    createdBy: options.userEmail,
    fileName: options.fileName,
    filePath: options.filePath,
    fileSize: upload.bytes,
    delimiter: analysis.delimiter,
    header: analysis.header,
    preview: analysis.preview,
    mapping: guessMapping(analysis.header, options.customFields),
    total: Math.max(upload.lines - 1, 0),
    errorMessage: analysis.problem,
  });
  await em.flush();
  return contactImport;
}

/** Reads the header and preview again with another delimiter chosen on the mapping page. */
export async function changeDelimiter(em: EntityManager, contactImport: ContactImport, delimiter: Delimiter, customFields: Map<string, CustomField>): Promise<void> {
  const { head, complete } = readHead(contactImport.filePath);
  try {
    const analysis = await analyseHead(head, complete, delimiter);
    contactImport.header = analysis.header;
    contactImport.preview = analysis.preview;
    contactImport.errorMessage = analysis.problem;
  } catch (error) {
    if (!(error instanceof CsvProblem)) throw error;
    contactImport.header = [];
    contactImport.preview = [];
    contactImport.errorMessage = error.message;
  }
  contactImport.delimiter = delimiter;
  contactImport.mapping = guessMapping(contactImport.header, customFields);
  await em.flush();
}

// --- Mapping -------------------------------------------------------------------------------------

export interface ImportField {
  key: string;
  label: string;
}

/** What a column can be imported as: the built-in fields, then the account's custom fields. */
export function importFields(customFields: Map<string, CustomField>): ImportField[] {
  return [...BUILT_IN_FIELDS.map((f) => ({ key: f.key, label: f.label })), ...[...customFields.values()].map((f) => ({ key: f.key, label: f.label }))];
}

const normalise = (name: string) => slugify(name, '_');

const SYNONYMS: Record<string, string[]> = {
  phone: ['phone', 'phone_number', 'phonenumber', 'mobile', 'mobile_phone', 'mobile_number', 'cell', 'cell_phone', 'cellphone', 'msisdn', 'telephone', 'tel', 'number', 'sms', 'gsm', 'portable', 'telefon', 'telefono', 'handy', 'numero'],
  email: ['email', 'e_mail', 'mail', 'email_address', 'courriel'],
  first_name: ['first_name', 'firstname', 'first', 'given_name', 'givenname', 'forename', 'prenom', 'vorname', 'nombre'],
  last_name: ['last_name', 'lastname', 'last', 'surname', 'family_name', 'familyname', 'nom', 'name_last', 'nachname', 'apellido'],
  sms_opt_in: ['sms_opt_in', 'opt_in', 'optin', 'sms_optin', 'sms_consent', 'consent', 'subscribed', 'opted_in'],
  time_zone: ['time_zone', 'timezone', 'tz', 'zone', 'fuseau_horaire', 'zeitzone'],
};

/** A first guess of the mapping from the header names; each field is guessed at most once. */
export function guessMapping(header: string[], customFields: Map<string, CustomField>): (string | null)[] {
  const taken = new Set<string>();
  const byName = new Map<string, string>();
  for (const [key, names] of Object.entries(SYNONYMS)) for (const name of names) byName.set(name, key);
  for (const field of customFields.values()) {
    if (!byName.has(field.key)) byName.set(field.key, field.key);
    const label = normalise(field.label);
    if (label && !byName.has(label)) byName.set(label, field.key);
  }
  return header.map((name) => {
    const key = byName.get(normalise(name));
    if (!key || taken.has(key)) return null;
    taken.add(key);
    return key;
  });
}

export interface StartInput {
  mapping: (string | null)[];
  existing: ExistingMode;
  listId: string | null;
  keepBadNumbers: boolean;
}

export type Form = Record<string, string | string[] | undefined>;


/** Reads the mapping form; `errors` names the fields to correct (column_<i>, mapping, existing,
 * list, delimiter). Lists are looked up through the account-scoped EntityManager, so another
 * account's list is simply not one of "your lists". */
export async function readStartForm(em: EntityManager, contactImport: ContactImport, body: Form, fields: ImportField[]): Promise<{ input: StartInput; errors: Record<string, string> }> {
  const errors: Record<string, string> = {};
  const labels = new Map(fields.map((f) => [f.key, f.label]));
  const header = contactImport.header;
  const mapping = header.map((_, i) => {
    const raw = body[`column_${i}`];
    const value = typeof raw === 'string' ? raw.trim() : '';
    if (!value) return null;
    if (!labels.has(value)) {
      errors[`column_${i}`] = `"${value.slice(0, 40)}" is not a field of your contacts.`;
      return null;
    }
    return value;
  });
  const columnsOf = new Map<string, number[]>();
  mapping.forEach((key, i) => key && columnsOf.set(key, [...(columnsOf.get(key) ?? []), i]));
  for (const [key, columns] of columnsOf) {
    if (columns.length < 2) continue;
    const names = columns.map((i) => `"${header[i] || `column ${i + 1}`}"`).join(' and ');
    for (const i of columns) errors[`column_${i}`] = `${labels.get(key)} is chosen for ${names}: choose it for one column only.`;
  }
  if (!columnsOf.has('phone') && !Object.keys(errors).some((k) => k.startsWith('column_'))) {
    errors.mapping = 'Choose which column holds the phone numbers (Phone): it is required.';
  }

  const existing = String(body.existing ?? 'update') as ExistingMode;
  if (!EXISTING_MODES.includes(existing)) errors.existing = 'Choose whether existing contacts are updated or skipped.';

  let listId: string | null = null;
  const rawList = typeof body.list === 'string' ? body.list.trim() : '';
  if (rawList) {
    const list = isUuid(rawList) ? await em.findOne(ContactList, { id: rawList }) : null;
    if (list) listId = list.id;
    else errors.list = 'Choose one of your lists (or none).';
  }
  if (contactImport.errorMessage) errors.delimiter = contactImport.errorMessage;
  const keep = body.keep_bad_numbers;
  return { input: { mapping, existing, listId, keepBadNumbers: keep === 'on' || keep === '1' || keep === 'yes' || keep === 'true' }, errors };
}

/** Keeps the mapping page's choices while it is filled in (a custom field was created from it),
 * so that the page shows them again; an invalid mode is not kept. */
export async function keepChoices(em: EntityManager, contactImport: ContactImport, input: StartInput): Promise<void> {
  const existing = EXISTING_MODES.includes(input.existing) ? input.existing : contactImport.existing;
  await em.nativeUpdate(ContactImport, { id: contactImport.id, status: 'uploaded' }, { mapping: input.mapping, existing, list: input.listId, keepBadNumbers: input.keepBadNumbers });
}

/** Records the mapping and options and moves the import to `queued`, once: a second submission
 * (double click, back button) finds it no longer `uploaded` and changes nothing. */
export async function queueImport(em: EntityManager, contactImport: ContactImport, input: StartInput): Promise<boolean> {
  const changed = await em.nativeUpdate(
    ContactImport,
    { id: contactImport.id, status: 'uploaded' },
    { status: 'queued', mapping: input.mapping, existing: input.existing, list: input.listId, keepBadNumbers: input.keepBadNumbers, processed: 0 },
  );
  return changed === 1;
}
