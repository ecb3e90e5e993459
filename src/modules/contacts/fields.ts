// Contact fields: the built-in ones and the account's custom fields, their validation and the
// canonical form custom values are stored in (so segments can cast them safely in SQL).
import type { CustomField, FieldType } from './custom-field.entity.js';

export const LIMITS = { email: 254, firstName: 100, lastName: 100, text: 500 } as const;

export const BUILT_IN_FIELDS = [
  { key: 'phone', label: 'Phone' },
  { key: 'email', label: 'Email' },
  { key: 'first_name', label: 'First name' },
  { key: 'last_name', label: 'Last name' },
  { key: 'sms_opt_in', label: 'SMS opt-in' },
  { key: 'time_zone', label: 'Time zone' },
] as const;

export type FieldValue = string | number | boolean;

/** Parses a value typed by a user or read from a CSV cell; an empty value means "no value". */
export function parseFieldValue(type: FieldType, raw: unknown): { ok: true; value: FieldValue | null } | { ok: false; reason: string } {
  if (raw === null || raw === undefined) return { ok: true, value: null };
  if (typeof raw === 'boolean' && type === 'boolean') return { ok: true, value: raw };
  if (typeof raw === 'number' && type === 'number') return Number.isFinite(raw) ? { ok: true, value: raw } : { ok: false, reason: 'is not a number' };
  const text = String(raw).trim();
  if (text === '') return { ok: true, value: null };
  switch (type) {
    case 'text':
      return text.length > LIMITS.text ? { ok: false, reason: `is longer than ${LIMITS.text} characters` } : { ok: true, value: text };
    case 'number': {
      const value = Number(text.replace(/\s/g, '').replace(',', '.'));
      return Number.isFinite(value) && /^[-+]?[\d\s]*[.,]?\d+(e[-+]?\d+)?$/i.test(text) ? { ok: true, value } : { ok: false, reason: `"${text}" is not a number` };
    }
    case 'date': {
      const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
      const dmy = /^(\d{2})[/.](\d{2})[/.](\d{4})$/.exec(text);
      const [y, m, d] = iso ? [iso[1], iso[2], iso[3]] : dmy ? [dmy[3], dmy[2], dmy[1]] : [];
      if (!y) return { ok: false, reason: `"${text}" is not a date (YYYY-MM-DD or DD/MM/YYYY)` };
      // Years people mean and PostgreSQL stores as given (year 0000 does not exist there).
      if (Number(y) < 1000) return { ok: false, reason: `"${text}" is not a date in the years 1000 to 9999` };
      const date = new Date(`${y}-${m}-${d}T00:00:00Z`);
      if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== `${y}-${m}-${d}`) return { ok: false, reason: `"${text}" is not a real date` };
      return { ok: true, value: `${y}-${m}-${d}` };
    }
    case 'boolean': {
      const lower = text.toLowerCase();
      if (['true', 'yes', '1', 'y', 'oui', 'ja'].includes(lower)) return { ok: true, value: true };
      if (['false', 'no', '0', 'n', 'non', 'nein'].includes(lower)) return { ok: true, value: false };
      return { ok: false, reason: `"${text}" is not yes or no` };
    }
  }
}

/** SMS opt-in as written in a form, CSV or API: empty means "not set" (counts as opted in). */
export function parseOptIn(raw: unknown): { ok: true; value: boolean | null } | { ok: false; reason: string } {
  const parsed = parseFieldValue('boolean', raw);
  return parsed.ok ? { ok: true, value: parsed.value as boolean | null } : { ok: false, reason: 'SMS opt-in must be yes or no (or empty)' };
}

export function customFieldByKey(fields: CustomField[]): Map<string, CustomField> {
  return new Map(fields.map((field) => [field.key, field]));
}
