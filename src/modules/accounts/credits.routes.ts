// Settings → Credits: the balance, the ledger (newest first, keyset pages) and, for owners, a
// form to add credit with a note.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { formErrors, type TypedApp } from '../../plugins/validation.js';
import { Form, LINE, OptionalText, WholeNumber } from '../../plugins/schemas.js';
import { CreditTransaction } from './credit-transaction.entity.js';
import { addCredit, creditBalance } from './credits.js';

const PAGE = 50;

/** `?before=<id>`: the page of entries older than that one (a ledger id). */
const LedgerQuery = Type.Object({ before: Type.Optional(WholeNumber()) });
/** The amount and note are text; what makes an amount (positive, at most 1,000,000) is addCredit's. */
const CreditForm = Form({ amount: OptionalText(LINE), note: OptionalText(LINE) });

export async function creditsRoutes(app: TypedApp) {
  const page = async (request: FastifyRequest, reply: FastifyReply, before?: number, values: Record<string, string> = {}, errors: Record<string, string> = {}) => {
    const entries = await request.em.find(CreditTransaction, before ? { id: { $lt: before } } : {}, { orderBy: { id: 'desc' }, limit: PAGE + 1 });
    const balance = await creditBalance(request.em, request.account!.id);
    return reply.page(
      'accounts/credits',
      { entries: entries.slice(0, PAGE), next: entries.length > PAGE ? entries[PAGE - 1].id : null, before, balanceMicros: balance, values, errors },
      { title: 'Credits', tab: 'settings' },
    );
  };

  app.get('/', { schema: { querystring: LedgerQuery } }, async (request, reply) => page(request, reply, request.query.before ? Number(request.query.before) : undefined));

  app.post(
    '/',
    // A refused top-up shows the newest page again, with the form as it was typed.
    { config: { role: 'owner' }, schema: { body: CreditForm }, errorHandler: formErrors((request, reply, { fields, values }) => page(request, reply, undefined, values, fields)) },
    async (request, reply) => {
      await addCredit(request.em, request.account!, request.body.amount, request.body.note, request.actor);
      return reply.redirect('/settings/credits', 303);
    },
  );
}
