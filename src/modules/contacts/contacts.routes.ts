// Contacts: the table (search, filters, keyset pages, count, bulk add to a list), a contact's
// page (fields, lists, opt-in with its history, the messages it received), create, edit, opt
// in/out and erase.
import { describeContactZone, zoneChoices } from './time-zones.js';
import { contactsWithoutZone } from './time-zone-backfill.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { findOr404 } from '../../db/find.js';
import { COUNTRIES } from '../../phone.js';
import { formErrors, type TypedApp } from '../../plugins/validation.js';
import { BigIntId, BigIntIdParams, Form, IdText, OneOrMany, OptionalText, Text, WholeNumber, EmptyForm, asList, Uuid, LINE, PARAGRAPH } from '../../plugins/schemas.js';
import { Contact, isOptedIn } from './contact.entity.js';
import { ContactList } from './contact-list.entity.js';
import { ConsentEvent } from './consent.entity.js';
import { contactPage, countContacts, contactCountries, type ContactFilters } from './contact.queries.js';
import { addContactsToList, removeContactsFromList, listsOfContact } from './contact-lists.queries.js';
import { createContact, updateContact, changeOptIn, eraseContact, customFieldsOf, type ContactInput } from './contacts.service.js';
import { messagesOfContact } from './message-history.js';
import { conversationOf } from './conversation.js';
import { senderOptOutsOf } from './sender-opt-outs.js';

const PAGE_SIZE = 50;
/** A contact's page lists its newest messages, and says how many there are in all. */
const MESSAGES_SHOWN = 20;
/** The conversation shows the newest SMS both ways, oldest first. */
const CONVERSATION_SHOWN = 50;

// --- Schemas -------------------------------------------------------------------------------------
const IdParams = BigIntIdParams('contact');

const IndexQuery = Type.Object({
  q: OptionalText(LINE),
  opt_in: Type.Optional(Type.Enum(['', 'in', 'out'])),
  country: Type.Optional(Type.String({ pattern: '^([A-Za-z]{2})?$', description: 'a two-letter country code' })),
  list: Type.Optional(IdText()),
  bad: Type.Optional(Type.Enum(['', '1'])),
  after: Type.Optional(WholeNumber()),
  notice: OptionalText(300),
});

/** A contact's form; custom fields come as `field_<key>`. Presence, formats and lengths are the service's. */
const ContactForm = Form(
  {
    phone: OptionalText(LINE),
    email: OptionalText(LINE),
    first_name: OptionalText(LINE),
    last_name: OptionalText(LINE),
    sms_opt_in: OptionalText(LINE),
    time_zone: OptionalText(LINE),
  },
  { patternProperties: { '^field_': Text(PARAGRAPH) } },
);
type ContactFormBody = Static<typeof ContactForm>;

/** Checked rows of the contacts table (a page has 50). */
const ContactIds = Type.Optional(OneOrMany(BigIntId(), 1000, 'one or more contact ids (at most 1000)'));

function filtersOf(query: Static<typeof IndexQuery>): ContactFilters {
  return { q: query.q?.slice(0, 100), optIn: query.opt_in ?? '', country: query.country?.toUpperCase(), listId: query.list, badNumber: query.bad === '1' };
}

/** Form fields as the service expects them: custom fields come as `field_<key>`. */
function contactInput(body: ContactFormBody): ContactInput {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) {
    if (name.startsWith('field_') && typeof value === 'string') fields[name.slice(6)] = value;
  }
  return { phone: body.phone, email: body.email, first_name: body.first_name, last_name: body.last_name, fields, sms_opt_in: body.sms_opt_in, time_zone: body.time_zone ?? '' };
}

/** A schema error on `field_<key>` shows where the service's would: on `fields.<key>`. */
const onFormFields = (fields: Record<string, string>) => Object.fromEntries(Object.entries(fields).map(([name, message]) => [name.startsWith('field_') ? `fields.${name.slice(6)}` : name, message]));

