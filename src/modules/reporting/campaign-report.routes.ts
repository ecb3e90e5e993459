// A campaign's report (/reporting/:id), its figures alone for htmx to refresh while it sends
// (/reporting/:id/figures), and the CSV of its messages (/reporting/:id/messages.csv). An
// automation campaign is reported for a date range (`?range=`), kept in every link of the page.
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import { Type, type Static } from 'typebox';
import type { TypedApp } from '../../plugins/validation.js';
import { UuidParams } from '../../plugins/schemas.js';
import { findOr404 } from '../../db/find.js';
import { sendCsvDownload } from '../../plugins/csv-download.js';
import { MICROS_PER_UNIT } from '../../money.js';
import { Campaign, campaignTab } from '../campaigns/index.js';
import { csvChunks, csvTime } from '../contacts/index.js';
import { campaignReport, NOT_SENT_REASONS } from './campaign-report.js';
import { campaignMessageBatchesOn, STOP_ATTRIBUTION_DAYS, type ReportMessageRow } from './campaign-report.queries.js';
import { chooseRange, RANGE_PRESETS, RANGE_QUERY } from './date-range.js';

const IdParams = UuidParams('campaign');
const ReportQuery = Type.Object(RANGE_QUERY);

const CSV_HEADER = ['phone', 'contact_id', 'country', 'status', 'skip_reason', 'bounce', 'error_code', 'parts', 'cost', 'currency', 'created_at', 'sent_at', 'reported_at'];

export async function campaignReportRoutes(app: TypedApp) {
  const load = (request: FastifyRequest, id: string) => findOr404(request.em, Campaign, id, 'campaign', { populate: ['account'] });

  /** What the figures need: the report, and for an automation campaign the period it covers. */
  const reportData = async (request: FastifyRequest, campaign: Campaign, query: Static<typeof ReportQuery>) => {
    const account = request.account!;
    const range = campaign.kind === 'automation' ? chooseRange(query, account.timeZone) : null;
    const report = await campaignReport(request.em, campaign, range);
    return { campaign, range, report, reasons: NOT_SENT_REASONS, stopDays: STOP_ATTRIBUTION_DAYS, timeZone: account.timeZone, currency: account.currency };
  };

  app.get('/reporting/:id', { schema: { params: IdParams, querystring: ReportQuery } }, async (request, reply) => {
    const data = await reportData(request, await load(request, request.params.id), request.query);
    return reply.page('reporting/report', { ...data, presets: RANGE_PRESETS }, { title: `Report: ${data.campaign.name}`, tab: campaignTab(data.campaign) });
  });

  // Polled by the figures while the campaign sends; without htmx, the whole report.
  app.get('/reporting/:id/figures', { schema: { params: IdParams, querystring: ReportQuery } }, async (request, reply) => {
    const campaign = await load(request, request.params.id);
    const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    if (request.headers['hx-request'] !== 'true') return reply.redirect(`/reporting/${campaign.id}${search}`, 303);
    return reply.fragment('reporting/_report-figures', await reportData(request, campaign, request.query));
  });

  app.get('/reporting/:id/messages.csv', { schema: { params: IdParams } }, async (request, reply) => {
    const campaign = await load(request, request.params.id);
    const { timeZone, currency } = request.account!;
    const name = `campaign-${campaign.name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase() || 'messages'}`;
    return sendCsvDownload(request, reply, name, (client: pg.Client) =>
      csvChunks(CSV_HEADER, campaignMessageBatchesOn(client, campaign.account.id, campaign.id), (row: ReportMessageRow) => [
        row.phone,
        row.contact_id,
        row.country,
        row.status,
        row.skip_reason,
        row.bounce,
        row.error_code,
        row.parts,
        row.cost_micros === null ? '' : Number(row.cost_micros) / MICROS_PER_UNIT,
        currency,
        csvTime(row.created_at, timeZone),
        csvTime(row.sent_at, timeZone),
        csvTime(row.reported_at, timeZone),
      ]),
    );
  });
}
