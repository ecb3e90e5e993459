// The Automation tab: its landing page (what each section holds) and the sections' routes.
import type { TypedApp } from '../../plugins/validation.js';
import { programsRoutes } from './programs.routes.js';
import { emailRoutes } from './email.routes.js';

export async function automationRoutes(app: TypedApp) {
  app.get('/', async (request, reply) => {
    const [counts] = await request.em.getConnection().execute<{ programs: string; active: string; running: string; events: string; templates: string }[]>(
      `select (select count(*) from automation_program where account_id = ?) as programs,
              (select count(*) from automation_program where account_id = ? and status = 'active') as active,
              (select count(*) from automation_run where account_id = ? and status = 'running') as running,
              (select count(*) from external_event where account_id = ?) as events,
              (select count(*) from email_template where account_id = ?) as templates`,
      Array(5).fill(request.account!.id),
    );
    const numbers = Object.fromEntries(Object.entries(counts!).map(([key, value]) => [key, Number(value)]));
    return reply.page('automation/index', { counts: numbers }, { title: 'Automation', tab: 'automation' });
  });
  await app.register(programsRoutes, { prefix: '/programs' });
  await app.register(emailRoutes, { prefix: '/emails' });
}
