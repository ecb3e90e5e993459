// GET /healthz: 200 with database and scheduler status, 503 when the database does not answer.
import type { FastifyInstance } from 'fastify';

async function databaseStatus(app: FastifyInstance): Promise<'ok' | 'down'> {
  try {
    const connection = app.orm.em.getConnection();
    await Promise.race([
      connection.execute('select 1'),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000).unref()),
    ]);
    return 'ok';
  } catch {
    return 'down';
  }
}

export async function healthRoutes(app: FastifyInstance) {
  app.get('/healthz', { config: { access: 'public' } }, async (_request, reply) => {
    const database = await databaseStatus(app);
    const scheduler = app.scheduler ? { status: app.scheduler.running ? 'running' : 'stopped', backend: app.scheduler.backend } : { status: 'disabled' };
    const status = database === 'ok' ? 'ok' : 'unavailable';
    return reply.code(database === 'ok' ? 200 : 503).send({ status, database, scheduler, role: app.config.role });
  });
}
