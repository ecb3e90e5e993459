// The Inbound SMS tab: STOP unsubscribes, the inbox of other replies, inbound event setup.
import type { FastifyInstance } from 'fastify';

export async function inboundRoutes(app: FastifyInstance) {
  app.get('/', async (_request, reply) => reply.page('inbound/index', {}, { title: 'Inbound SMS', tab: 'inbound' }));
}
