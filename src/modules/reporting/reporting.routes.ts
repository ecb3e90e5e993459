// The Dashboard and Reporting tabs. Figures arrive with the sending engine; until a message has
// been sent the pages say what they will show.
import type { FastifyInstance } from 'fastify';

export async function reportingRoutes(app: FastifyInstance) {
  app.get('/dashboard', async (_request, reply) => reply.page('reporting/dashboard', {}, { title: 'Dashboard', tab: 'dashboard' }));
  app.get('/reporting', async (_request, reply) => reply.page('reporting/reporting', {}, { title: 'Reporting', tab: 'reporting' }));
}
