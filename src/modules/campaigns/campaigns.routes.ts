// The Create tab: campaigns that have not been launched yet.
import type { FastifyInstance } from 'fastify';

export async function campaignsRoutes(app: FastifyInstance) {
  app.get('/', async (_request, reply) => reply.page('campaigns/index', {}, { title: 'Create', tab: 'create' }));
}
