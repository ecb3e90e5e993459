// GET /api/v1/account: the account of the API key.
import type { FastifyInstance } from 'fastify';
import { creditBalance } from './credits.js';

export async function accountApiRoutes(app: FastifyInstance) {
  app.get('/account', async (request) => {
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
