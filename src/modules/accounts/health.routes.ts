// GET /healthz: 200 with database and scheduler status, 503 when the database does not answer.
// It reads nothing from the request (no params, and a query string is ignored).
import type { TypedApp } from '../../plugins/validation.js';
import { databaseStatus } from './health.queries.js';

export async function healthRoutes(app: TypedApp) {
  app.get('/healthz', { config: { access: 'public' } }, async (_request, reply) => {
    const database = await databaseStatus(app.orm.em);
    const scheduler = app.scheduler ? { status: app.scheduler.running ? 'running' : 'stopped', backend: app.scheduler.backend } : { status: 'disabled' };
    const status = database === 'ok' ? 'ok' : 'unavailable';
    return reply.code(database === 'ok' ? 200 : 503).send({ status, database, scheduler, role: app.config.role });
  });
}