export async function contactsRoutes(app: TypedApp) {
  app.get('/', { schema: { querystring: IndexQuery } }, async (request, reply) => {
    const account = request.account!;
    const filters = filtersOf(request.query);
    const after = request.query.after ? Number(request.query.after) : undefined;
    const [page, total, countries, lists, withoutZone] = await Promise.all([
      contactPage(request.em, account.id, filters, { after, limit: PAGE_SIZE }, account.defaultCountry ?? null),
      countContacts(request.em, account.id, filters, account.defaultCountry ?? null),
      contactCountries(request.em, account.id),
      request.em.find(ContactList, {}, { orderBy: { name: 'asc' } }),
      contactsWithoutZone(request.em, account.id),
    ]);
    const query = new URLSearchParams(Object.entries({ q: filters.q, opt_in: filters.optIn, country: filters.country, list: filters.listId, bad: filters.badNumber ? '1' : '' }).filter(([, v]) => v) as [string, string][]);
    const present = new Set(countries);
    const data = { page, total, countries: COUNTRIES.filter((country) => present.has(country.code)), lists, filters, query: query.toString(), after, notice: request.query.notice ?? null, withoutZone };
    // The filter form refreshes only the results as the user types.
    if (request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'section#contact-results') {
      return reply.type('text/html; charset=utf-8').send(await reply.viewAsync('contacts/_results', { ...data, csrfToken: reply.csrfToken(), user: request.user }));
    }
    return reply.page('contacts/index', data, { title: 'Contacts', tab: 'contacts' });
  });

  app.post('/bulk', { schema: { body: Form({ ids: ContactIds, list: Type.Optional(IdText()) }) } }, async (request, reply) => {
    const ids = asList(request.body.ids).map(Number);
    if (!ids.length) return reply.redirect('/contacts?notice=' + encodeURIComponent('Select at least one contact.'), 303);
    const list = await findOr404(request.em, ContactList, request.body.list ?? '', 'contact list');
    const added = await addContactsToList(request.em, request.account!.id, list.id, ids);
    return reply.redirect(`/contacts?notice=${encodeURIComponent(`${added} contact(s) added to ${list.name}.`)}`, 303);
  });

  // --- Create -------------------------------------------------------------------------------
  const formPage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, string>, errors: Record<string, string>, contact: Contact | null) =>
    reply.page('contacts/form', { values, errors, contact, customFields: [...(await customFieldsOf(request.em)).values()], timeZones: zoneChoices(values.time_zone) }, { title: contact ? `Edit ${contact.phone}` : 'New contact', tab: 'contacts' });

  app.get('/new', async (request, reply) => formPage(request, reply, {}, {}, null));

  app.post(
    '/',
    { schema: { body: ContactForm }, errorHandler: formErrors((request, reply, { fields, values }) => formPage(request, reply, values, onFormFields(fields), null)) },
    async (request, reply) => {
      const contact = await createContact(request.em, request.account!, contactInput(request.body), request.actor);
      await request.em.flush();
      return reply.redirect(`/contacts/${contact.id}`, 303);
    },
  );

  // --- One contact ----------------------------------------------------------------------------
  app.get('/:id', { schema: { params: IdParams } }, async (request, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact');
    const [lists, history, customFields, allLists, messages, conversation, senderOptOuts] = await Promise.all([
      listsOfContact(request.em, request.account!.id, contact.id),
      request.em.find(ConsentEvent, { contact: contact.id }, { orderBy: { id: 'desc' }, limit: 50 }),
      customFieldsOf(request.em),
      request.em.find(ContactList, {}, { orderBy: { name: 'asc' } }),
      messagesOfContact(request.em, request.account!.id, contact.id, MESSAGES_SHOWN),
      conversationOf(request.em, request.account!.id, contact, CONVERSATION_SHOWN),
      senderOptOutsOf(request.em, request.account!.id, contact.id),
    ]);
    return reply.page(
      'contacts/detail',
      { contact, optedIn: isOptedIn(contact), zone: describeContactZone(contact), lists, allLists, history, customFields: [...customFields.values()], messages, conversation, senderOptOuts, timeZone: request.account!.timeZone },
      { title: contact.phone, tab: 'contacts' },
    );
  });

  app.get('/:id/edit', { schema: { params: IdParams } }, async (request, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact');
    const values: Record<string, string> = { phone: contact.phone, email: contact.email ?? '', first_name: contact.firstName ?? '', last_name: contact.lastName ?? '', time_zone: contact.timeZoneSource === 'set' ? (contact.timeZone ?? '') : '' };
    for (const [key, value] of Object.entries(contact.fields)) values[`field_${key}`] = String(value);
    return formPage(request, reply, values, {}, contact);
  });

  app.post(
    '/:id',
    {
      schema: { params: IdParams, body: ContactForm },
      errorHandler: formErrors<Static<typeof IdParams>>(async (request, reply, { fields, values }) =>
        formPage(request, reply, values, onFormFields(fields), await findOr404(request.em, Contact, request.params.id, 'contact')),
      ),
    },
    async (request, reply) => {
      const contact = await findOr404(request.em, Contact, request.params.id, 'contact', { populate: ['account'] });
      await updateContact(request.em, contact, contactInput(request.body), request.actor);
      await request.em.flush();
      return reply.redirect(`/contacts/${contact.id}`, 303);
    },
  );

  app.post('/:id/opt-in', { schema: { params: IdParams, body: Form({ sms_opt_in: Type.Enum(['yes', 'no']) }) } }, async (request, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact', { populate: ['account'] });
    const optedIn = request.body.sms_opt_in === 'yes';
    if (optedIn !== isOptedIn(contact)) await changeOptIn(request.em, contact, optedIn, 'manual', request.actor);
    await request.em.flush();
    return reply.redirect(`/contacts/${contact.id}`, 303);
  });

  app.post('/:id/lists', { schema: { params: IdParams, body: Form({ list: Type.Optional(IdText()) }) } }, async (request, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact');
    const list = await findOr404(request.em, ContactList, request.body.list ?? '', 'contact list');
    await addContactsToList(request.em, request.account!.id, list.id, [contact.id]);
    return reply.redirect(`/contacts/${contact.id}`, 303);
  });

  const ListParams = Type.Object({ id: IdParams.properties.id, listId: Uuid({ errorMessage: 'There is no such contact list.' }) });
  app.post('/:id/lists/:listId/remove', { schema: { params: ListParams, body: EmptyForm() } }, async (request, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact');
    const list = await findOr404(request.em, ContactList, request.params.listId, 'contact list');
    await removeContactsFromList(request.em, request.account!.id, list.id, [contact.id]);
    return reply.redirect(`/contacts/${contact.id}`, 303);
  });

  app.get('/:id/delete', { schema: { params: IdParams } }, async (request, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact');
    return reply.page('contacts/delete', { contact }, { title: `Delete ${contact.phone}`, tab: 'contacts' });
  });

  app.post('/:id/delete', { schema: { params: IdParams, body: EmptyForm() } }, async (request, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact', { populate: ['account'] });
    await eraseContact(request.em, contact, request.actor);
    await request.em.flush();
    return reply.redirect(`/contacts?notice=${encodeURIComponent('The contact and its personal data were deleted.')}`, 303);
  });
}
