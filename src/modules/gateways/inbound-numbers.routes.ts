// Settings → Inbound numbers: the account's numbers that receive SMS, each with its country, the
// gateway it arrives through, its keyword lists and replies. Owners add, change, reset and delete
// them; marketers and viewers see them.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError } from '../../errors.js';
import { findOr404 } from '../../db/find.js';
import { formErrors, type TypedApp } from '../../plugins/validation.js';
import { EmptyForm, Form, LINE, OptionalText, PARAGRAPH, UuidParams } from '../../plugins/schemas.js';
import { OWNER_ONLY } from '../accounts/index.js';
import { Gateway } from './gateway.entity.js';
import { InboundNumber } from './inbound-number.entity.js';
import { addInboundNumber, deleteInboundNumber, MAX_REPLY, numberInUse, numberSettings, resetKeywords, updateInboundNumber } from './inbound-numbers.service.js';
import { usersOfNumber } from './hooks.js';

const IdParams = UuidParams('inbound number');
type IdParams = { id: string };
const NewNumberForm = Form({ number: OptionalText(LINE), gateway: OptionalText(LINE) });
const SettingsForm = Form({
  gateway: OptionalText(LINE),
  optOutKeywords: OptionalText(PARAGRAPH),
  optInKeywords: OptionalText(PARAGRAPH),
  helpKeywords: OptionalText(PARAGRAPH),
  helpReply: OptionalText(PARAGRAPH),
  optOutReply: OptionalText(PARAGRAPH),
  optInReply: OptionalText(PARAGRAPH),
});

type Values = Record<string, string>;

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });
const countryName = (country: string | null | undefined) => (country ? (countryNames.of(country) ?? country) : 'Unknown country');

const load = (request: FastifyRequest, id: string) => findOr404(request.em, InboundNumber, id, 'inbound number', { populate: ['gateway'] });
const gatewaysOf = (request: FastifyRequest) => request.em.find(Gateway, {}, { orderBy: { createdAt: 'asc' } });

export async function inboundNumbersRoutes(app: TypedApp) {
  const listPage = async (request: FastifyRequest, reply: FastifyReply, values: Values = {}, errors: Values = {}) => {
    const [numbers, gateways] = await Promise.all([request.em.find(InboundNumber, {}, { populate: ['gateway'], orderBy: { number: 'asc' } }), gatewaysOf(request)]);
    return reply.page('gateways/inbound-numbers', { numbers, gateways, values, errors, countryName }, { title: 'Inbound numbers', tab: 'settings' });
  };

  const numberPage = async (request: FastifyRequest, reply: FastifyReply, number: InboundNumber, values: Values = numberSettings(number), errors: Values = {}, notice: string | null = null) =>
    reply.page('gateways/inbound-number', { number, gateways: await gatewaysOf(request), values, errors, notice, countryName, maxReply: MAX_REPLY }, { title: number.number, tab: 'settings' });

  app.get('/', async (request, reply) => listPage(request, reply));

  app.post('/', { ...OWNER_ONLY, schema: { body: NewNumberForm }, errorHandler: formErrors((request, reply, { fields, values }) => listPage(request, reply, values, fields)) }, async (request, reply) => {
    const number = await addInboundNumber(request.em, request.account!, request.body);
    return reply.redirect(`/settings/inbound-numbers/${number.id}`, 303);
  });

  app.get('/:id', { schema: { params: IdParams } }, async (request, reply) => numberPage(request, reply, await load(request, request.params.id)));

  app.post(
    '/:id',
    {
      ...OWNER_ONLY,
      schema: { params: IdParams, body: SettingsForm },
      errorHandler: formErrors<IdParams>(async (request, reply, { fields, values }) => numberPage(request, reply, await load(request, request.params.id), values, fields)),
    },
    async (request, reply) => {
      const number = await load(request, request.params.id);
      await updateInboundNumber(request.em, number, request.body);
      return numberPage(request, reply, number, numberSettings(number), {}, 'Saved.');
    },
  );

  app.post('/:id/reset-keywords', { ...OWNER_ONLY, schema: { params: IdParams, body: EmptyForm() } }, async (request, reply) => {
    const number = await load(request, request.params.id);
    await resetKeywords(request.em, number);
    return numberPage(request, reply, number, numberSettings(number), {}, `The keywords are ${countryName(number.country)}'s defaults again.`);
  });

  /** Asks to confirm, or says which campaigns still need the number. */
  const deletePage = async (request: FastifyRequest, reply: FastifyReply, number: InboundNumber, status?: number) => {
    const users = await usersOfNumber(request.em, number.id);
    return reply.page('gateways/inbound-number-delete', { number, refusal: users.length ? numberInUse(number, users) : null }, { title: `Delete ${number.number}`, tab: 'settings', status });
  };

  app.get('/:id/delete', { schema: { params: IdParams } }, async (request, reply) => deletePage(request, reply, await load(request, request.params.id)));

  app.post('/:id/delete', { ...OWNER_ONLY, schema: { params: IdParams, body: EmptyForm() } }, async (request, reply) => {
    const number = await load(request, request.params.id);
    try {
      await deleteInboundNumber(request.em, number);
    } catch (error) {
      // A campaign still to send from it: the page says which.
      if (error instanceof ConflictError) return deletePage(request, reply, number, 409);
      throw error;
    }
    return reply.redirect('/settings/inbound-numbers', 303);
  });
}
