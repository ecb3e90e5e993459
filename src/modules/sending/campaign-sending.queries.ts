// The figures and rows of one campaign's sending, in SQL (campaign-sending.ts has the rules):
// every statement names the account and the campaign, and reads the message table by its
// (account, campaign, …) indexes.
import type { EntityManager } from '@mikro-orm/postgresql';
import { campaignRollupRows } from './campaign-rollup.queries.js';
import { countParts, type Campaign, type CampaignKind, type CampaignStatus, type TextCheck } from '../campaigns/index.js';

/** A campaign's own messages (not its test sends), as its indexes hold them: a batch campaign's,
 * one per recipient (message_campaign_contact_unique), or an automation campaign's, one per run
 * (message_automation_campaign_index). */
function ownMessages(campaign: Pick<Campaign, 'kind'>): string {
  return campaign.kind === 'automation' ? 'not is_test and run_id is not null' : 'not is_test and run_id is null';
}

/** Marks the campaign's queued messages skipped (not test sends); answers how many. */
export async function skipQueued(em: EntityManager, accountId: string, campaignId: string, reason: 'cancelled'): Promise<number> {
  const rows = await em.getConnection().execute<{ count: string }[]>(
    `with skipped as (
       update message set status = 'skipped', skip_reason = ?, waiting = null
       where account_id = ? and campaign_id = ? and status = 'queued' and not is_test returning 1)
     select count(*) from skipped`,
    [reason, accountId, campaignId],
  );
  return Number(rows[0]!.count);
}

/** Queues test messages to the numbers, each linked to the contact with that number, if any. */
export async function queueTestMessages(em: EntityManager, accountId: string, campaignId: string, gatewayId: string, numbers: { phone: string; country: string | null }[]): Promise<void> {
  await em.getConnection().execute(
    `insert into message (account_id, campaign_id, contact_id, phone, country, status, is_test, gateway_id)
     select ?, ?, (select id from contact c where c.account_id = ? and c.phone = n.phone), n.phone, n.country, 'queued', true, ?
     from jsonb_to_recordset(?::jsonb) as n(phone text, country text)`,
    [accountId, campaignId, accountId, gatewayId, JSON.stringify(numbers)],
  );
}

export interface CampaignStats {
  recipients: number;
  queued: number;
  sending: number;
  sent: number;
  delivered: number;
  undelivered: number;
  failed: number;
  unknown: number;
  skipped: Record<string, number>;
  /** Queued messages waiting for their recipients' send window, until when at the latest, and
   * by the zone they wait for (soonest first). */
  waiting: { count: number; until: Date | null; from: Date | null; groups: WaitingForZone[] };
  retrying: number;
  parts: number;
  costMicros: number;
  unsubscribes: number;
  clicks: number;
  /** Every recipient has an outcome (nothing queued or in flight). */
  done: boolean;
}

/** Messages waiting for one zone's window: the recipients' own zone, or (zone null) the window
 * open across all of their country's zones. */
export interface WaitingForZone {
  zone: string | null;
  country: string | null;
  count: number;
  until: Date;
}

/** Zones shown one by one on the campaign page; the rest are added up in one line. */
export const WAITING_ZONES_SHOWN = 6;

/** The campaign's figures, from its rollup (campaign-rollup.queries.ts): a page polling a
 * million-recipient campaign sums a few hundred rows. Only the bounds of the quiet-hours wait
 * read messages, through the queue's index, and only while some wait. */
