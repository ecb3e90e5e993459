// The Dashboard and Reporting tabs. Reporting lists launched campaigns, newest first, each
// linking to its page (progress, delivery, cost); richer reports arrive with the reporting issue.
import { Type } from 'typebox';
import type { TypedApp } from '../../plugins/validation.js';
import { LINE, OptionalText } from '../../plugins/schemas.js';
import { Campaign } from '../campaigns/index.js';
import { escapeLike } from '../../db/like.js';

/** `?q=`: a part of the campaign's name (the first 100 characters are searched). */
const ReportingQuery = Type.Object({ q: OptionalText(LINE) });

export async function reportingRoutes(app: TypedApp) {
  app.get('/dashboard', async (_request, reply) => reply.page('reporting/dashboard', {}, { title: 'Dashboard', tab: 'dashboard' }));
  app.get('/reporting', { schema: { querystring: ReportingQuery } }, async (request, reply) => {
    const q = (request.query.q ?? '').trim().slice(0, 100);
    const campaigns = await request.em.find(
      Campaign,
      { status: { $in: ['sending', 'paused', 'sent', 'cancelled'] }, ...(q ? { name: { $ilike: `%${escapeLike(q)}%` } } : {}) },
      { orderBy: { launchedAt: 'desc' }, limit: 200 },
    );
    return reply.page('reporting/reporting', { campaigns, q }, { title: 'Reporting', tab: 'reporting' });
  });
}
