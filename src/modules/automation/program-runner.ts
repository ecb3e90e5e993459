// The Automation Center's engine (DESIGN.md "Data": a run per contact): a poller in every
// job-running process that
//   1. enters the contacts of new event triggers into the active programs on that event;
//   2. advances due runs, a batch at a time in one transaction: each run does its next steps until
//      a wait (its due time goes into the run's row: no Agenda job per contact) or the end.
// Runs are locked with SKIP LOCKED, so several processes share the work; everything a round does
// (SMS and emails queued, lists, fields, the runs' paths) commits together or not at all, so a
// crash repeats a round rather than half-doing it. A batch that fails is redone run by run, and a
// run that keeps failing is retried with backoff, then marked failed with its error: one bad
// contact never holds up the others.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import type pg from 'pg';
import { inTransaction } from '../../db/raw-client.js';
import { withAccount } from '../../db/tenant.js';
import { Poller } from '../../poller.js';
import { customFieldsOf, type CustomField } from '../contacts/index.js';
import {
  accountZonesOn, claimDueRunsOn, enterTriggeredOn, recordStepsOn, stepsOfOn, updateRunsOn, ENTER_BATCH,
  type DueRun, type RunUpdate, type StepRecord, type StepRow,
} from './program-runs.queries.js';
import { STEP_ACTIONS, waitEnd, type ActionContext, type RunAtStep } from './step-actions.js';

export const RUN_BATCH = 500;
/** Attempts before a run that keeps failing is marked failed. */
export const MAX_RUN_ATTEMPTS = 5;
const RETRY_BASE_SECONDS = 30;

/** Started by the runner for each campaign a round queued SMS for (sending's dispatch). */
export type SmsQueuedListener = (accountId: string, campaignId: string) => Promise<void>;

/** The step after position `after` in a program's current steps, if any. */
function stepAfter(steps: StepRow[] | undefined, after: number): StepRow | null {
  return steps?.find((step) => step.position > after) ?? null;
}

/** Does the next steps of each run until a wait or the end; answers what to write back. */
async function advance(client: pg.ClientBase, runs: DueRun[], context: ActionContext): Promise<{ records: StepRecord[]; updates: RunUpdate[] }> {
  const steps = await stepsOfOn(client, [...new Set(runs.map((run) => run.program_id))]);
  const records: StepRecord[] = [];
  const updates: RunUpdate[] = [];
  const record = (run: DueRun, step: StepRow, outcome: StepRecord['outcome'], detail: string | null) =>
    records.push({ accountId: run.account_id, runId: run.id, stepId: step.id, kind: step.kind, outcome, detail });
  // A run whose wait just ended has passed that step.
  for (const run of runs) {
    if (run.waiting_step_id) records.push({ accountId: run.account_id, runId: run.id, stepId: run.waiting_step_id, kind: 'wait', outcome: 'passed', detail: null });
  }
  let pending = runs.map((run) => ({ run, after: run.after }));
  // Each pass moves every pending run one step on.
  while (pending.length) {
    const groups = new Map<string, RunAtStep[]>();
    const next: typeof pending = [];
    for (const item of pending) {
      const { run } = item;
      const step = stepAfter(steps.get(run.program_id), item.after);
      if (!step) {
        updates.push({ id: run.id, accountId: run.account_id, status: 'completed', stepId: null, position: item.after, dueAt: context.now, attempts: 0, lastError: null });
      } else if (!step.enabled) {
        record(run, step, 'skipped', 'Step disabled');
        next.push({ run, after: step.position });
      } else if (step.kind === 'wait') {
        updates.push({ id: run.id, accountId: run.account_id, status: 'running', stepId: step.id, position: step.position, dueAt: waitEnd(step, context.now, context.zoneOf(run.account_id)), attempts: 0, lastError: null });
      } else {
        groups.set(step.kind, [...(groups.get(step.kind) ?? []), { run, step }]);
      }
    }
    for (const [kind, group] of groups) {
      const outcomes = await STEP_ACTIONS[kind as keyof typeof STEP_ACTIONS](client, group, context);
      group.forEach(({ run, step }, i) => {
        record(run, step, outcomes[i]!.outcome, outcomes[i]!.detail);
        next.push({ run, after: step.position });
      });
    }
    pending = next;
  }
  return { records, updates };
}

export class ProgramRunner extends Poller {
  private readonly customFields = new Map<string, Promise<Map<string, CustomField>>>();

