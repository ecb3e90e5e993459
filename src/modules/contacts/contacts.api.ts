// The contacts API (Bearer key, scoped to the key's account):
//   POST   /api/v1/contacts                    upsert up to 1,000 contacts, per-item results
//   GET    /api/v1/contacts?phone=+33...       one contact by phone
//   DELETE /api/v1/contacts/:id                erase a contact
//   POST   /api/v1/contact-lists               create a list, optionally with phones
//   POST   /api/v1/contact-lists/:id/contacts  add contacts to a list by phone
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, NotFoundError, ValidationError } from '../../errors.js';
import { findOr404 } from '../../db/find.js';
import { inTransaction } from '../../db/raw-client.js';
import { Contact } from './contact.entity.js';
import { ContactList } from './contact-list.entity.js';
import { customFieldsOf, eraseContact, validateContact, type ContactInput } from './contacts.service.js';
import { createStage, stageRows, mergeStaged, type StagedContact } from './contact-merge.queries.js';
import { addPhonesToList, listsOfContact } from './contact-lists.queries.js';
import { createList } from './contact-lists.service.js';
import { normalisePhone } from '../../phone.js';

export const MAX_CONTACTS_PER_CALL = 1000;

class BadRequest extends AppError {
  constructor(message: string) {
    super(400, 'bad_request', message);
  }
}

const ERROR_CODES: Record<string, string> = { phone: 'invalid_phone', email: 'invalid_email', first_name: 'too_long', last_name: 'too_long', sms_opt_in: 'invalid_opt_in' };

function serialise(contact: Contact, lists?: { id: string; name: string }[]) {
  return {
    id: contact.id,
    phone: contact.phone,
    country: contact.country,
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

/** An array of phone numbers from a JSON body, normalised; the ones that are not numbers apart. */
function phonesOf(value: unknown, defaultCountry: string | null): { phones: string[]; invalid: string[] } {
  if (value === undefined) return { phones: [], invalid: [] };
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string')) throw new BadRequest('"phones" must be an array of strings.');
  if (value.length > MAX_CONTACTS_PER_CALL) throw new BadRequest(`At most ${MAX_CONTACTS_PER_CALL} phones per call.`);
  const phones: string[] = [];
  const invalid: string[] = [];
  for (const raw of value as string[]) {
    const phone = normalisePhone(raw, defaultCountry);
    if (phone.ok) phones.push(phone.e164);
    else invalid.push(raw);
  }
  return { phones, invalid };
}

export async function contactsApiRoutes(app: FastifyInstance) {
  app.post('/contacts', async (request: FastifyRequest<{ Body: { contacts?: unknown } }>, reply) => {
    const items = request.body?.contacts;
    if (!Array.isArray(items)) throw new BadRequest('Send {"contacts": [...]}, an array of contacts.');
    if (items.length > MAX_CONTACTS_PER_CALL) throw new BadRequest(`At most ${MAX_CONTACTS_PER_CALL} contacts per call; this one has ${items.length}.`);
    const account = request.account!;
    const customFields = await customFieldsOf(request.em);
    const errors: { index: number; code: string; message: string }[] = [];
    const rows: StagedContact[] = [];
    items.forEach((item, index) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        errors.push({ index, code: 'invalid_item', message: 'Each contact is an object.' });
        return;
      }
      const input = item as ContactInput & { fields?: unknown };
      if (input.fields !== undefined && (typeof input.fields !== 'object' || input.fields === null || Array.isArray(input.fields))) {
        errors.push({ index, code: 'invalid_field', message: '"fields" is an object of custom field values.' });
        return;
      }
      const { value, errors: fieldErrors } = validateContact(input, customFields, account.defaultCountry ?? null);
      const [field, message] = Object.entries(fieldErrors)[0] ?? [];
      if (field) {
        errors.push({ index, code: field.startsWith('fields.') ? (message.startsWith('There is no') ? 'unknown_field' : 'invalid_field') : ERROR_CODES[field] ?? 'invalid', message });
        return;
      }
      rows.push({ line: index, phone: value.phone, country: value.country, email: value.email, first_name: value.first_name, last_name: value.last_name, fields: value.fields, sms_opt_in: value.sms_opt_in ?? null, bad_number: false });
    });
    const result = rows.length
      ? await inTransaction(request.em, async (client) => {
          await createStage(client);
          await stageRows(client, rows);
          return mergeStaged(client, { accountId: account.id, existing: 'update', allowOptIn: true, source: 'api', actor: request.actor });
        })
      : null;
    for (const duplicate of result?.duplicates ?? []) {
      errors.push({ index: duplicate.line, code: 'duplicate', message: `Same phone as item ${duplicate.keptLine}, which was used instead.` });
    }
    errors.sort((a, b) => a.index - b.index);
    return reply.code(200).send({ created: result?.created ?? 0, updated: result?.updated ?? 0, errors });
  });

  app.get('/contacts', async (request: FastifyRequest<{ Querystring: { phone?: string } }>) => {
    if (!request.query.phone) throw new BadRequest('Give the number to look up: /api/v1/contacts?phone=%2B33612345678');
    const phone = normalisePhone(request.query.phone, request.account!.defaultCountry ?? null);
    if (!phone.ok) throw new ValidationError({ phone: phone.reason }, phone.reason);
    const contact = await request.em.findOne(Contact, { phone: phone.e164 });
    if (!contact) throw new NotFoundError(`No contact has the number ${phone.e164}.`);
    return serialise(contact, await listsOfContact(request.em, request.account!.id, contact.id));
  });

  app.delete('/contacts/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact', { populate: ['account'] });
    await eraseContact(request.em, contact, request.actor);
    await request.em.flush();
    return reply.code(204).send();
  });

  app.post('/contact-lists', async (request: FastifyRequest<{ Body: { name?: unknown; phones?: unknown } }>, reply) => {
    if (typeof request.body?.name !== 'string') throw new ValidationError({ name: 'Give the list a name.' }, 'Give the list a name.');
    const { phones, invalid } = phonesOf(request.body.phones, request.account!.defaultCountry ?? null);
    const list = await createList(request.em, request.account!, request.body.name);
    const added = await addPhonesToList(request.em, request.account!.id, list.id, phones);
    return reply.code(201).send({ id: list.id, name: list.name, added: added.added, not_found: added.notFound, invalid });
  });

  app.post('/contact-lists/:id/contacts', async (request: FastifyRequest<{ Params: { id: string }; Body: { phones?: unknown } }>) => {
    const list = await findOr404(request.em, ContactList, request.params.id, 'contact list');
    if (request.body?.phones === undefined) throw new BadRequest('Send {"phones": [...]}.');
    const { phones, invalid } = phonesOf(request.body.phones, request.account!.defaultCountry ?? null);
    const added = await addPhonesToList(request.em, request.account!.id, list.id, phones);
    return { added: added.added, not_found: added.notFound, invalid };
  });
}
