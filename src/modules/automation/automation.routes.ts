// Automation: external events and programs.
import type { FastifyInstance } from 'fastify';

export async function automationRoutes(app: FastifyInstance) {
  app.get('/', async (_request, reply) => reply.page('automation/index', {}, { title: 'Automation', tab: 'automation' }));
}
