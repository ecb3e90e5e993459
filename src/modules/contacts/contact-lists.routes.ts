// Contact lists: create, rename, delete, see members (keyset pages), add by phone numbers.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { findOr404 } from '../../db/find.js';
import { formErrors, type TypedApp } from '../../plugins/validation.js';
import { BigIntId, EmptyForm, Form, LINE, OneOrMany, OptionalText, UuidParams, WholeNumber, asList } from '../../plugins/schemas.js';
import { ContactList } from './contact-list.entity.js';
import { contactPage, countContacts } from './contact.queries.js';
import { listSizes, addPhonesToList, removeContactsFromList } from './contact-lists.queries.js';
import { normalisePhones, splitPhoneList } from '../../phone.js';
import { createList, renameList } from './contact-lists.service.js';
import { ValidationError } from '../../errors.js';
import { usersOf } from './usage.js';

const PAGE_SIZE = 50;

const IdParams = UuidParams('contact list');
const NameForm = Form({ name: OptionalText(LINE) });
/** Phone numbers typed one per line: some 10,000 of them at most. */
const PhonesForm = Form({ phones: OptionalText(200_000) });
const IdsForm = Form({ ids: Type.Optional(OneOrMany(BigIntId(), 1000, 'one or more contact ids (at most 1000)')) });

/** Phone numbers typed one per line (or separated by commas or semicolons). */
export function parsePhoneList(text: string, defaultCountry: string | null): { phones: string[]; invalid: string[] } {
  const { numbers, invalid } = normalisePhones(splitPhoneList(text), defaultCountry);
  return { phones: numbers.map((n) => n.e164), invalid };
}

export async function contactListsRoutes(app: TypedApp) {
  const indexPage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, string> = {}, errors: Record<string, string> = {}) => {
    const [lists, sizes] = await Promise.all([request.em.find(ContactList, {}, { orderBy: { name: 'asc' } }), listSizes(request.em, request.account!.id)]);
    return reply.page('contacts/lists', { lists, sizes, values, errors }, { title: 'Contact lists', tab: 'contacts' });
  };

  app.get('/', async (request, reply) => indexPage(request, reply));

  app.post(
    '/',
    { schema: { body: NameForm }, errorHandler: formErrors((request, reply, { fields, values }) => indexPage(request, reply, values, fields)) },
    async (request, reply) => {
      const list = await createList(request.em, request.account!, request.body.name ?? '');
      return reply.redirect(`/contacts/lists/${list.id}`, 303);
    },
  );

  const listPage = async (request: FastifyRequest, reply: FastifyReply, list: ContactList, extra: Record<string, unknown> = {}, after?: number) => {
    const account = request.account!;
    const [page, size] = await Promise.all([
      contactPage(request.em, account.id, { listId: list.id }, { after, limit: PAGE_SIZE }),
      countContacts(request.em, account.id, { listId: list.id }),
    ]);
    return reply.page('contacts/list', { list, page, size, after, errors: {}, values: {}, result: null, ...extra }, { title: list.name, tab: 'contacts' });
  };

  /** The list page again with the errors of one of its forms. */
  const listErrors = formErrors<{ id: string }>(async (request, reply, { fields, values }) =>
    listPage(request, reply, await findOr404(request.em, ContactList, request.params.id, 'contact list'), { errors: fields, values }),
  );

  app.get('/:id', { schema: { params: IdParams, querystring: Type.Object({ after: Type.Optional(WholeNumber()) }) } }, async (request, reply) => {
    const list = await findOr404(request.em, ContactList, request.params.id, 'contact list');
    return listPage(request, reply, list, {}, request.query.after ? Number(request.query.after) : undefined);
  });

  app.post('/:id/rename', { schema: { params: IdParams, body: NameForm }, errorHandler: listErrors }, async (request, reply) => {
    const list = await findOr404(request.em, ContactList, request.params.id, 'contact list');
    await renameList(request.em, list, request.body.name ?? '');
    return reply.redirect(`/contacts/lists/${list.id}`, 303);
  });

  app.post('/:id/add', { schema: { params: IdParams, body: PhonesForm }, errorHandler: listErrors }, async (request, reply) => {
    const list = await findOr404(request.em, ContactList, request.params.id, 'contact list');
    const { phones, invalid } = parsePhoneList(request.body.phones ?? '', request.account!.defaultCountry ?? null);
    if (!phones.length && !invalid.length) throw new ValidationError({ phones: 'Type at least one phone number.' });
    const result = await addPhonesToList(request.em, request.account!.id, list.id, phones);
    return listPage(request, reply, list, { result: { ...result, invalid } });
  });

  app.post('/:id/remove', { schema: { params: IdParams, body: IdsForm } }, async (request, reply) => {
    const list = await findOr404(request.em, ContactList, request.params.id, 'contact list');
    await removeContactsFromList(request.em, request.account!.id, list.id, asList(request.body.ids).map(Number));
    return reply.redirect(`/contacts/lists/${list.id}`, 303);
  });

  /** Campaigns that send to the list: while there are any, it cannot be deleted. */
  const usedBy = (request: FastifyRequest, list: ContactList) => usersOf(request.em, { listId: list.id });

  app.get('/:id/delete', { schema: { params: IdParams } }, async (request, reply) => {
    const list = await findOr404(request.em, ContactList, request.params.id, 'contact list');
    return reply.page('contacts/list-delete', { list, campaigns: await usedBy(request, list) }, { title: `Delete ${list.name}`, tab: 'contacts' });
  });

  app.post('/:id/delete', { schema: { params: IdParams, body: EmptyForm() } }, async (request, reply) => {
    const list = await findOr404(request.em, ContactList, request.params.id, 'contact list');
    const campaigns = await usedBy(request, list);
    if (campaigns.length) return reply.page('contacts/list-delete', { list, campaigns }, { title: `Delete ${list.name}`, tab: 'contacts', status: 409 });
    request.em.remove(list);
    await request.em.flush();
    return reply.redirect('/contacts/lists', 303);
  });
}
