// The contacts API (Bearer key, scoped to the key's account):
//   POST   /api/v1/contacts                    upsert up to 1,000 contacts, per-item results
//   GET    /api/v1/contacts?phone=+33...       one contact by phone
//   DELETE /api/v1/contacts/:id                erase a contact
//   POST   /api/v1/contact-lists               create a list, optionally with phones
//   POST   /api/v1/contact-lists/:id/contacts  add contacts to a list by phone
import { Type } from 'typebox';
import { NotFoundError, ValidationError } from '../../errors.js';
import { findOr404 } from '../../db/find.js';
import { inTransaction } from '../../db/raw-client.js';
import { findMalformedText, type TypedApp } from '../../plugins/validation.js';
import { BigIntIdParams, LINE, Text, UuidParams } from '../../plugins/schemas.js';
import { Contact } from './contact.entity.js';
import { ContactList } from './contact-list.entity.js';
import { customFieldsOf, eraseContact, validateContact, type ContactInput } from './contacts.service.js';
import { createStageOn, stageRowsOn, mergeStagedOn, type StagedContact } from './contact-merge.queries.js';
import { addPhonesToList, listsOfContact } from './contact-lists.queries.js';
import { createList } from './contact-lists.service.js';
import { normalisePhone, normalisePhones } from '../../phone.js';

export const MAX_CONTACTS_PER_CALL = 1000;

// --- Schemas (shape only: what a contact may contain is the service's rule, answered per item) ---
const SEND_CONTACTS = 'Send {"contacts": [...]}, an array of contacts.';
const UpsertBody = Type.Object(
  {
    // Items stay unknown here: a bad item is reported in the answer's `errors`, not as a 400.
    contacts: Type.Array(Type.Unknown(), {
      maxItems: MAX_CONTACTS_PER_CALL,
      errorMessage: { type: SEND_CONTACTS, required: SEND_CONTACTS, maxItems: 'At most {limit} contacts per call; this one has {count}.' },
    }),
  },
  { errorMessage: { type: SEND_CONTACTS } },
);

const LOOKUP = 'Give the number to look up: /api/v1/contacts?phone=%2B33612345678';
const LookupQuery = Type.Object({ phone: Type.String({ minLength: 1, maxLength: LINE, errorMessage: { required: LOOKUP, minLength: LOOKUP } }) });

const PHONES = '"phones" must be an array of strings.';
const Phones = Type.Array(Type.String({ maxLength: LINE, errorMessage: { type: PHONES } }), {
  maxItems: MAX_CONTACTS_PER_CALL,
  errorMessage: { type: PHONES, required: 'Send {"phones": [...]}.', maxItems: 'At most {limit} phones per call.' },
});
/** The name's presence and uniqueness are the service's rules (422 with a field error). */
const NewListBody = Type.Object({ name: Type.Optional(Text(LINE)), phones: Type.Optional(Phones) });
const AddPhonesBody = Type.Object({ phones: Phones });

const ERROR_CODES: Record<string, string> = { phone: 'invalid_phone', email: 'invalid_email', first_name: 'too_long', last_name: 'too_long', sms_opt_in: 'invalid_opt_in', time_zone: 'invalid_time_zone' };
const BUILT_IN = ['phone', 'email', 'first_name', 'last_name', 'sms_opt_in', 'time_zone'] as const;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const kindOf = (value: unknown) => (Array.isArray(value) ? 'a list' : 'an object');

/** The per-item shape problem of one contact of an upsert, if any (answered in `errors`). */
function itemProblem(item: unknown): { code: string; message: string } | null {
  if (!isObject(item)) return { code: 'invalid_item', message: 'Each contact is an object.' };
  const malformed = findMalformedText(item);
  if (malformed) return { code: 'invalid_item', message: `"${malformed.path}" ${malformed.problem}.` };
  for (const key of BUILT_IN) {
    if (typeof item[key] === 'object' && item[key] !== null) return { code: 'invalid_item', message: `"${key}" must be a single value, not ${kindOf(item[key])}.` };
  }
  if (item.fields === undefined) return null;
  if (!isObject(item.fields)) return { code: 'invalid_field', message: '"fields" is an object of custom field values.' };
  for (const [key, value] of Object.entries(item.fields)) {
    if (typeof value === 'object' && value !== null) return { code: 'invalid_field', message: `The value of the custom field "${key}" must be a single value, not ${kindOf(value)}.` };
  }
  return null;
}

