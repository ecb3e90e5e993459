// Contacts: the table (search, filters, keyset pages, count, bulk add to a list), a contact's
// page (fields, lists, opt-in with its history), create, edit, opt in/out and erase.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../../errors.js';
import { findOr404 } from '../../db/find.js';
import { Contact, isOptedIn } from './contact.entity.js';
import { ContactList } from './contact-list.entity.js';
import { ConsentEvent } from './consent.entity.js';
import { contactPage, countContacts, contactCountries, type ContactFilters } from './contact.queries.js';
import { addContactsToList, removeContactsFromList, listsOfContact } from './contact-lists.queries.js';
import { createContact, updateContact, changeOptIn, eraseContact, customFieldsOf, type ContactInput } from './contacts.service.js';

type Form = Record<string, string | string[] | undefined>;
type WithId = FastifyRequest<{ Params: { id: string }; Body: Form }>;
const PAGE_SIZE = 50;

function filtersOf(query: Record<string, string | undefined>): ContactFilters {
  const optIn = query.opt_in === 'in' || query.opt_in === 'out' ? query.opt_in : '';
  return { q: query.q?.slice(0, 100), optIn, country: query.country?.toUpperCase(), listId: query.list, badNumber: query.bad === '1' };
}

/** Form fields as the service expects them: custom fields come as `field_<key>`. */
function contactInput(body: Form): ContactInput {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) {
    if (name.startsWith('field_') && typeof value === 'string') fields[name.slice(6)] = value;
  }
  return { phone: body.phone, email: body.email, first_name: body.first_name, last_name: body.last_name, fields, sms_opt_in: body.sms_opt_in === undefined ? undefined : body.sms_opt_in };
}

