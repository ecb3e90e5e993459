// Delivery reports: each verified report is stored raw in message_event and applied to its
// message in the same statement (one round trip, committed before the webhook answers). A
// message's first final status (delivered, undelivered, failed) stands: a repeated or late
// report is recorded but changes nothing. Messages still without one 72 hours after they were
// sent become "unknown" (housekeeping), which a late final report may still replace.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { DeliveryReport } from '../gateways/adapters.js';

export const FINAL_STATUSES = ['delivered', 'undelivered', 'failed'] as const;
export const UNKNOWN_AFTER_HOURS = 72;

export interface ReportOutcome {
  /** False when no message of this gateway has the reported id (nothing is stored). */
  found: boolean;
  /** Whether the message's status changed. */
  changed: boolean;
}

export async function applyDeliveryReport(em: EntityManager, gateway: { id: string; accountId: string }, report: DeliveryReport, raw: unknown): Promise<ReportOutcome> {
  const rows = await em.getConnection().execute<{ found: string; changed: string }[]>(
    `with target as (
       select id from message where account_id = ? and gateway_id = ? and gateway_message_id = ?),
     stored as (
       insert into message_event (account_id, gateway_id, message_id, status, error_code, raw)
       select ?, ?, target.id, ?, ?, ?::jsonb from target),
     changed as (
       update message m set status = ?, error_code = ?, reported_at = now()
       from target where m.account_id = ? and m.id = target.id and m.status in ('sending', 'sent', 'unknown')
       returning m.id)
     select (select count(*) from target) as found, (select count(*) from changed) as changed`,
    [
      gateway.accountId, gateway.id, report.gatewayMessageId,
      gateway.accountId, gateway.id, report.status, report.errorCode, JSON.stringify(raw),
      report.status, report.errorCode, gateway.accountId,
    ],
  );
  return { found: Number(rows[0]!.found) > 0, changed: Number(rows[0]!.changed) > 0 };
}

/** Sent messages of campaigns that went out in the last 30 days with no final report after 72 h. */
export async function markUnknownDeliveries(em: EntityManager): Promise<number> {
  const rows = await em.getConnection().execute<{ count: string }[]>(
    `with marked as (
       update message m set status = 'unknown', reported_at = now()
       from campaign c
       where m.account_id = c.account_id and m.campaign_id = c.id
         and c.launched_at > now() - interval '30 days' and c.first_sent_at < now() - make_interval(hours => ?)
         and m.status = 'sent' and m.sent_at < now() - make_interval(hours => ?)
       returning 1)
     select count(*) from marked`,
    [UNKNOWN_AFTER_HOURS, UNKNOWN_AFTER_HOURS],
  );
  return Number(rows[0]!.count);
}
