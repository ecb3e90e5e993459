// The Reporting list in SQL: the account's launched batch campaigns, or its automation campaigns,
// each with its figures summed from its rows of campaign_rollup (a lateral join into the campaign
// query: only the campaigns the search keeps are summed), so sorting by a figure and paging
// happen in PostgreSQL and the message table is never read. Pages are keyset pages: after the row
// with a given id, in the chosen order.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { withClient } from '../../db/raw-client.js';
import { cursorBatchesOn } from '../../db/cursor.js';
import { escapeLike } from '../../db/like.js';
import { isUuid } from '../../db/find.js';
import { CAMPAIGN_TOTALS_SUMS } from '../sending/index.js';
import type { SortDirection } from './sort-headers.js';

export const CAMPAIGN_TYPES = ['batch', 'automated'] as const;
export type CampaignType = (typeof CAMPAIGN_TYPES)[number];

/** The columns a person can sort by; `launched` is "last sent" for automated campaigns. */
export const SORTS = ['name', 'launched', 'recipients', 'sent', 'delivered', 'rate', 'cost'] as const;
export type Sort = (typeof SORTS)[number];

/** Names read from A to Z at first; figures and times from the largest or latest. */
export const defaultDirection = (sort: Sort): SortDirection => (sort === 'name' ? 'asc' : 'desc');

export interface CampaignListFilters {
  type: CampaignType;
  /** A part of the name. */
  q: string;
  sort: Sort;
  dir: SortDirection;
}

/** A row of the list. Times are PostgreSQL's text (formatTime and csvTime read them). */
export interface CampaignListRow {
  id: string;
  name: string;
  status: string;
  /** Batch: when it launched (null for one cancelled before launching); automated: the start of
   * the local hour its latest message left in (null before any). */
  launched_at: string | null;
  recipients: number;
  sent: number;
  delivered: number;
  /** delivered / sent, null before any was sent. */
  rate: number | null;
  cost_micros: number;
}

export interface CampaignListPage {
  rows: CampaignListRow[];
  /** The id of this page's last row when more follow. */
  next: string | null;
}

const LAUNCHED = `c.kind = 'batch' and c.status in ('sending', 'paused', 'sent', 'cancelled')`;
const AUTOMATED = `c.kind = 'automation'`;

/** What each column sorts by: never null, so that (value, id) compares for the keyset. */
const SORT_VALUE: Record<Sort, string> = {
  name: 'lower(name)',
  launched: `coalesce(launched_at, '-infinity'::timestamptz)`,
  recipients: 'recipients',
  sent: 'sent',
  delivered: 'delivered',
  rate: 'coalesce(rate, -1)',
  cost: 'cost_micros',
};

/** The campaigns with their figures, as a statement with `$n` placeholders ($1: the account). */
function listStatement(accountId: string, filters: CampaignListFilters): { sql: string; params: unknown[] } {
  const params: unknown[] = [accountId];
  const conditions = ['c.account_id = $1', filters.type === 'automated' ? AUTOMATED : LAUNCHED];
  const q = filters.q.trim();
  if (q) {
    params.push(`%${escapeLike(q)}%`);
    conditions.push(`c.name ilike $${params.length}`);
  }
  // The latest local hour a message left in, back to a moment in the account's zone.
  const launched = filters.type === 'automated' ? `t.last_sent_hour at time zone a.time_zone` : 'c.launched_at';
  const sql = `select c.id::text, c.name, c.status, ${launched} as launched_at,
      coalesce(t.recipients, 0)::bigint as recipients, coalesce(t.sent, 0)::bigint as sent, coalesce(t.delivered, 0)::bigint as delivered,
      t.delivered::float8 / nullif(t.sent, 0) as rate, coalesce(t.cost_micros, 0)::bigint as cost_micros
    from campaign c join account a on a.id = c.account_id
    left join lateral (select ${CAMPAIGN_TOTALS_SUMS} from campaign_rollup r where r.account_id = c.account_id and r.campaign_id = c.id) t on true
    where ${conditions.join(' and ')}`;
  return { sql, params };
}

/** The statement's rows in the chosen order (ties by id): after the row `after`, `limit` of them
 * (plus one, to know whether more follow), or all of them. */
function orderedSql(filters: CampaignListFilters, params: unknown[], sql: string, page: { after: string | null; limit: number | null }): string {
  const value = SORT_VALUE[filters.sort];
  const [compare, order] = filters.dir === 'asc' ? ['>', 'asc'] : ['<', 'desc'];
  let where = '';
  if (page.after) {
    params.push(isUuid(page.after) ? page.after : null);
    where = `where (${value}, id) ${compare} (select ${value}, id from listed where id = $${params.length})`;
  }
  let limit = '';
  if (page.limit !== null) {
    params.push(page.limit + 1);
    limit = `limit $${params.length}`;
  }
  return `with listed as (${sql}) select * from listed ${where} order by ${value} ${order}, id ${order} ${limit}`;
}

const numbers = (row: CampaignListRow): CampaignListRow => ({
  ...row,
  recipients: Number(row.recipients),
  sent: Number(row.sent),
  delivered: Number(row.delivered),
  cost_micros: Number(row.cost_micros),
});

export async function campaignListPage(em: EntityManager, accountId: string, filters: CampaignListFilters, page: { after: string | null; limit: number }): Promise<CampaignListPage> {
  const { sql, params } = listStatement(accountId, filters);
  const ordered = orderedSql(filters, params, sql, page);
  const { rows } = await withClient(em, (client) => client.query<CampaignListRow>(ordered, params));
  const more = rows.length > page.limit;
  const shown = (more ? rows.slice(0, page.limit) : rows).map(numbers);
  return { rows: shown, next: more ? shown[shown.length - 1]!.id : null };
}

/** Every row of the list, in its order, in batches (the CSV download). */
export async function* campaignListBatchesOn(client: pg.ClientBase, accountId: string, filters: CampaignListFilters): AsyncGenerator<CampaignListRow[]> {
  const { sql, params } = listStatement(accountId, filters);
  for await (const rows of cursorBatchesOn<CampaignListRow>(client, orderedSql(filters, params, sql, { after: null, limit: null }), params)) yield rows.map(numbers);
}
