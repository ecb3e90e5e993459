// Delivery reports: each verified report is stored raw in message_event and applied to its
// message in the same statement, committed before the webhook answers. A
// message's first final status (delivered, undelivered, failed) stands: a repeated or late
// report is recorded but changes nothing. Messages still without one 72 hours after they were
// sent become "unknown" (housekeeping), which a late final report may still replace.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { DeliveryReport } from '../gateways/index.js';
import { withClient } from '../../db/raw-client.js';

export const UNKNOWN_AFTER_HOURS = 72;

export interface ReportOutcome {
  /** False when no message of this gateway has the reported id (nothing is stored). */
  found: boolean;
  /** Whether the message's status changed. */
  changed: boolean;
}

interface PendingReport {
  accountId: string;
  gatewayId: string;
  report: DeliveryReport;
  raw: unknown;
  resolve: (outcome: ReportOutcome) => void;
  reject: (error: unknown) => void;
}

// Reports of many webhook requests, applied in one prepared statement: each is stored, and each
// message takes the first final status reported in the batch (an earlier batch's stands).
const APPLY_BATCH = {
  name: 'apply-delivery-reports',
  text: `with input as (
      select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
        with ordinality as r(account_id, gateway_id, gid, status, code, raw, pos)),
    target as (
      select r.pos, r.account_id, r.gateway_id, r.status, r.code, r.raw, m.id as message_id
      from input r join message m on m.account_id = r.account_id and m.gateway_id = r.gateway_id and m.gateway_message_id = r.gid),
    stored as (
      insert into message_event (account_id, gateway_id, message_id, status, error_code, raw)
      select account_id, gateway_id, message_id, status, code, raw from target order by pos),
    first as (
      select distinct on (message_id) message_id, account_id, status, code, pos from target order by message_id, pos),
    changed as (
      update message m set status = f.status, error_code = f.code, reported_at = now()
      from first f where m.account_id = f.account_id and m.id = f.message_id and m.status in ('sending', 'sent', 'unknown')
      returning f.pos)
    select t.pos, c.pos is not null as changed from target t left join changed c on c.pos = t.pos`,
};

/**
 * Applies delivery reports as they arrive, in micro-batches: a webhook request waits for the
 * commit of the batch that holds its report (so it is durable before the gateway hears 200),
 * but a busy gateway's reports share statements and commits instead of paying one each. Up to
 * MAX_RUNNING batches run at once; a report that arrives while they run joins the next one.
 */
export class DeliveryReportBatcher {
  static MAX_BATCH = 500;
  static MAX_RUNNING = 4;
  private queue: PendingReport[] = [];
  private running = 0;

  constructor(private readonly em: () => EntityManager) {}

  apply(gateway: { id: string; accountId: string }, report: DeliveryReport, raw: unknown): Promise<ReportOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ accountId: gateway.accountId, gatewayId: gateway.id, report, raw, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length && this.running < DeliveryReportBatcher.MAX_RUNNING) {
      const batch = this.queue.splice(0, DeliveryReportBatcher.MAX_BATCH);
      this.running++;
      void this.run(batch).finally(() => {
        this.running--;
        this.flush();
      });
    }
  }

  private async run(batch: PendingReport[]): Promise<void> {
    try {
      const { rows } = await withClient(this.em(), (client) =>
        client.query<{ pos: string; changed: boolean }>({
          ...APPLY_BATCH,
          values: [
            batch.map((p) => p.accountId),
            batch.map((p) => p.gatewayId),
            batch.map((p) => p.report.gatewayMessageId),
            batch.map((p) => p.report.status),
            batch.map((p) => p.report.errorCode),
            batch.map((p) => JSON.stringify(p.raw)),
          ],
        }),
      );
      const outcomes = new Map(rows.map((row) => [Number(row.pos), row.changed]));
      batch.forEach((pending, index) => {
        const changed = outcomes.get(index + 1);
        pending.resolve({ found: changed !== undefined, changed: changed ?? false });
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }
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