function serialise(contact: Contact, lists?: { id: string; name: string }[]) {
  return {
    id: contact.id,
    phone: contact.phone,
    country: contact.country,
    time_zone: contact.timeZone,
    time_zone_source: contact.timeZoneSource,
    email: contact.email,
    first_name: contact.firstName,
    last_name: contact.lastName,
    fields: contact.fields,
    sms_opt_in: contact.smsOptIn !== false,
    opt_out_source: contact.optOutSource,
    opted_out_at: contact.optedOutAt?.toISOString() ?? null,
    bad_number: contact.badNumber,
    ...(lists ? { lists } : {}),
    created_at: contact.createdAt.toISOString(),
    updated_at: contact.updatedAt.toISOString(),
  };
}

/** Phone numbers from a JSON body (shape checked by the schema), normalised; the ones that are
 * not numbers apart. */
function phonesOf(values: string[] | undefined, defaultCountry: string | null): { phones: string[]; invalid: string[] } {
  const { numbers, invalid } = normalisePhones(values ?? [], defaultCountry);
  return { phones: numbers.map((n) => n.e164), invalid };
}

export async function contactsApiRoutes(app: TypedApp) {
  app.post('/contacts', { schema: { body: UpsertBody }, config: { itemisedBody: 'contacts' } }, async (request, reply) => {
    const items = request.body.contacts;
    const account = request.account!;
    const customFields = await customFieldsOf(request.em);
    const errors: { index: number; code: string; message: string }[] = [];
    const rows: StagedContact[] = [];
    items.forEach((item, index) => {
      const problem = itemProblem(item);
      if (problem) {
        errors.push({ index, ...problem });
        return;
      }
      const { value, errors: fieldErrors } = validateContact(item as ContactInput, customFields, account.defaultCountry ?? null);
      const [field, message] = Object.entries(fieldErrors)[0] ?? [];
      if (field) {
        errors.push({ index, code: field.startsWith('fields.') ? (message.startsWith('There is no') ? 'unknown_field' : 'invalid_field') : ERROR_CODES[field] ?? 'invalid', message });
        return;
      }
      rows.push({ line: index, phone: value.phone, country: value.country, email: value.email, first_name: value.first_name, last_name: value.last_name, fields: value.fields, sms_opt_in: value.sms_opt_in ?? null, bad_number: false, time_zone: value.time_zone,
        // An explicit null or "" asks for the number's zone again, even over one set before.
        time_zone_source: value.time_zone_source === 'number' && (item as ContactInput).time_zone !== undefined ? 'reset' : value.time_zone_source,
      });
    });
    const result = rows.length
      ? await inTransaction(request.em, async (client) => {
          await createStageOn(client);
          await stageRowsOn(client, rows);
          return mergeStagedOn(client, { accountId: account.id, existing: 'update', allowOptIn: true, source: 'api', actor: request.actor });
        })
      : null;
    for (const duplicate of result?.duplicates ?? []) {
      errors.push({ index: duplicate.line, code: 'duplicate', message: `Same phone as item ${duplicate.keptLine}, which was used instead.` });
    }
    errors.sort((a, b) => a.index - b.index);
    return reply.code(200).send({ created: result?.created ?? 0, updated: result?.updated ?? 0, errors });
  });

  app.get('/contacts', { schema: { querystring: LookupQuery } }, async (request) => {
    const phone = normalisePhone(request.query.phone, request.account!.defaultCountry ?? null);
    if (!phone.ok) throw new ValidationError({ phone: phone.reason }, phone.reason);
    const contact = await request.em.findOne(Contact, { phone: phone.e164 });
    if (!contact) throw new NotFoundError(`No contact has the number ${phone.e164}.`);
    return serialise(contact, await listsOfContact(request.em, request.account!.id, contact.id));
  });

  app.delete('/contacts/:id', { schema: { params: BigIntIdParams('contact') } }, async (request, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact', { populate: ['account'] });
    await eraseContact(request.em, contact, request.actor);
    await request.em.flush();
    return reply.code(204).send();
  });

  app.post('/contact-lists', { schema: { body: NewListBody } }, async (request, reply) => {
    const { phones, invalid } = phonesOf(request.body.phones, request.account!.defaultCountry ?? null);
    const list = await createList(request.em, request.account!, request.body.name ?? '');
    const added = await addPhonesToList(request.em, request.account!.id, list.id, phones);
    return reply.code(201).send({ id: list.id, name: list.name, added: added.added, not_found: added.notFound, invalid });
  });

  app.post('/contact-lists/:id/contacts', { schema: { params: UuidParams('contact list'), body: AddPhonesBody } }, async (request) => {
    const list = await findOr404(request.em, ContactList, request.params.id, 'contact list');
    const { phones, invalid } = phonesOf(request.body.phones, request.account!.defaultCountry ?? null);
    const added = await addPhonesToList(request.em, request.account!.id, list.id, phones);
    return { added: added.added, not_found: added.notFound, invalid };
  });
}
