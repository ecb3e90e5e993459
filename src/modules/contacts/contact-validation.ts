// The rules of one contact's values, shared by the contact form, the API, automation steps and
// the CSV import. Free of the database and the ORM, so an import's worker threads can load it.
import type { CustomField } from './custom-field.entity.js';
import { normalisePhone, type PhoneResult } from '../../phone.js';
import { parseFieldValue, parseOptIn, LIMITS, type FieldValue } from './fields.js';
import { contactTimeZone, type TimeZoneSource } from './time-zones.js';

/** The account's custom fields by key, as far as validation reads them. */
export type FieldTypes = Map<string, Pick<CustomField, 'type' | 'label'>>;

/** A contact as a form, the API or a CSV row gives it: every value still text (or JSON). */
export interface ContactInput {
  phone?: unknown;
  email?: unknown;
  first_name?: unknown;
  last_name?: unknown;
  fields?: Record<string, unknown>;
  sms_opt_in?: unknown;
  /** An IANA zone chosen by a user; empty: the zone of the number. */
  time_zone?: unknown;
}

export interface ValidContact {
  phone: string;
  country: string | null;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  fields: Record<string, FieldValue | null>;
  /** undefined: not given. */
  sms_opt_in: boolean | null | undefined;
  time_zone: string | null;
  time_zone_source: TimeZoneSource;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function optionalText(raw: unknown, max: number, label: string, errors: Record<string, string>, key: string): string | null {
  if (raw === undefined || raw === null) return null;
  const text = String(raw).trim();
  if (!text) return null;
  if (text.length > max) errors[key] = `${label} can have at most ${max} characters.`;
  return text;
}

/** The fields one value can be written to outside the contact form (an automation step). */
export const WRITABLE_BUILT_IN_FIELDS = ['email', 'first_name', 'last_name'] as const;

/** Validates one value for one field (a built-in one of WRITABLE_BUILT_IN_FIELDS, or a custom
 * field's key) by the contact form's own rules; an empty value clears the field. */
export function validateFieldValue(key: string, raw: unknown, customFields: FieldTypes): { ok: true; value: FieldValue | null } | { ok: false; reason: string } {
  if (!(WRITABLE_BUILT_IN_FIELDS as readonly string[]).includes(key) && !customFields.has(key)) return { ok: false, reason: `There is no field "${key}".` };
  const { value, errors } = validateContact({ phone: '+15555550100', ...(customFields.has(key) ? { fields: { [key]: raw } } : { [key]: raw }) }, customFields, null);
  const problem = errors[key] ?? errors[`fields.${key}`];
  if (problem) return { ok: false, reason: problem };
  return { ok: true, value: customFields.has(key) ? (value.fields[key] ?? null) : (value[key as (typeof WRITABLE_BUILT_IN_FIELDS)[number]] ?? null) };
}

/** Validates one contact; `errors` maps field names to messages (empty when valid). */
export function validateContact(input: ContactInput, customFields: FieldTypes, defaultCountry: string | null): { value: ValidContact; errors: Record<string, string> } {
  return validateContactWith(normalisePhone(String(input.phone ?? ''), defaultCountry), input, customFields);
}

/** validateContact with the number already read (`input.phone` is then only its text as given):
 * an import reads its numbers with parsePhoneForImport. */
export function validateContactWith(phone: PhoneResult, input: ContactInput, customFields: FieldTypes): { value: ValidContact; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  if (!phone.ok) errors.phone = phone.reason;
  const email = optionalText(input.email, LIMITS.email, 'The email', errors, 'email')?.toLowerCase() ?? null;
  if (email && !errors.email && !EMAIL.test(email)) errors.email = `"${email}" is not an email address.`;
  const firstName = optionalText(input.first_name, LIMITS.firstName, 'The first name', errors, 'first_name');
  const lastName = optionalText(input.last_name, LIMITS.lastName, 'The last name', errors, 'last_name');
  const fields: Record<string, FieldValue | null> = {};
  for (const [key, raw] of Object.entries(input.fields ?? {})) {
    const field = customFields.get(key);
    if (!field) {
      errors[`fields.${key}`] = `There is no custom field "${key}".`;
      continue;
    }
    const parsed = parseFieldValue(field.type, raw);
    if (parsed.ok) fields[key] = parsed.value;
    else errors[`fields.${key}`] = `${field.label} ${parsed.reason}.`;
  }
  const zone = contactTimeZone(phone.ok ? phone.e164 : null, input.time_zone);
  if (!zone.ok) errors.time_zone = zone.reason;
  let smsOptIn: boolean | null | undefined;
  if (input.sms_opt_in !== undefined) {
    const parsed = parseOptIn(input.sms_opt_in);
    if (parsed.ok) smsOptIn = parsed.value;
    else errors.sms_opt_in = parsed.reason + '.';
  }
  return {
    value: { phone: phone.ok ? phone.e164 : String(input.phone ?? '').trim(), country: phone.ok ? phone.country : null, email, first_name: firstName, last_name: lastName, fields, sms_opt_in: smsOptIn,
      time_zone: zone.ok ? zone.zone : null, time_zone_source: zone.ok ? zone.source : 'number' },
    errors,
  };
}
