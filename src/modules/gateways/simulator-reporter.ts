// The simulator's other half: it posts each accepted message's delivery report to the gateway's
// own webhook (`PUBLIC_URL/webhooks/<gateway id>/dlr`, bearer secret, JSON) once its delay has
// passed, as a real gateway would. Reports are claimed with a lease (several workers can run
// this), and a report the webhook refuses is tried again later (a 404 means the dispatcher has
// not recorded the message yet), giving up after MAX_REPORT_ATTEMPTS.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import { withClient } from '../../db/raw-client.js';
import { Poller } from '../../poller.js';
import { webhookUrls } from './registry.js';
import { claimDueReportsOn, markReportedOn, retryReportsLaterOn, type DueReport } from './simulator.queries.js';

const BATCH = 500;
const CONCURRENCY = 64;
const POLL_MS = 250;
const MAX_REPORT_ATTEMPTS = 20;

export class SimulatorReporter extends Poller {
  constructor(
    private readonly orm: MikroORM,
    private readonly publicUrl: string,
    log: FastifyBaseLogger,
  ) {
    super(log, { what: 'simulator reports', batch: BATCH, pollMs: POLL_MS });
  }

  /** Posts the reports that are due; returns how many it took. */
  override async tick(): Promise<number> {
    const em = this.orm.em.fork();
    const due = await withClient(em, (client) => claimDueReportsOn(client, BATCH));
    if (!due.length) return 0;
    const done: DueReport[] = [];
    const refused: DueReport[] = [];
    const queue = [...due];
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
        for (let report = queue.shift(); report; report = queue.shift()) {
          if ((await this.post(report)) || report.report_attempts >= MAX_REPORT_ATTEMPTS) done.push(report);
          else refused.push(report);
        }
      }),
    );
    await withClient(em, async (client) => {
      if (done.length) await markReportedOn(client, done);
      // Sooner than the lease: the usual refusal is a report that overtook the dispatcher's write.
      if (refused.length) await retryReportsLaterOn(client, refused);
    });
    return due.length;
  }

  private async post(report: DueReport): Promise<boolean> {
    const url = webhookUrls({ id: report.gateway_id, kind: 'simulator', secret: report.secret }, this.publicUrl).dlr;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${report.secret}` },
        body: JSON.stringify({ id: report.id, status: report.report_status, ...(report.error_code ? { error_code: report.error_code } : {}) }),
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      return response.ok;
    } catch {
      return false;
    }
  }
}
