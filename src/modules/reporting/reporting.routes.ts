// The Dashboard and Reporting tabs. Reporting lists launched campaigns, newest first, each
// linking to its page (progress, delivery, cost), with a toggle to the automated campaigns (sent
// by automation programs, one contact at a time); richer reports arrive with the reporting issue.
import { Type } from 'typebox';
import type { TypedApp } from '../../plugins/validation.js';
import { LINE, OptionalText } from '../../plugins/schemas.js';
import { Campaign } from '../campaigns/index.js';
import { escapeLike } from '../../db/like.js';
import { automatedCampaigns } from './reporting.queries.js';

/** `?q=`: a part of the campaign's name (the first 100 characters are searched); `?type=`: batch
 * campaigns (launched) or automated ones (sent by automation programs). */
const ReportingQuery = Type.Object({ q: OptionalText(LINE), type: Type.Optional(Type.Enum(['', 'batch', 'automated'], { type: 'string' })) });

export async function reportingRoutes(app: TypedApp) {
  app.get('/reporting', { schema: { querystring: ReportingQuery } }, async (request, reply) => {
    const q = (request.query.q ?? '').trim().slice(0, 100);
    if (request.query.type === 'automated') {
      const automated = await automatedCampaigns(request.em, request.account!.id, q ? `%${escapeLike(q)}%` : null);
      return reply.page('reporting/reporting', { type: 'automated', automated, campaigns: [], q }, { title: 'Reporting', tab: 'reporting' });
    }
    const campaigns = await request.em.find(
      Campaign,
      { status: { $in: ['sending', 'paused', 'sent', 'cancelled'] }, ...(q ? { name: { $ilike: `%${escapeLike(q)}%` } } : {}) },
      { orderBy: { launchedAt: 'desc' }, limit: 200 },
    );
    return reply.page('reporting/reporting', { type: 'batch', campaigns, automated: [], q }, { title: 'Reporting', tab: 'reporting' });
  });
}
