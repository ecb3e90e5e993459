// Automation: external events and programs (a placeholder page for now, which reads nothing from
// the request), and Email: templates and the outbox (email.routes.ts, under /automation/emails).
import type { TypedApp } from '../../plugins/validation.js';
import { emailRoutes } from './email.routes.js';

export async function automationRoutes(app: TypedApp) {
  app.get('/', async (_request, reply) => reply.page('automation/index', {}, { title: 'Automation', tab: 'automation' }));
  await app.register(emailRoutes, { prefix: '/emails' });
}