export async function campaignStats(em: EntityManager, campaign: Campaign): Promise<CampaignStats> {
  const [accountId, campaignId] = [campaign.account.id, campaign.id];
  const connection = em.getConnection();
  const [rows, clicks] = await Promise.all([
    campaignRollupRows(em, accountId, campaignId),
    connection.execute<{ count: string }[]>('select count(*) from click k join link l on l.account_id = k.account_id and l.id = k.link_id where l.account_id = ? and l.campaign_id = ?', [accountId, campaignId]),
  ]);
  const stats: CampaignStats = {
    recipients: 0, queued: 0, sending: 0, sent: 0, delivered: 0, undelivered: 0, failed: 0, unknown: 0, skipped: {},
    waiting: { count: 0, until: null, from: null, groups: [] }, retrying: 0, parts: 0, costMicros: 0, unsubscribes: 0, clicks: Number(clicks[0]!.count), done: false,
  };
  for (const row of rows) {
    const count = row.messages;
    stats.recipients += count;
    stats.parts += row.parts;
    stats.costMicros += row.costMicros;
    stats.unsubscribes += row.unsubscribes;
    if (row.status === 'skipped') stats.skipped[row.skipReason ?? 'other'] = (stats.skipped[row.skipReason ?? 'other'] ?? 0) + count;
    else if (row.status === 'refused') stats.failed += count;
    else (stats as unknown as Record<string, number>)[row.status] += count;
    if (row.status === 'queued' && row.waiting === 'quiet_hours') stats.waiting.count += count;
    if (row.status === 'queued' && row.waiting === 'retry') stats.retrying += count;
  }
  if (stats.waiting.count > 0) stats.waiting = await quietHoursWait(em, accountId, campaignId, stats.waiting.count);
  stats.done = stats.queued === 0 && stats.sending === 0;
  return stats;
}

/** The quiet-hours wait of `count` messages (from the rollup): by the zone they wait for and
 * until when, read through the partial index of waiting messages (an index-only scan of just
 * those); nothing waits once the last of them is due. Test sends never wait for a window. */
async function quietHoursWait(em: EntityManager, accountId: string, campaignId: string, count: number): Promise<CampaignStats['waiting']> {
  const rows = await em.getConnection().execute<{ not_before: Date; time_zone: string | null; country: string | null; count: string }[]>(
    `select not_before, time_zone, country, count(*) from message
     where account_id = ? and campaign_id = ? and status = 'queued' and waiting = 'quiet_hours' and not_before > now()
     group by not_before, time_zone, country order by not_before`,
    [accountId, campaignId],
  );
  if (!rows.length) return { count: 0, until: null, from: null, groups: [] };
  const groups = new Map<string, WaitingForZone>();
  for (const row of rows) {
    const key = row.time_zone ?? `country:${row.country ?? ''}`;
    const group = groups.get(key);
    if (group) group.count += Number(row.count);
    else groups.set(key, { zone: row.time_zone, country: row.time_zone ? null : row.country, count: Number(row.count), until: new Date(row.not_before) });
  }
  return { count, from: new Date(rows[0]!.not_before), until: new Date(rows.at(-1)!.not_before), groups: [...groups.values()] };
}

/** The ledger's net for the campaign: debits less refunds (tests included: they are billed). */
export async function campaignSpend(em: EntityManager, accountId: string, campaignId: string): Promise<number> {
  const rows = await em.getConnection().execute<{ spent: string | null }[]>(`select -sum(amount_micros) as spent from credit_transaction where account_id = ? and campaign_id = ?`, [accountId, campaignId]);
  return Number(rows[0]!.spent ?? 0);
}

export interface TestMessage {
  phone: string;
  status: string;
  errorCode: string | null;
  createdAt: Date;
}

export async function recentTests(em: EntityManager, accountId: string, campaignId: string): Promise<TestMessage[]> {
  const rows = await em.getConnection().execute<{ phone: string; status: string; error_code: string | null; created_at: Date }[]>(
    `select phone, status, error_code, created_at from message where account_id = ? and campaign_id = ? and is_test order by id desc limit 10`,
    [accountId, campaignId],
  );
  return rows.map((r) => ({ phone: r.phone, status: r.status, errorCode: r.error_code, createdAt: r.created_at }));
}

/** The count of a launched campaign: its longest message as rendered for its recipient (null
 * until one is rendered). */
export async function renderedCount(em: EntityManager, campaign: Campaign): Promise<TextCheck | null> {
  const rows = await em.getConnection().execute<{ body: string }[]>(
    `select body from message where account_id = ? and campaign_id = ? and ${ownMessages(campaign)} and body is not null order by parts desc, length(body) desc limit 1`,
    [campaign.account.id, campaign.id],
  );
  return rows.length ? { count: countParts(rows[0].body), basis: 'rendered', unknown: [], error: null } : null;
}

