// The Reporting tab's list: the launched batch campaigns or, with its toggle, the automated ones
// (sent by automation programs, one contact at a time), with their figures from the campaign
// rollup: sortable by each column, paged, searchable and exported as CSV.
import { Type, type Static } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { TypedApp } from '../../plugins/validation.js';
import { LINE, OptionalText } from '../../plugins/schemas.js';
import { sendCsvDownload } from '../../plugins/csv-download.js';
import { campaignListPage, CAMPAIGN_TYPES, defaultDirection, SORTS, type CampaignListFilters } from './reporting.queries.js';
import { campaignListCsvOn, listUrls } from './reporting.service.js';

const PAGE_SIZE = 25;

/** `?q=`: a part of the campaign's name (the first 100 characters are searched); `?type=`: batch
 * campaigns (launched) or automated ones; `?sort=&dir=`: the column and its direction. */
const LIST_QUERY = {
  q: OptionalText(LINE),
  type: Type.Optional(Type.Enum(['', ...CAMPAIGN_TYPES], { type: 'string' })),
  sort: Type.Optional(Type.Enum(['', ...SORTS], { type: 'string' })),
  dir: Type.Optional(Type.Enum(['', 'asc', 'desc'], { type: 'string' })),
};
const ReportingQuery = Type.Object(LIST_QUERY);
/** The page's query adds the pager's cursor: the id of the row it continues after. */
const ReportingPageQuery = Type.Object({ ...LIST_QUERY, after: OptionalText(64) });
type ReportingQuery = Static<typeof ReportingQuery>;

function filtersOf(query: ReportingQuery): CampaignListFilters {
  const sort = query.sort || 'launched';
  return { type: query.type || 'batch', q: (query.q ?? '').trim().slice(0, 100), sort, dir: query.dir || defaultDirection(sort) };
}

/** Sends the list's section alone for htmx (the pager), else the page. */
const wantsResults = (request: FastifyRequest) => request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'section#campaign-list';

export async function reportingRoutes(app: TypedApp) {
  app.get('/reporting', { schema: { querystring: ReportingPageQuery } }, async (request, reply) => {
    const filters = filtersOf(request.query);
    const after = request.query.after || null;
    const page = await campaignListPage(request.em, request.account!.id, filters, { after, limit: PAGE_SIZE });
    const data = { filters, page, after, ...listUrls(filters) };
    if (wantsResults(request)) return reply.fragment('reporting/_campaign-list', data);
    return reply.page('reporting/reporting', data, { title: 'Reporting', tab: 'reporting' });
  });

  app.get('/reporting/export', { schema: { querystring: ReportingQuery } }, async (request, reply) => {
    const filters = filtersOf(request.query);
    const account = request.account!;
    return sendCsvDownload(request, reply, filters.type === 'automated' ? 'automated-campaigns' : 'campaigns', (client) => campaignListCsvOn(client, account.id, filters, account.timeZone, account.currency));
  });
}