  constructor(
    private readonly orm: MikroORM,
    log: FastifyBaseLogger,
    private readonly onSmsQueued: SmsQueuedListener = async () => {},
    options: { pollMs?: number } = {},
  ) {
    super(log, { what: 'automation runner', batch: RUN_BATCH, pollMs: options.pollMs ?? 500 });
  }

  async tick(): Promise<number> {
    this.customFields.clear();
    let entered = 0;
    // Enter everything triggered so far, then advance (new runs are due at once).
    for (;;) {
      const round = await inTransaction(this.orm.em.fork(), (client) => enterTriggeredOn(client));
      entered += round.entered;
      if (round.triggers < ENTER_BATCH) break;
    }
    const advanced = await this.advanceDue();
    return Math.max(advanced, entered >= RUN_BATCH ? RUN_BATCH : 0);
  }

  /** One batch of due runs; answers how many it took. */
  async advanceDue(): Promise<number> {
    const queued = new Map<string, { accountId: string; campaignId: string }>();
    const em = this.orm.em.fork();
    let claimed: DueRun[] = [];
    try {
      claimed = await inTransaction(em, async (client) => {
        const runs = await claimDueRunsOn(client, RUN_BATCH);
        if (runs.length) await this.round(client, runs, queued);
        return runs;
      });
    } catch (error) {
      // Somewhere in the batch is a run that fails: redo them one by one.
      this.log.warn({ err: error }, 'automation batch failed; advancing its runs one by one');
      queued.clear();
      claimed = await this.advanceAlone(queued);
    }
    for (const { accountId, campaignId } of queued.values()) await this.onSmsQueued(accountId, campaignId).catch((error) => this.log.warn({ err: error, campaignId }, 'could not start dispatch'));
    return claimed.length;
  }

  private async round(client: pg.ClientBase, runs: DueRun[], queued: Map<string, { accountId: string; campaignId: string }>): Promise<void> {
    const zones = await accountZonesOn(client, [...new Set(runs.map((run) => run.account_id))]);
    const context: ActionContext = {
      now: new Date(),
      zoneOf: (accountId) => zones.get(accountId) ?? 'UTC',
      customFieldsOf: (accountId) => this.customFieldsOf(accountId),
      queuedSms: (accountId, campaignId) => void queued.set(`${accountId}/${campaignId}`, { accountId, campaignId }),
    };
    const { records, updates } = await advance(client, runs, context);
    await recordStepsOn(client, records);
    await updateRunsOn(client, updates);
  }

  /** The batch again, each run in its own transaction; a failing run is retried later. */
  private async advanceAlone(queued: Map<string, { accountId: string; campaignId: string }>): Promise<DueRun[]> {
    const em = this.orm.em.fork();
    const runs = await inTransaction(em, (client) => claimDueRunsOn(client, RUN_BATCH));
    for (const run of runs) {
      try {
        await inTransaction(em, async (client) => {
          const locked = await claimDueRunsOn(client, 1, run.id);
          if (locked.length) await this.round(client, locked, queued);
        });
      } catch (error) {
        await inTransaction(em, (client) => this.recordFailure(client, run, error));
      }
    }
    return runs;
  }

  /** Backoff after a failed attempt; after the last one, the run fails at the step it could not do. */
  private async recordFailure(client: pg.ClientBase, run: DueRun, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const attempts = run.attempts + 1;
    if (attempts < MAX_RUN_ATTEMPTS) {
      const dueAt = new Date(Date.now() + RETRY_BASE_SECONDS * 1000 * 2 ** (attempts - 1));
      await client.query(`update automation_run set attempts = $3, due_at = $4, last_error = $5 where account_id = $1 and id = $2`, [run.account_id, run.id, attempts, dueAt, message.slice(0, 300)]);
      return;
    }
    const steps = await stepsOfOn(client, [run.program_id]);
    const step = stepAfter(steps.get(run.program_id), run.after);
    if (step) await recordStepsOn(client, [{ accountId: run.account_id, runId: run.id, stepId: step.id, kind: step.kind, outcome: 'failed', detail: message }]);
    await updateRunsOn(client, [{ id: run.id, accountId: run.account_id, status: 'failed', stepId: step?.id ?? null, position: step?.position ?? run.after, dueAt: new Date(), attempts, lastError: message }]);
  }

  private customFieldsOf(accountId: string): Promise<Map<string, CustomField>> {
    let fields = this.customFields.get(accountId);
    if (!fields) {
      fields = customFieldsOf(withAccount(this.orm.em, accountId));
      this.customFields.set(accountId, fields);
    }
    return fields;
  }
}
