// A campaign's figures without grouping its messages: campaign_rollup holds them per status,
// reason, country, program and local hour, kept by a trigger on message (migration
// Rollups: every statement adds the difference it makes), folded by a poller and reconciled
// against the messages by a job. A page that polls a million-recipient campaign every two
// seconds sums a few hundred rows.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { foldRollupOn, replaceRollupOn, type RollupTable } from '../../db/rollup.js';

export const CAMPAIGN_ROLLUP: RollupTable = {
  table: 'campaign_rollup',
  key: ['account_id', 'campaign_id', 'hour', 'country', 'status'],
  nullableKey: ['program_id', 'skip_reason', 'waiting', 'bounce'],
  sums: ['messages', 'parts', 'cost_micros', 'unsubscribes'],
};

export interface CampaignRollupRow {
  /** The local hour (account's zone) the message was sent, or else written: 'YYYY-MM-DD HH:00:00'
   * (the wall-clock time, with no zone: not a point in time). */
  hour: string;
  country: string;
  programId: string | null;
  /** The message's status, except `refused`: failed before it left (refused for good by the
   * gateway, and refunded), as opposed to `failed` reported after it was sent. */
  status: string;
  skipReason: string | null;
  waiting: string | null;
  bounce: string | null;
  messages: number;
  parts: number;
  /** What stands of its cost (a message refused for good before leaving was refunded). */
  costMicros: number;
  unsubscribes: number;
}

/** The campaign's rollup, summed per key; `hours` limits it to local hours in [from, to). */
export async function campaignRollupRows(em: EntityManager, accountId: string, campaignId: string, hours?: { from: string; to: string }): Promise<CampaignRollupRow[]> {
  const rows = await em.getConnection().execute<
    { hour: string; country: string; program_id: string | null; status: string; skip_reason: string | null; waiting: string | null; bounce: string | null; messages: string; parts: string; cost_micros: string; unsubscribes: string }[]
  >(
    `select to_char(hour, 'YYYY-MM-DD HH24:MI:SS') as hour, country, program_id, status, skip_reason, waiting, bounce,
            sum(messages) as messages, sum(parts) as parts, sum(cost_micros) as cost_micros, sum(unsubscribes) as unsubscribes
     from campaign_rollup where account_id = ? and campaign_id = ? and (?::timestamp is null or (hour >= ?::timestamp and hour < ?::timestamp))
     group by hour, country, program_id, status, skip_reason, waiting, bounce
     having sum(messages) <> 0 or sum(parts) <> 0 or sum(cost_micros) <> 0 or sum(unsubscribes) <> 0`,
    [accountId, campaignId, hours?.from ?? null, hours?.from ?? null, hours?.to ?? null],
  );
  return rows.map((r) => ({
    hour: String(r.hour),
    country: r.country,
    programId: r.program_id,
    status: r.status,
    skipReason: r.skip_reason,
    waiting: r.waiting,
    bounce: r.bounce,
    messages: Number(r.messages),
    parts: Number(r.parts),
    costMicros: Number(r.cost_micros),
    unsubscribes: Number(r.unsubscribes),
  }));
}

/** The statuses of messages that left for the gateway. */
export const SENT_STATUSES = ['sent', 'delivered', 'undelivered', 'failed', 'unknown'] as const;

const SENT_LIST = SENT_STATUSES.map((status) => `'${status}'`).join(', ');

/** A campaign's figures summed over its rows of campaign_rollup `r` (one campaign's, or `group by
 * r.campaign_id`): recipients, sent, delivered, undelivered, cost_micros, and last_sent_hour (the
 * latest local hour a message left in). Lists join it to sort by a figure in SQL. */
export const CAMPAIGN_TOTALS_SUMS = `sum(r.messages) as recipients,
  coalesce(sum(r.messages) filter (where r.status in (${SENT_LIST})), 0) as sent,
  coalesce(sum(r.messages) filter (where r.status = 'delivered'), 0) as delivered,
  coalesce(sum(r.messages) filter (where r.status in ('undelivered', 'failed')), 0) as undelivered,
  sum(r.cost_micros) as cost_micros,
  max(r.hour) filter (where r.status in (${SENT_LIST}) and r.messages > 0) as last_sent_hour`;

/** Folds the differences appended since the last fold (the rollup poller). */
export function foldCampaignRollupOn(client: pg.ClientBase, limit: number): Promise<number> {
  return foldRollupOn(client, CAMPAIGN_ROLLUP, limit);
}

/** The campaign's rollup recomputed from its messages (the same rules as the trigger's). */
const RECOMPUTE = `select m.account_id, m.campaign_id, m.program_id,
    date_trunc('hour', coalesce(m.sent_at, m.created_at) at time zone a.time_zone) as hour, coalesce(m.country, '') as country,
    case when m.status = 'failed' and m.sent_at is null then 'refused' else m.status end as status, m.skip_reason, m.waiting, m.bounce,
    1 as messages, coalesce(m.parts, 0) as parts,
    case when m.status = 'failed' and m.sent_at is null then 0 else coalesce(m.cost_micros, 0) end as cost_micros,
    (m.unsubscribed_at is not null)::int as unsubscribes
  from message m join account a on a.id = m.account_id
  where m.account_id = $1 and m.campaign_id = $2 and not m.is_test`;

/** Rebuilds one campaign's rollup from its messages; answers how many keys were wrong. */
export function rebuildCampaignRollupOn(client: pg.ClientBase, accountId: string, campaignId: string): Promise<number> {
  return replaceRollupOn(client, CAMPAIGN_ROLLUP, 'account_id = $1 and campaign_id = $2', RECOMPUTE, [accountId, campaignId]);
}
