// GET /api/v1/account: the account of the API key. No input; the answer's shape is declared
// (and typed against the handler) by its response schema.
import { Type } from 'typebox';
import type { TypedApp } from '../../plugins/validation.js';
import { creditBalance } from './credits.js';

const AccountAnswer = Type.Object({
  id: Type.String(),
  name: Type.String(),
  time_zone: Type.String(),
  currency: Type.String(),
  credit_balance_micros: Type.Integer(),
  created_at: Type.String(),
});

export async function accountApiRoutes(app: TypedApp) {
  app.get('/account', { schema: { response: { 200: AccountAnswer } } }, async (request) => {
    const account = request.account!;
    return {
      id: account.id,
      name: account.name,
      time_zone: account.timeZone,
      currency: account.currency,
      credit_balance_micros: await creditBalance(request.em, account.id),
      created_at: account.createdAt.toISOString(),
    };
  });
}
