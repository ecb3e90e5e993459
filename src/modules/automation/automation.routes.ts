// Automation: external events and programs. A placeholder page for now: it reads nothing from
// the request.
import type { TypedApp } from '../../plugins/validation.js';

export async function automationRoutes(app: TypedApp) {
  app.get('/', async (_request, reply) => reply.page('automation/index', {}, { title: 'Automation', tab: 'automation' }));
}
