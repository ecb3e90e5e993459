// Delivery reports: each verified report is stored raw in message_event and applied to its
// message in the same statement, committed before the webhook answers. A
// message's first final status (delivered, undelivered, failed) stands: a repeated or late
// report is recorded but changes nothing. Messages still without one 72 hours after they were
// sent become "unknown" (housekeeping), which a late final report may still replace.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { DeliveryReport } from '../gateways/index.js';
import { withClient } from '../../db/raw-client.js';
import { MicroBatcher } from '../../db/micro-batcher.js';
import { applyReportsOn } from './delivery-reports.queries.js';

export interface ReportOutcome {
  /** False when no message of this gateway has the reported id (nothing is stored). */
  found: boolean;
  /** Whether the message's status changed. */
  changed: boolean;
}

/** A verified report, to apply to its gateway's message. */
interface ReportToApply {
  accountId: string;
  gatewayId: string;
  report: DeliveryReport;
  raw: unknown;
}

/**
 * Applies delivery reports as they arrive, in micro-batches (MicroBatcher): a webhook request
 * waits for the commit of the batch that holds its report (so it is durable before the gateway
 * hears 200), but a busy gateway's reports share statements and commits instead of paying one
 * each. The batch is shared by every gateway's reports: one that the statement cannot take fails
 * alone. Up to MAX_RUNNING batches run at once (read when the batcher is made).
 */
export class DeliveryReportBatcher {
  static MAX_BATCH = 500;
  static MAX_RUNNING = 4;
  private readonly batcher: MicroBatcher<ReportToApply, ReportOutcome>;

  constructor(em: () => EntityManager) {
    this.batcher = new MicroBatcher(
      async (batch) => {
        const outcomes = await withClient(em(), (client) => applyReportsOn(client, batch));
        return batch.map((_, index) => {
          const changed = outcomes.get(index + 1);
          return { found: changed !== undefined, changed: changed ?? false };
        });
      },
      { maxBatch: DeliveryReportBatcher.MAX_BATCH, maxRunning: DeliveryReportBatcher.MAX_RUNNING },
    );
  }

  apply(gateway: { id: string; accountId: string }, report: DeliveryReport, raw: unknown): Promise<ReportOutcome> {
    return this.batcher.add({ accountId: gateway.accountId, gatewayId: gateway.id, report, raw });
  }
}
