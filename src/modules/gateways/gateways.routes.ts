// Settings → Gateways: each gateway's kind, name, messages-per-second limit, whether it is the
// default, and its webhook URLs and secret; owners add gateways and choose the default.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../../errors.js';
import { findOr404 } from '../../db/find.js';
import { Gateway } from './gateway.entity.js';
import { createGateway, makeDefault } from './gateways.service.js';
import { gatewayKinds, gatewayKind, isGatewayKind, webhookUrls } from './registry.js';
import { OWNER_ONLY } from '../accounts/index.js';

type Form = Record<string, string | undefined>;

/** `option_<name>` form fields, non-empty ones only. */
function optionsOf(body: Form): Record<string, string> {
  return Object.fromEntries(Object.entries(body).filter(([k, v]) => k.startsWith('option_') && v).map(([k, v]) => [k.slice(7), v!.trim()]));
}

export async function gatewaysRoutes(app: FastifyInstance) {
  const publicUrl = app.config.publicUrl;
  const page = async (request: FastifyRequest, reply: FastifyReply, values: Form = {}, errors: Record<string, string> = {}, status = 200) => {
    const gateways = await request.em.find(Gateway, {}, { orderBy: { createdAt: 'asc' } });
    const urls = new Map(gateways.map((g) => [g.id, webhookUrls(g, publicUrl)]));
    const secretOptions = new Set(gatewayKinds().flatMap((k) => k.options.filter((o) => o.secret).map((o) => `${k.kind}.${o.name}`)));
    return reply.page('gateways/index', { gateways, urls, kinds: gatewayKinds(), secretOptions, values, errors }, { title: 'Gateways', tab: 'settings', status });
  };

  app.get('/', async (request, reply) => page(request, reply));

  app.post('/', OWNER_ONLY, async (request: FastifyRequest<{ Body: Form }>, reply) => {
    try {
      const kind = request.body.kind ?? '';
      // The form shows every kind's options; only the chosen kind's are kept.
      const declared = isGatewayKind(kind) ? gatewayKind(kind).options : [];
      const options = Object.fromEntries(Object.entries(optionsOf(request.body)).filter(([name]) => declared.some((o) => o.name === name)));
      await createGateway(request.em, request.account!, { kind, name: request.body.name, mps: request.body.mps, isDefault: request.body.default === 'on', options });
    } catch (error) {
      if (error instanceof ValidationError) return page(request, reply, request.body, error.fields, 422);
      throw error;
    }
    return reply.redirect('/settings/gateways', 303);
  });

  app.post('/:id/default', OWNER_ONLY, async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    await makeDefault(request.em, await findOr404(request.em, Gateway, request.params.id, 'gateway'));
    return reply.redirect('/settings/gateways', 303);
  });
}
