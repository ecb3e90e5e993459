// Naming a contact by an external id, as other systems know it: its phone (any way people write
// it, read as the contacts API reads it), its email (not case-sensitive), its id, or the value of
// one of the account's custom fields (read as that field's type, as imports read it). Used by the
// external event trigger API; a batch is resolved with one query (contact-keys.queries.ts).
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { normalisePhone } from '../../phone.js';
import { BIGINT_ID } from '../../plugins/schemas.js';
import { CustomField } from './custom-field.entity.js';
import { parseFieldValue } from './fields.js';
import { contactsByKeyOn, type KeyField } from './contact-keys.queries.js';

export type { KeyField };

/** What an external id names: a contact, or why not. */
export type KeyMatch = { contactId: string } | { problem: 'invalid' | 'not_found' | 'ambiguous'; reason: string };

const BUILT_IN_KEYS = ['phone', 'email', 'id'] as const;

/** The field `keyId` names ("phone", "email", "id" or a custom field's key), or null. */
export async function keyFieldOf(em: EntityManager, keyId: string): Promise<KeyField | null> {
  if ((BUILT_IN_KEYS as readonly string[]).includes(keyId)) return { kind: keyId as KeyField['kind'] } as KeyField;
  const field = await em.findOne(CustomField, { key: keyId });
  return field ? { kind: 'custom', key: field.key, type: field.type } : null;
}

/** An external id in the form the field stores it, or why it cannot name a contact. */
function storedForm(field: KeyField, raw: string, defaultCountry: string | null): { value: string } | { reason: string } {
  const text = raw.trim();
  if (!text) return { reason: 'No value was given for the key field.' };
  switch (field.kind) {
    case 'phone': {
      const phone = normalisePhone(text, defaultCountry);
      return phone.ok ? { value: phone.e164 } : { reason: phone.reason };
    }
    case 'email':
      return { value: text.toLowerCase() };
    case 'id':
      return BIGINT_ID.test(text) ? { value: text } : { reason: `"${text}" is not a contact id.` };
    case 'custom': {
      const parsed = parseFieldValue(field.type, text);
      if (!parsed.ok) return { reason: `The value ${parsed.reason}.` };
      return parsed.value === null ? { reason: 'No value was given for the key field.' } : { value: String(parsed.value) };
    }
  }
}

/** What each external id names, in order, looked up in one query on `client`. */
export async function matchContactsOn(client: pg.ClientBase, account: { id: string; defaultCountry?: string | null }, field: KeyField, externalIds: string[]): Promise<KeyMatch[]> {
  const forms = externalIds.map((raw) => storedForm(field, raw, account.defaultCountry ?? null));
  const values = [...new Set(forms.flatMap((form) => ('value' in form ? [form.value] : [])))];
  const hits = await contactsByKeyOn(client, account.id, field, values);
  return forms.map((form): KeyMatch => {
    if ('reason' in form) return { problem: 'invalid', reason: form.reason };
    const hit = hits.get(form.value);
    if (!hit) return { problem: 'not_found', reason: 'No contact found with the external id' };
    if (hit.count > 1) return { problem: 'ambiguous', reason: `${hit.count} contacts have this external id; use a key that names one.` };
    return { contactId: hit.id };
  });
}
