// The rules for one contact at a time: validation (shared with the API and import), create,
// update, opt-in changes with their consent evidence, and erasure. The consent rules themselves
// (events, suppression) are consent.queries.ts's, shared with the inbound keywords: this file
// asks them on the EntityManager's transaction and lets the entity follow.
import type { EntityManager } from '@mikro-orm/postgresql';
import { ValidationError } from '../../errors.js';
import type { Account } from '../accounts/index.js';
import { Contact } from './contact.entity.js';
import { CustomField } from './custom-field.entity.js';
import { ConsentEvent, Suppression } from './consent.entity.js';
import { phoneHash } from '../../phone.js';
import { withTransactionClient } from '../../db/raw-client.js';
import { setOptInsOn, startOptInsOn, type OptInState } from './consent.queries.js';
import type { FieldValue } from './fields.js';
import { eraseCopies } from './erasure.js';
import { validateContact, type ContactInput } from './contact-validation.js';

export { validateContact, validateFieldValue, WRITABLE_BUILT_IN_FIELDS, type ContactInput, type ValidContact } from './contact-validation.js';

export async function customFieldsOf(em: EntityManager): Promise<Map<string, CustomField>> {
  const fields = await em.find(CustomField, {}, { orderBy: { label: 'asc' } });
  return new Map(fields.map((field) => [field.key, field]));
}

/** The entity takes the opt-in the consent rules wrote (so a later flush writes the same). */
function follow(contact: Contact, state: OptInState): void {
  contact.smsOptIn = state.smsOptIn;
  contact.optOutSource = state.optOutSource;
  contact.optedOutAt = state.optedOutAt;
}

/** Creates a contact (in one transaction with its starting opt-in: a suppressed number starts
 * opted out, whatever the form says). */
export async function createContact(em: EntityManager, account: Account, input: ContactInput, actor: string): Promise<Contact> {
  const { value, errors } = validateContact(input, await customFieldsOf(em), account.defaultCountry ?? null);
  if (!errors.phone && (await em.count(Contact, { phone: value.phone }))) errors.phone = `A contact with the number ${value.phone} already exists.`;
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return em.transactional(async (tx) => {
    const contact = tx.create(Contact, {
      account,
      phone: value.phone,
      country: value.country,
      timeZone: value.time_zone,
      timeZoneSource: value.time_zone_source,
      email: value.email,
      firstName: value.first_name,
      lastName: value.last_name,
      fields: stripNulls(value.fields),
    });
    // Inserted first: the starting opt-in's consent event names it.
    await tx.persist(contact).flush();
    const [state] = await withTransactionClient(tx, (client) =>
      startOptInsOn(client, [{ accountId: account.id, contactId: String(contact.id), phone: value.phone, given: value.sms_opt_in ?? null, join: false, source: 'manual', actor }]),
    );
    follow(contact, state!);
    return contact;
  });
}

export async function updateContact(em: EntityManager, contact: Contact, input: ContactInput, actor: string, source: 'manual' | 'api' = 'manual'): Promise<void> {
  const { value, errors } = validateContact(input, await customFieldsOf(em), contact.account.defaultCountry ?? null);
  if (!errors.phone && value.phone !== contact.phone && (await em.count(Contact, { phone: value.phone }))) {
    errors.phone = `A contact with the number ${value.phone} already exists.`;
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  Object.assign(contact, { phone: value.phone, country: value.country, email: value.email, firstName: value.first_name, lastName: value.last_name, badNumber: false });
  // A zone chosen by hand stays when the request does not mention it (an API update of the name).
  if (input.time_zone !== undefined || contact.timeZoneSource !== 'set') Object.assign(contact, { timeZone: value.time_zone, timeZoneSource: value.time_zone_source });
  contact.fields = stripNulls({ ...contact.fields, ...value.fields });
  if (value.sms_opt_in !== undefined) {
    const optedIn = value.sms_opt_in !== false;
    if (optedIn !== (contact.smsOptIn !== false)) await changeOptIn(em, contact, optedIn, source, actor);
  }
}

/** Opts a contact in or out by hand or by its unsubscribe link: a consent event
 * when that changes it, and opting in lifts a suppression (consent.queries.ts). Written at once,
 * on em's transaction when it has one. */
export async function changeOptIn(em: EntityManager, contact: Contact, optedIn: boolean, source: 'manual' | 'api' | 'unsubscribe_link' | 'stop_keyword', actor: string): Promise<void> {
  const change = { accountId: contact.account.id, contactId: String(contact.id), phone: contact.phone, optedIn, source, actor };
  const [result] = await withTransactionClient(em, (client) => setOptInsOn(client, [change]));
  follow(contact, result!.state!);
}

/** Erasure: the contact and its personal data go (from its messages too); an opted-out number
 * stays suppressed (as a hash), and the consent history stays, detached from the contact. */
export async function eraseContact(em: EntityManager, contact: Contact, actor: string): Promise<void> {
  const hash = phoneHash(contact.account.id, contact.phone);
  if (contact.smsOptIn === false && !contact.badNumber) {
    await em.upsert(Suppression, { account: contact.account, phoneHash: hash, source: contact.optOutSource ?? 'manual' });
  }
  em.persist(em.create(ConsentEvent, { account: contact.account, contact: null, phoneHash: hash, optedIn: false, source: 'erased', actor }));
  // Every copy other modules keep goes too (messages keep counts and costs, without the number,
  // the text or the short-link token; what had not left yet never will).
  await eraseCopies(em, { accountId: contact.account.id, contactId: contact.id, phone: contact.phone });
  em.remove(contact);
}

function stripNulls(fields: Record<string, FieldValue | null>): Record<string, FieldValue> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null)) as Record<string, FieldValue>;
}
