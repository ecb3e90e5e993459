// The Dashboard's figures, from usage_daily (migration Rollups): per account, local day,
// country and kind (batch, automated, transactional), what left for the gateways, its parts,
// cost and delivery outcomes; a message counts on the local day it was sent. A trigger on message
// appends each statement's difference, the rollup poller folds them, and a job reconciles recent
// days against the messages. No page here reads the message table.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { withClient } from '../../db/raw-client.js';
import { foldRollupOn, replaceRollupOn, type RollupTable } from '../../db/rollup.js';

export const USAGE_DAILY: RollupTable = {
  table: 'usage_daily',
  key: ['account_id', 'day', 'country', 'kind'],
  nullableKey: [],
  sums: ['messages', 'parts', 'cost_micros', 'delivered', 'undelivered'],
};

export const USAGE_KINDS = ['batch', 'automated', 'transactional'] as const;
export type UsageKind = (typeof USAGE_KINDS)[number];

export interface UsageFigures {
  messages: number;
  parts: number;
  costMicros: number;
  delivered: number;
  undelivered: number;
}

export interface UsageRow extends UsageFigures {
  /** The local day, YYYY-MM-DD. */
  day: string;
  /** ISO 3166 code; '' when the number's country is not known. */
  country: string;
  kind: UsageKind;
}

/** Local days from `from` to `to`, both included (YYYY-MM-DD). */
export interface DayRange {
  from: string;
  to: string;
}

/** The account's usage in the range, per day, country and kind, and whether the zone its rollups
 * were built in differs from its own (they are being rebuilt): what the Dashboard shows, in one
 * round trip (the flag's one-row subquery is joined to the rows, so it comes even without any).
 * Named: the Dashboard runs it on every view, and each connection plans it once. */
export async function usageWithZone(em: EntityManager, accountId: string, range: DayRange): Promise<{ rows: UsageRow[]; stale: boolean }> {
  type Row = { stale: boolean; day: string | null; country: string; kind: UsageKind; messages: string; parts: string; cost_micros: string; delivered: string; undelivered: string };
  const { rows } = await withClient(em, (client) =>
    client.query<Row>({
      name: 'dashboard-usage',
      text: `select zone.stale, u.* from
       (select coalesce((select z.time_zone <> a.time_zone from account a join rollup_zone z on z.account_id = a.id where a.id = $1), false) as stale) zone
       left join lateral (
         select to_char(day, 'YYYY-MM-DD') as day, country, kind, sum(messages) as messages, sum(parts) as parts, sum(cost_micros) as cost_micros,
                sum(delivered) as delivered, sum(undelivered) as undelivered
         from usage_daily where account_id = $1 and day between $2::date and $3::date
         group by day, country, kind having sum(messages) <> 0 or sum(cost_micros) <> 0) u on true
       order by u.day, u.country, u.kind`,
      values: [accountId, range.from, range.to],
    }),
  );
  return {
    stale: rows[0]?.stale ?? false,
    rows: rows
      .filter((r) => r.day !== null)
      .map((r) => ({
        day: r.day!,
        country: r.country,
        kind: r.kind,
        messages: Number(r.messages),
        parts: Number(r.parts),
        costMicros: Number(r.cost_micros),
        delivered: Number(r.delivered),
        undelivered: Number(r.undelivered),
      })),
  };
}

/** The account's usage in the range, per day, country and kind. */
export async function usageRows(em: EntityManager, accountId: string, range: DayRange): Promise<UsageRow[]> {
  return (await usageWithZone(em, accountId, range)).rows;
}

/** Folds the differences appended since the last fold (the rollup poller). */
export function foldUsageOn(client: pg.ClientBase, limit: number): Promise<number> {
  return foldRollupOn(client, USAGE_DAILY, limit);
}

/** A message's contribution, recomputed (the trigger's rules), for the messages sent in [$2, $3)
 * (exported for the benchmark's EXPLAIN). */
export const USAGE_RECOMPUTE = `select m.account_id, (m.sent_at at time zone a.time_zone)::date as day, coalesce(m.country, '') as country,
    case when m.campaign_id is null or m.is_test then 'transactional' when m.run_id is not null then 'automated' else 'batch' end as kind,
    1 as messages, coalesce(m.parts, 0) as parts, coalesce(m.cost_micros, 0) as cost_micros,
    (m.status = 'delivered')::int as delivered, (m.status in ('undelivered', 'failed'))::int as undelivered
  from message m join account a on a.id = m.account_id
  where m.account_id = $1 and m.sent_at >= $2::timestamptz and m.sent_at < $3::timestamptz`;

/** Rebuilds the account's usage of the local days from `from` to `to` (both included) from its
 * messages; answers how many (day, country, kind) figures were wrong. */
export async function rebuildUsageOn(client: pg.ClientBase, accountId: string, range: DayRange): Promise<number> {
  const { rows } = await client.query<{ start: Date; end: Date }>(
    `select ($2::date)::timestamp at time zone a.time_zone as start, ($3::date + 1)::timestamp at time zone a.time_zone as end from account a where a.id = $1`,
    [accountId, range.from, range.to],
  );
  if (!rows.length) return 0;
  return replaceRollupOn(client, USAGE_DAILY, 'account_id = $1 and day between $4::date and $5::date', USAGE_RECOMPUTE, [accountId, rows[0]!.start, rows[0]!.end, range.from, range.to]);
}