/** Releases the account's messages held for quiet hours (its settings changed): they are due now,
 * and the dispatcher holds again those still outside their window. Answers the campaigns they
 * belong to, with what says whether they are dispatched. */
export async function releaseQuietHoursWait(em: EntityManager, accountId: string): Promise<{ id: string; kind: CampaignKind; status: CampaignStatus }[]> {
  return em.getConnection().execute(
    `with released as (
       update message set not_before = now(), waiting = null
       where account_id = ? and status = 'queued' and waiting = 'quiet_hours' and not_before > now()
       returning campaign_id)
     select distinct c.id, c.kind, c.status from released r join campaign c on c.account_id = ? and c.id = r.campaign_id`,
    [accountId, accountId],
  );
}

/** After a gateway was resumed or enabled: its messages waiting to be retried are due now, and
 * the account's campaigns that may have waited for it are answered (sending ones, and those whose
 * retries were released). */
export async function releaseGatewayWait(em: EntityManager, accountId: string, gatewayId: string): Promise<{ id: string; kind: CampaignKind; status: CampaignStatus }[]> {
  return em.getConnection().execute(
    `with released as (
       update message set not_before = now(), waiting = null
       where account_id = ? and gateway_id = ? and status = 'queued' and waiting = 'retry' and not_before > now()
       returning campaign_id)
     select c.id, c.kind, c.status from campaign c
     where c.account_id = ? and (c.status = 'sending' or c.id in (select campaign_id from released))`,
    [accountId, gatewayId, accountId],
  );
}

/** An automation campaign's messages skipped for insufficient credit that can be sent again (their
 * contact still exists), per destination country, to price them. */
export async function creditSkippedByCountry(em: EntityManager, campaign: Campaign): Promise<{ country: string | null; count: number }[]> {
  const rows = await em.getConnection().execute<{ country: string | null; count: string }[]>(
    `select country, count(*) as count from message
     where account_id = ? and campaign_id = ? and ${ownMessages(campaign)} and status = 'skipped' and skip_reason = 'insufficient_credit' and contact_id is not null
     group by country`,
    [campaign.account.id, campaign.id],
  );
  return rows.map((row) => ({ country: row.country, count: Number(row.count) }));
}

/** Queues again, due now, the messages skipped for insufficient credit; answers how many. */
export async function requeueCreditSkipped(em: EntityManager, campaign: Campaign): Promise<number> {
  const rows = await em.getConnection().execute<{ count: string }[]>(
    `with requeued as (
       update message set status = 'queued', skip_reason = null, skipped_at = null, not_before = now(), waiting = null
       where account_id = ? and campaign_id = ? and ${ownMessages(campaign)} and status = 'skipped' and skip_reason = 'insufficient_credit' and contact_id is not null
       returning 1)
     select count(*) from requeued`,
    [campaign.account.id, campaign.id],
  );
  return Number(rows[0]!.count);
}

export interface CampaignMessage {
  contactId: string | null;
  phone: string;
  status: string;
  skipReason: string | null;
  errorCode: string | null;
  /** When it was sent, or else written. */
  at: Date;
}

/** The campaign's newest messages (an automation campaign's page lists them). */
export async function recentMessages(em: EntityManager, campaign: Campaign, limit: number): Promise<CampaignMessage[]> {
  const rows = await em.getConnection().execute<{ contact_id: string | null; phone: string; status: string; skip_reason: string | null; error_code: string | null; at: Date }[]>(
    `select contact_id, phone, status, skip_reason, error_code, coalesce(sent_at, created_at) as at from message
     where account_id = ? and campaign_id = ? and ${ownMessages(campaign)} order by id desc limit ?`,
    [campaign.account.id, campaign.id, limit],
  );
  return rows.map((r) => ({ contactId: r.contact_id === null ? null : String(r.contact_id), phone: r.phone, status: r.status, skipReason: r.skip_reason, errorCode: r.error_code, at: r.at }));
}
