// Settings → Credits: the balance, the ledger (newest first, keyset pages) and, for owners, a
// form to add credit with a note.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../../errors.js';
import { CreditTransaction } from './credit-transaction.entity.js';
import { addCredit, creditBalance } from './credits.js';

type Form = Record<string, string | undefined>;
const PAGE = 50;

export async function creditsRoutes(app: FastifyInstance) {
  const page = async (request: FastifyRequest<{ Querystring: Form }>, reply: FastifyReply, values: Form = {}, errors: Record<string, string> = {}, status = 200) => {
    const before = /^\d{1,15}$/.test(request.query?.before ?? '') ? Number(request.query.before) : undefined;
    const entries = await request.em.find(CreditTransaction, before ? { id: { $lt: before } } : {}, { orderBy: { id: 'desc' }, limit: PAGE + 1 });
    const balance = await creditBalance(request.em, request.account!.id);
    return reply.page(
      'accounts/credits',
      { entries: entries.slice(0, PAGE), next: entries.length > PAGE ? entries[PAGE - 1].id : null, before, balanceMicros: balance, values, errors },
      { title: 'Credits', tab: 'settings', status },
    );
  };

  app.get('/', async (request: FastifyRequest<{ Querystring: Form }>, reply) => page(request, reply));

  app.post('/', { config: { role: 'owner' } }, async (request: FastifyRequest<{ Body: Form; Querystring: Form }>, reply) => {
    try {
      await addCredit(request.em, request.account!, request.body.amount, request.body.note, request.actor);
    } catch (error) {
      if (error instanceof ValidationError) return page(request, reply, request.body, error.fields, 422);
      throw error;
    }
    return reply.redirect('/settings/credits', 303);
  });
}
