// Settings → Prices: the price per SMS part per destination country, a default for the rest,
// edited row by row or imported from CSV. Owners change prices; everyone sees them.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../../errors.js';
import { findOr404 } from '../../db/find.js';
import { Price } from './price.entity.js';
import { setPrice, removePrice, importPrices } from './prices.js';
import { OWNER_ONLY } from './auth.plugin.js';

type Form = Record<string, string | undefined>;

export async function pricesRoutes(app: FastifyInstance) {
  const page = async (request: FastifyRequest, reply: FastifyReply, extra: { values?: Form; errors?: Record<string, string>; imported?: number } = {}, status = 200) => {
    const prices = await request.em.find(Price, {}, { orderBy: { country: 'asc' } });
    return reply.page('sending/prices', { prices, values: {}, errors: {}, imported: null, ...extra }, { title: 'Prices', tab: 'settings', status });
  };

  app.get('/', async (request, reply) => page(request, reply));

  app.post('/', OWNER_ONLY, async (request: FastifyRequest<{ Body: Form }>, reply) => {
    try {
      await setPrice(request.em, request.account!, request.body.country, request.body.price);
    } catch (error) {
      if (error instanceof ValidationError) return page(request, reply, { values: request.body, errors: error.fields }, 422);
      throw error;
    }
    return reply.redirect('/settings/prices', 303);
  });

  app.post('/import', OWNER_ONLY, async (request: FastifyRequest<{ Body: Form }>, reply) => {
    try {
      const imported = await importPrices(request.em, request.account!, String(request.body.csv ?? ''));
      return page(request, reply, { imported });
    } catch (error) {
      if (error instanceof ValidationError) return page(request, reply, { values: request.body, errors: error.fields }, 422);
      throw error;
    }
  });

  app.post('/:id/delete', OWNER_ONLY, async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const price = await findOr404(request.em, Price, request.params.id, 'price');
    await removePrice(request.em, price.id);
    return reply.redirect('/settings/prices', 303);
  });
}
