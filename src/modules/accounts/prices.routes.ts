// Settings → Prices: the price per SMS part per destination country, a default for the rest,
// edited row by row or imported from CSV. Owners change prices; everyone sees them.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { findOr404 } from '../../db/find.js';
import { formErrors, type TypedApp } from '../../plugins/validation.js';
import { EmptyForm, Form, LINE, OptionalText, UuidParams } from '../../plugins/schemas.js';
import { Price } from './price.entity.js';
import { setPrice, removePrice, importPrices } from './prices.js';
import { OWNER_ONLY } from './auth.plugin.js';
import { COUNTRIES } from '../../phone.js';

/** A price list pasted into the textarea: some 250 countries fit many times over. */
const PRICE_CSV = 100_000;

const PriceForm = Form({ country: OptionalText(LINE), price: OptionalText(LINE) });
const ImportForm = Form({ csv: OptionalText(PRICE_CSV) });

export async function pricesRoutes(app: TypedApp) {
  const page = async (request: FastifyRequest, reply: FastifyReply, extra: { values?: Record<string, string>; errors?: Record<string, string>; imported?: number } = {}) => {
    const prices = await request.em.find(Price, {}, { orderBy: { country: 'asc' } });
    return reply.page('sending/prices', { prices, countries: COUNTRIES, values: {}, errors: {}, imported: null, ...extra }, { title: 'Prices', tab: 'settings' });
  };

  /** Either form refused: the page again, with what was typed and why. */
  const priceErrors = formErrors((request, reply, { fields, values }) => page(request, reply, { values, errors: fields }));

  app.get('/', async (request, reply) => page(request, reply));

  app.post('/', { ...OWNER_ONLY, schema: { body: PriceForm }, errorHandler: priceErrors }, async (request, reply) => {
    await setPrice(request.em, request.account!, request.body.country, request.body.price);
    return reply.redirect('/settings/prices', 303);
  });

  app.post('/import', { ...OWNER_ONLY, schema: { body: ImportForm }, errorHandler: priceErrors }, async (request, reply) => {
    const imported = await importPrices(request.em, request.account!, request.body.csv ?? '');
    return page(request, reply, { imported });
  });

  app.post('/:id/delete', { ...OWNER_ONLY, schema: { params: UuidParams('price'), body: EmptyForm() } }, async (request, reply) => {
    const price = await findOr404(request.em, Price, request.params.id, 'price');
    await removePrice(request.em, price.id);
    return reply.redirect('/settings/prices', 303);
  });
}
