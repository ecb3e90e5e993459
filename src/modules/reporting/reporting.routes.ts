// The Dashboard and Reporting tabs. Reporting lists launched campaigns, newest first, each
// linking to its page (progress, delivery, cost); richer reports arrive with the reporting issue.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Campaign } from '../campaigns/index.js';
import { formatSchedule } from '../campaigns/index.js';
import { escapeLike } from '../../db/like.js';

export async function reportingRoutes(app: FastifyInstance) {
  app.get('/dashboard', async (_request, reply) => reply.page('reporting/dashboard', {}, { title: 'Dashboard', tab: 'dashboard' }));
  app.get('/reporting', async (request: FastifyRequest<{ Querystring: { q?: string } }>, reply) => {
    const q = String(request.query.q ?? '').trim().slice(0, 100);
    const campaigns = await request.em.find(
      Campaign,
      { status: { $in: ['sending', 'paused', 'sent', 'cancelled'] }, ...(q ? { name: { $ilike: `%${escapeLike(q)}%` } } : {}) },
      { orderBy: { launchedAt: 'desc' }, limit: 200 },
    );
    return reply.page('reporting/reporting', { campaigns, q, formatSchedule, timeZone: request.account!.timeZone }, { title: 'Reporting', tab: 'reporting' });
  });
}
