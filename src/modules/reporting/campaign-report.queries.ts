// Figures of one campaign's report that come from beside its messages: the STOP replies attributed
// to it by time, the clicks on its tracked links, and its messages for the CSV export. Every
// statement names the account.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { cursorBatchesOn } from '../../db/cursor.js';
import { withClient } from '../../db/raw-client.js';
import { IN_STOP_LIST, LATEST_CAMPAIGN_BEFORE_REPLY } from '../inbound/index.js';

/** How long after a campaign's message a STOP reply is still counted as answering it. */
export const STOP_ATTRIBUTION_DAYS = 3;

export interface StopReplies {
  count: number;
  /** Per local day of the account (YYYY-MM-DD), the days with replies only, in order. */
  byDay: { day: string; count: number }[];
}

// A reply counts for the campaign when the latest campaign message sent to its phone before it
// (the Inbound tab's rule) is this campaign's and was sent at most STOP_ATTRIBUTION_DAYS earlier.
// The statement starts from the account's STOP replies since the campaign's first send (a few,
// over inbound_message_stop_list_index), each probing message_campaign_phone_sent_index once,
// so a campaign of a million recipients costs what its replies cost. It stops a day past the
// window after the campaign finished: messages in flight when a campaign is cancelled are sent
// just after.
const STOP_REPLIES_BY_DAY = `
  select to_char(i.received_at at time zone a.time_zone, 'YYYY-MM-DD') as day, count(*)::int as count
  from campaign k
  join account a on a.id = k.account_id
  join inbound_message i on i.account_id = k.account_id and ${IN_STOP_LIST}
    and i.received_at >= k.first_sent_at
    and i.received_at <= coalesce(k.finished_at, 'infinity') + make_interval(days => $3 + 1)
  ${LATEST_CAMPAIGN_BEFORE_REPLY}
  where k.account_id = $1 and k.id = $2
    and latest.campaign_id = k.id and i.received_at <= latest.sent_at + make_interval(days => $3)
  group by 1 order by 1`;

/** The STOP replies attributed to the campaign by time, in all and per local day. */
export async function stopRepliesAfter(em: EntityManager, accountId: string, campaignId: string): Promise<StopReplies> {
  const { rows } = await withClient(em, (client) => client.query<{ day: string; count: number }>(STOP_REPLIES_BY_DAY, [accountId, campaignId, STOP_ATTRIBUTION_DAYS]));
  return { count: rows.reduce((sum, row) => sum + row.count, 0), byDay: rows };
}

export interface LinkClicks {
  linkId: string;
  position: number;
  url: string;
  /** Every click recorded (a message's repeated clicks within a minute count once). */
  total: number;
  /** The messages whose recipient clicked: people, not clicks. */
  unique: number;
}

/** The campaign's tracked links in text order, each with its clicks. */
export async function linkClicks(em: EntityManager, accountId: string, campaignId: string): Promise<LinkClicks[]> {
  const { rows } = await withClient(em, (client) =>
    client.query<{ link_id: string; position: number; url: string; total: number; unique_messages: number }>(
      `select l.id::text as link_id, l.position, l.url, count(c.id)::int as total, count(distinct c.message_id)::int as unique_messages
       from link l left join click c on c.account_id = l.account_id and c.link_id = l.id
       where l.account_id = $1 and l.campaign_id = $2
       group by l.id order by l.position`,
      [accountId, campaignId],
    ),
  );
  return rows.map((row) => ({ linkId: row.link_id, position: row.position, url: row.url, total: row.total, unique: row.unique_messages }));
}

export interface ReportMessageRow {
  phone: string;
  contact_id: string | null;
  country: string | null;
  /** The message's status, `refused` for a message that failed before it left (refunded). */
  status: string;
  skip_reason: string | null;
  bounce: string | null;
  error_code: string | null;
  parts: number | null;
  cost_micros: string | null;
  created_at: Date;
  sent_at: Date | null;
  reported_at: Date | null;
}

// Every message of the campaign (test sends are not its messages), in the order they were
// written, read through a server-side cursor a batch at a time: a million rows never sit in
// memory, and none passes through the ORM. Status and cost follow the report's rules (a refused
// message was refunded).
const CAMPAIGN_MESSAGES = `
  select m.phone, m.contact_id::text as contact_id, m.country,
         case when m.status = 'failed' and m.sent_at is null then 'refused' else m.status::text end as status,
         m.skip_reason, m.bounce, m.error_code, m.parts,
         (case when m.status = 'failed' and m.sent_at is null then 0 else m.cost_micros end)::text as cost_micros,
         m.created_at, m.sent_at, m.reported_at
  from message m
  where m.account_id = $1 and m.campaign_id = $2 and not m.is_test
  order by m.id`;

export function campaignMessageBatchesOn(client: pg.ClientBase, accountId: string, campaignId: string): AsyncGenerator<ReportMessageRow[]> {
  return cursorBatchesOn<ReportMessageRow>(client, CAMPAIGN_MESSAGES, [accountId, campaignId]);
}
