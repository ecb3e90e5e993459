// The rows of a CSV import, validated in JavaScript with the same rules as the forms and the API
// (validateContact; numbers read by parsePhoneForImport in the account's default country) into
// PostgreSQL COPY text for the staging table, or into reported rows. Free of I/O and of the
// database: the import job runs it in worker threads (contact-import.worker.ts) or, for small
// files, in its own thread, with the same result either way.
import { BUILT_IN_FIELDS } from './fields.js';
import { validateContactWith, type ContactInput, type FieldTypes } from './contact-validation.js';
import { parsePhoneForImport } from '../../phone.js';
import { copyText } from './contact-import.csv.js';

interface Column {
  index: number;
  key: string;
}

/** What a row is validated against: plain data, so it can be handed to a worker thread. */
export interface RowRules {
  mapping: (string | null)[];
  customFields: FieldTypes;
  defaultCountry: string | null;
  keepBadNumbers: boolean;
}

export type ValidatedRow = { stage: string; error: string | null; badNumber: boolean } | { stage: null; error: string; badNumber: false };

/** Validates one CSV record into a staging row (COPY text) or a reported row. */
export function rowValidator(options: RowRules): (record: string[], line: number) => ValidatedRow {
  const builtIn = new Set<string>(BUILT_IN_FIELDS.map((f) => f.key));
  const columns: Column[] = options.mapping.flatMap((key, index) => (key ? [{ index, key }] : []));
  const custom = columns.filter((c) => !builtIn.has(c.key));
  const plain = columns.filter((c) => builtIn.has(c.key));
  const phoneColumn = columns.find((c) => c.key === 'phone')!.index;
  const { customFields, defaultCountry, keepBadNumbers } = options;

  return (record, line) => {
    const input: ContactInput = {};
    for (const c of plain) (input as Record<string, unknown>)[c.key] = record[c.index];
    if (custom.length) {
      const fields: Record<string, unknown> = {};
      for (const c of custom) fields[c.key] = record[c.index];
      input.fields = fields;
    }
    // The number is read first, apart: parsePhoneForImport is where a row's number is decided.
    const { value, errors } = validateContactWith(parsePhoneForImport(String(record[phoneColumn] ?? ''), defaultCountry), input, customFields);
    const problems = Object.keys(errors);
    let badNumber = false;
    let reason: string | null = null;
    if (problems.length) {
      const rawPhone = (record[phoneColumn] ?? '').trim();
      reason = problems.map((k) => errors[k]).join(' ');
      // A row whose only problem is its number may be kept, flagged, when the user chose so;
      // the number is stored as written (it must exist and fit the column).
      if (keepBadNumbers && problems.length === 1 && errors.phone && rawPhone && rawPhone.length <= 32) {
        badNumber = true;
        reason += ' Kept as a contact flagged "bad number".';
      } else {
        return { stage: null, error: reason, badNumber: false };
      }
    }
    let fields: string | null = null;
    for (const key in value.fields) {
      if (value.fields[key] === null) continue;
      fields = JSON.stringify(Object.fromEntries(Object.entries(value.fields).filter(([, v]) => v !== null)));
      break;
    }
    const optIn = value.sms_opt_in === true ? 't' : value.sms_opt_in === false ? 'f' : '\\N';
    const stage = `${line}\t${copyText(value.phone)}\t${copyText(value.country)}\t${copyText(value.email)}\t${copyText(value.first_name)}\t${copyText(value.last_name)}\t${copyText(fields)}\t${optIn}\t${badNumber ? 't' : 'f'}\t${copyText(value.time_zone)}\t${value.time_zone_source}\n`;
    return { stage, error: reason, badNumber };
  };
}

/** Records of the file in order, with the line each ends on. */
export interface RowBatch {
  records: string[][];
  lines: number[];
}

/** A batch validated: its staging rows as one COPY text, its reported rows, its counts. */
export interface ValidatedBatch {
  stage: string;
  /** [line, the phone as written (null when empty), reason]. */
  reported: [number, string | null, string][];
  invalid: number;
  badNumbers: number;
}

export function batchValidator(rules: RowRules): (batch: RowBatch) => ValidatedBatch {
  const validate = rowValidator(rules);
  const phoneColumn = rules.mapping.indexOf('phone');
  return ({ records, lines }) => {
    const result: ValidatedBatch = { stage: '', reported: [], invalid: 0, badNumbers: 0 };
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      const row = validate(record, lines[i]);
      if (row.stage) result.stage += row.stage;
      else result.invalid++;
      if (row.error) result.reported.push([lines[i], (record[phoneColumn] ?? '').trim() || null, row.error]);
      if (row.badNumber) result.badNumbers++;
    }
    return result;
  };
}
