// Contact lists: create, rename, delete, see members (keyset pages), add by phone numbers.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findOr404 } from '../../db/find.js';
import { ContactList } from './contact-list.entity.js';
import { contactPage, countContacts } from './contact.queries.js';
import { listSizes, addPhonesToList, removeContactsFromList } from './contact-lists.queries.js';
import { normalisePhone } from '../../phone.js';
import { createList, renameList } from './contact-lists.service.js';
import { ValidationError } from '../../errors.js';
import { usersOf } from './usage.js';

type Form = Record<string, string | string[] | undefined>;
type WithId = FastifyRequest<{ Params: { id: string }; Body: Form; Querystring: Record<string, string | undefined> }>;
const PAGE_SIZE = 50;

/** Phone numbers typed one per line (or separated by commas or semicolons). */
export function parsePhoneList(text: string, defaultCountry: string | null): { phones: string[]; invalid: string[] } {
  const phones: string[] = [];
  const invalid: string[] = [];
  for (const raw of text.split(/[\n,;]+/).map((s) => s.trim()).filter(Boolean)) {
    const phone = normalisePhone(raw, defaultCountry);
    if (phone.ok) phones.push(phone.e164);
    else invalid.push(raw);
  }
  return { phones, invalid };
}

export async function contactListsRoutes(app: FastifyInstance) {
  const indexPage = async (request: FastifyRequest, reply: FastifyReply, values: Form = {}, errors: Record<string, string> = {}, status = 200) => {
    const [lists, sizes] = await Promise.all([request.em.find(ContactList, {}, { orderBy: { name: 'asc' } }), listSizes(request.em, request.account!.id)]);
    return reply.page('contacts/lists', { lists, sizes, values, errors }, { title: 'Contact lists', tab: 'contacts', status });
  };

  app.get('/', async (request, reply) => indexPage(request, reply));

  app.post('/', async (request: FastifyRequest<{ Body: Form }>, reply) => {
    try {
      const list = await createList(request.em, request.account!, String(request.body.name ?? ''));
      return reply.redirect(`/contacts/lists/${list.id}`, 303);
    } catch (error) {
      if (error instanceof ValidationError) return indexPage(request, reply, request.body, error.fields, 422);
      throw error;
    }
  });

  const listPage = async (request: WithId, reply: FastifyReply, list: ContactList, extra: Record<string, unknown> = {}, status = 200) => {
    const account = request.account!;
    const after = /^\d{1,15}$/.test(request.query?.after ?? '') ? Number(request.query.after) : undefined;
    const [page, size] = await Promise.all([
      contactPage(request.em, account.id, { listId: list.id }, { after, limit: PAGE_SIZE }),
      countContacts(request.em, account.id, { listId: list.id }),
    ]);
    return reply.page('contacts/list', { list, page, size, after, errors: {}, values: {}, result: null, ...extra }, { title: list.name, tab: 'contacts', status });
  };

  app.get('/:id', async (request: WithId, reply) => listPage(request, reply, await findOr404(request.em, ContactList, request.params.id, 'contact list')));

  app.post('/:id/rename', async (request: WithId, reply) => {
    const list = await findOr404(request.em, ContactList, request.params.id, 'contact list');
    try {
      await renameList(request.em, list, String(request.body.name ?? ''));
    } catch (error) {
      if (error instanceof ValidationError) return listPage(request, reply, list, { errors: error.fields, values: request.body }, 422);
      throw error;
    }
    return reply.redirect(`/contacts/lists/${list.id}`, 303);
  });

  app.post('/:id/add', async (request: WithId, reply) => {
    const list = await findOr404(request.em, ContactList, request.params.id, 'contact list');
    const { phones, invalid } = parsePhoneList(String(request.body.phones ?? ''), request.account!.defaultCountry ?? null);
    if (!phones.length && !invalid.length) return listPage(request, reply, list, { errors: { phones: 'Type at least one phone number.' } }, 422);
    const result = await addPhonesToList(request.em, request.account!.id, list.id, phones);
    return listPage(request, reply, list, { result: { ...result, invalid } });
  });

  app.post('/:id/remove', async (request: WithId, reply) => {
    const list = await findOr404(request.em, ContactList, request.params.id, 'contact list');
    const ids = ([] as string[]).concat(request.body.ids ?? []).filter((id) => /^\d{1,15}$/.test(id)).map(Number);
    await removeContactsFromList(request.em, request.account!.id, list.id, ids);
    return reply.redirect(`/contacts/lists/${list.id}`, 303);
  });

  /** Campaigns that send to the list: while there are any, it cannot be deleted. */
  const usedBy = (request: FastifyRequest, list: ContactList) => usersOf(request.em, { listId: list.id });

  app.get('/:id/delete', async (request: WithId, reply) => {
    const list = await findOr404(request.em, ContactList, request.params.id, 'contact list');
    return reply.page('contacts/list-delete', { list, campaigns: await usedBy(request, list) }, { title: `Delete ${list.name}`, tab: 'contacts' });
  });

  app.post('/:id/delete', async (request: WithId, reply) => {
    const list = await findOr404(request.em, ContactList, request.params.id, 'contact list');
    const campaigns = await usedBy(request, list);
    if (campaigns.length) return reply.page('contacts/list-delete', { list, campaigns }, { title: `Delete ${list.name}`, tab: 'contacts', status: 409 });
    request.em.remove(list);
    await request.em.flush();
    return reply.redirect('/contacts/lists', 303);
  });
}
