// The Reporting list as a person asks for it: the URLs that keep its filters (type, search, sort)
// across sorting, paging and export, and its CSV download (times as ISO 8601 with the account's
// offset, money in units of the account's currency).
import type pg from 'pg';
import { MICROS_PER_UNIT } from '../../money.js';
import { csvChunks, csvTime } from '../contacts/index.js';
import { sortHeaders, type SortDirection, type SortHeader } from './sort-headers.js';
import { campaignListBatchesOn, defaultDirection, SORTS, type CampaignListFilters, type Sort } from './reporting.queries.js';

function queryOf(filters: CampaignListFilters, sort: Sort, dir: SortDirection): string {
  const params = new URLSearchParams();
  if (filters.type === 'automated') params.set('type', 'automated');
  if (filters.q) params.set('q', filters.q);
  params.set('sort', sort);
  params.set('dir', dir);
  return params.toString();
}

/** The list's own URL (the pager's), its export and each column's header. */
export function listUrls(filters: CampaignListFilters): { list: string; exportUrl: string; headers: Record<Sort, SortHeader> } {
  const query = queryOf(filters, filters.sort, filters.dir);
  const headers = sortHeaders(SORTS, filters, defaultDirection, (sort, dir) => `/reporting?${queryOf(filters, sort, dir)}`);
  return { list: `/reporting?${query}`, exportUrl: `/reporting/export?${query}`, headers };
}

export function campaignListCsvOn(client: pg.ClientBase, accountId: string, filters: CampaignListFilters, zone: string, currency: string): AsyncGenerator<string> {
  const when = filters.type === 'automated' ? 'last_sent_hour' : 'launched_at';
  return csvChunks(['name', 'status', when, 'recipients', 'sent', 'delivered', 'delivery_rate', 'cost', 'currency'], campaignListBatchesOn(client, accountId, filters), (row) => [
    row.name,
    row.status,
    csvTime(row.launched_at, zone),
    row.recipients,
    row.sent,
    row.delivered,
    row.rate === null ? '' : row.rate.toFixed(4),
    (row.cost_micros / MICROS_PER_UNIT).toFixed(6),
    currency,
  ]);
}
