// Delivery reports: each verified report is stored raw in message_event and applied to its
// message in the same statement, committed before the webhook answers. A
// message's first final status (delivered, undelivered, failed) stands: a repeated or late
// report is recorded but changes nothing. Messages still without one 72 hours after they were
// sent become "unknown" (housekeeping), which a late final report may still replace.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { DeliveryReport } from '../gateways/index.js';
import { withClient } from '../../db/raw-client.js';
import { applyReportsOn } from './delivery-reports.queries.js';

export interface ReportOutcome {
  /** False when no message of this gateway has the reported id (nothing is stored). */
  found: boolean;
  /** Whether the message's status changed. */
  changed: boolean;
}

export interface PendingReport {
  accountId: string;
  gatewayId: string;
  report: DeliveryReport;
  raw: unknown;
  resolve: (outcome: ReportOutcome) => void;
  reject: (error: unknown) => void;
}

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
      const outcomes = await withClient(this.em(), (client) => applyReportsOn(client, batch));
      batch.forEach((pending, index) => {
        const changed = outcomes.get(index + 1);
        pending.resolve({ found: changed !== undefined, changed: changed ?? false });
      });
    } catch (error) {
      // The batch is shared by every gateway's reports: one that the statement cannot take must
      // not fail the others. Each is applied alone, so only the bad one fails.
      if (batch.length === 1) batch[0].reject(error);
      else for (const pending of batch) await this.run([pending]);
    }
  }
}