export async function contactsRoutes(app: FastifyInstance) {
  app.get('/', async (request: FastifyRequest<{ Querystring: Record<string, string | undefined> }>, reply) => {
    const account = request.account!;
    const filters = filtersOf(request.query);
    const after = /^\d{1,15}$/.test(request.query.after ?? '') ? Number(request.query.after) : undefined;
    const [page, total, countries, lists] = await Promise.all([
      contactPage(request.em, account.id, filters, { after, limit: PAGE_SIZE }, account.defaultCountry ?? null),
      countContacts(request.em, account.id, filters, account.defaultCountry ?? null),
      contactCountries(request.em, account.id),
      request.em.find(ContactList, {}, { orderBy: { name: 'asc' } }),
    ]);
    const query = new URLSearchParams(Object.entries({ q: filters.q, opt_in: filters.optIn, country: filters.country, list: filters.listId, bad: filters.badNumber ? '1' : '' }).filter(([, v]) => v) as [string, string][]);
    const data = { page, total, countries, lists, filters, query: query.toString(), after, notice: (request.query as Record<string, string>).notice ?? null };
    // The filter form refreshes only the results as the user types.
    if (request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'section#contact-results') {
      return reply.type('text/html; charset=utf-8').send(await reply.viewAsync('contacts/_results', { ...data, csrfToken: reply.csrfToken(), user: request.user }));
    }
    return reply.page('contacts/index', data, { title: 'Contacts', tab: 'contacts' });
  });

  app.post('/bulk', async (request: FastifyRequest<{ Body: Form }>, reply) => {
    const ids = ([] as string[]).concat(request.body.ids ?? []).filter((id) => /^\d{1,15}$/.test(id)).map(Number);
    const listId = String(request.body.list ?? '');
    if (!ids.length) return reply.redirect('/contacts?notice=' + encodeURIComponent('Select at least one contact.'), 303);
    const list = await findOr404(request.em, ContactList, listId, 'contact list');
    const added = await addContactsToList(request.em, request.account!.id, list.id, ids);
    return reply.redirect(`/contacts?notice=${encodeURIComponent(`${added} contact(s) added to ${list.name}.`)}`, 303);
  });

  // --- Create -------------------------------------------------------------------------------
  const formPage = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors: Record<string, string>, contact: Contact | null, status = 200) =>
    reply.page('contacts/form', { values, errors, contact, customFields: [...(await customFieldsOf(request.em)).values()] }, { title: contact ? `Edit ${contact.phone}` : 'New contact', tab: 'contacts', status });

  app.get('/new', async (request, reply) => formPage(request, reply, {}, {}, null));

  app.post('/', async (request: FastifyRequest<{ Body: Form }>, reply) => {
    try {
      const contact = await createContact(request.em, request.account!, contactInput(request.body), request.actor);
      await request.em.flush();
      return reply.redirect(`/contacts/${contact.id}`, 303);
    } catch (error) {
      if (error instanceof ValidationError) return formPage(request, reply, request.body, error.fields, null, 422);
      throw error;
    }
  });

  // --- One contact ----------------------------------------------------------------------------
  app.get('/:id', async (request: WithId, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact');
    const [lists, history, customFields, allLists] = await Promise.all([
      listsOfContact(request.em, request.account!.id, contact.id),
      request.em.find(ConsentEvent, { contact: contact.id }, { orderBy: { id: 'desc' }, limit: 50 }),
      customFieldsOf(request.em),
      request.em.find(ContactList, {}, { orderBy: { name: 'asc' } }),
    ]);
    return reply.page('contacts/detail', { contact, optedIn: isOptedIn(contact), lists, allLists, history, customFields: [...customFields.values()] }, { title: contact.phone, tab: 'contacts' });
  });

  app.get('/:id/edit', async (request: WithId, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact');
    const values: Form = { phone: contact.phone, email: contact.email ?? '', first_name: contact.firstName ?? '', last_name: contact.lastName ?? '' };
    for (const [key, value] of Object.entries(contact.fields)) values[`field_${key}`] = String(value);
    return formPage(request, reply, values, {}, contact);
  });

  app.post('/:id', async (request: WithId, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact', { populate: ['account'] });
    try {
      await updateContact(request.em, contact, contactInput(request.body), request.actor);
      await request.em.flush();
    } catch (error) {
      if (error instanceof ValidationError) return formPage(request, reply, request.body, error.fields, contact, 422);
      throw error;
    }
    return reply.redirect(`/contacts/${contact.id}`, 303);
  });

  app.post('/:id/opt-in', async (request: WithId, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact', { populate: ['account'] });
    const optedIn = request.body.sms_opt_in === 'yes';
    if (optedIn !== isOptedIn(contact)) await changeOptIn(request.em, contact, optedIn, 'manual', request.actor);
    await request.em.flush();
    return reply.redirect(`/contacts/${contact.id}`, 303);
  });

  app.post('/:id/lists', async (request: WithId, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact');
    const list = await findOr404(request.em, ContactList, String(request.body.list ?? ''), 'contact list');
    await addContactsToList(request.em, request.account!.id, list.id, [contact.id]);
    return reply.redirect(`/contacts/${contact.id}`, 303);
  });

  app.post('/:id/lists/:listId/remove', async (request: FastifyRequest<{ Params: { id: string; listId: string } }>, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact');
    const list = await findOr404(request.em, ContactList, request.params.listId, 'contact list');
    await removeContactsFromList(request.em, request.account!.id, list.id, [contact.id]);
    return reply.redirect(`/contacts/${contact.id}`, 303);
  });

  app.get('/:id/delete', async (request: WithId, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact');
    return reply.page('contacts/delete', { contact }, { title: `Delete ${contact.phone}`, tab: 'contacts' });
  });

  app.post('/:id/delete', async (request: WithId, reply) => {
    const contact = await findOr404(request.em, Contact, request.params.id, 'contact', { populate: ['account'] });
    await eraseContact(request.em, contact, request.actor);
    await request.em.flush();
    return reply.redirect(`/contacts?notice=${encodeURIComponent('The contact and its personal data were deleted.')}`, 303);
  });
}
