// The one table of Agenda jobs, at the entry level: every module's jobs and the recurring ones.
// Jobs are one-liners that take ids and call their module. `startScheduler` here is the
// scheduler (src/plugins/scheduler.ts) with this table.
import type { Agenda } from 'agenda';
import { startScheduler as startAgenda, type JobContext, type JobTable, type Scheduler } from './plugins/scheduler.js';
import { housekeeping, reconcileCreditBalances, type SessionLimits } from './modules/accounts/index.js';
import { expireAbandonedUploads, runContactImport, syncFieldIndexes, FIELD_INDEXES_JOB, TimeZoneBackfill, type ContactImportJobData } from './modules/contacts/index.js';
import { SimulatorReporter } from './modules/gateways/index.js';
import { defineSendingJobs, startSendingSweep, markUnknownDeliveries, ReplySender, dispatchAutomationSoon, CLAIM_LEASE_SECONDS } from './modules/sending/index.js';
import { InboundProcessor } from './modules/inbound/index.js';
import { EmailSender, ProgramRunner, type EmailSettings } from './modules/automation/index.js';
import { RollupKeeper, reconcileRollups } from './modules/reporting/rollups.js';
import { DEFAULT_EMAIL_FROM } from './config.js';

/** Without settings, emails are kept in the Email outbox with the default From. */
const OUTBOX_ONLY: EmailSettings = { smtpUrl: undefined, from: DEFAULT_EMAIL_FROM };

/** The hourly clean-up of every module: expired sessions and login failures, uploads never
 * imported, messages whose delivery report never came. */
export async function runHousekeeping(orm: JobContext['orm'], sessionLimits: SessionLimits): Promise<void> {
  await housekeeping(orm.em.fork(), sessionLimits);
  await expireAbandonedUploads(orm.em.fork());
  await markUnknownDeliveries(orm.em.fork());
}

export interface JobSettings {
  sessionLimits: SessionLimits;
  /** SENDING_CLAIM_LEASE_SECONDS (config.claimLeaseSeconds); the sending module's default when absent. */
  claimLeaseSeconds?: number;
  /** SMTP_URL and EMAIL_FROM; without them, emails are kept in the Email outbox. */
  email?: EmailSettings;
}

export function jobTable({ sessionLimits, claimLeaseSeconds = CLAIM_LEASE_SECONDS, email = OUTBOX_ONLY }: JobSettings): JobTable {
  return {
    define(agenda: Agenda, context: JobContext) {
      // A short job gets a short lock, so a crashed worker's lock expires soon.
      agenda.define('housekeeping', () => runHousekeeping(context.orm, sessionLimits), { lockLifetime: 10_000 });
      defineSendingJobs(agenda, context, claimLeaseSeconds);
      // Short locks (Agenda keeps a timer of the lock's lifetime): the reconciliation touches its own between rebuilds.
      agenda.define('reconcile-credit-balances', async () => {
        const fixes = await reconcileCreditBalances(context.orm.em.fork());
        if (fixes.length) context.log.warn({ fixes }, `${fixes.length} account credit balance(s) differed from the ledger's sum and were set to it`);
      }, { lockLifetime: 10_000 });
      agenda.define('reconcile-rollups', async (job) => void (await reconcileRollups(context.orm, context.log, () => job.touch())), { lockLifetime: 10_000 });
      // An import touches its lock every 10 s while it runs: a crashed worker's import is taken up again soon.
      agenda.define<ContactImportJobData>('contact-import', async (job) => runContactImport(context.orm, job.attrs.data, { touch: () => job.touch(), log: context.log }), { lockLifetime: 30_000, concurrency: 2 });
      // Field indexes are built concurrently (seconds at a million contacts, longer behind a running
      // import): the job touches its lock every 10 s, so a crashed worker's build is taken up soon.
      agenda.define(FIELD_INDEXES_JOB, async (job) => {
        const { built, dropped } = await syncFieldIndexes(context.orm, { touch: () => job.touch() });
        if (built.length || dropped.length) context.log.info({ built, dropped }, 'contact field indexes changed');
      }, { lockLifetime: 30_000, concurrency: 1, removeOnComplete: true });
    },
    async start(agenda: Agenda, context: JobContext) {
      await agenda.every('1 hour', 'housekeeping');
      await agenda.every('1 hour', 'reconcile-rollups');
      // Builds a crash interrupted (INVALID indexes) are dropped and done again.
      await agenda.every('1 hour', FIELD_INDEXES_JOB);
      await agenda.every('1 hour', 'reconcile-credit-balances');
      await startSendingSweep(agenda);
      // The simulator gateway's delivery reports are posted by the processes that run jobs.
      const reporter = new SimulatorReporter(context.orm, context.publicUrl, context.log);
      reporter.start();
      // Inbound messages are classified, and replies sent, by the processes that run jobs.
      const inbound = new InboundProcessor(context.orm, context.log);
      inbound.start();
      const replies = new ReplySender(context.orm, context.log, context.publicUrl, claimLeaseSeconds);
      replies.start();
      // Automation programs: triggers enter contacts, due runs move on; the SMS a round queued
      // are dispatched at once.
      const programs = new ProgramRunner(context.orm, context.log, (accountId, campaignId) => dispatchAutomationSoon(agenda, accountId, campaignId));
      programs.start();
      // Emails go out through SMTP_URL, or are kept in the Email outbox without it.
      const emails = new EmailSender(context.orm, context.log, email);
      emails.start();
      // The Dashboard's and the campaigns' rollups are folded, and rebuilt after a change of zone.
      const rollups = new RollupKeeper(context.orm, context.log);
      rollups.start();
      // Contacts written before time zones existed get the zone of their number.
      const zones = new TimeZoneBackfill(context.orm, context.log);
      zones.start();
      return [reporter, inbound, replies, programs, emails, rollups, zones];
    },
  };
}

export type { Scheduler };

/** The scheduler with the application's jobs. */
export function startScheduler(options: Omit<Parameters<typeof startAgenda>[0], 'jobs'> & JobSettings): Promise<Scheduler> {
  const { sessionLimits, claimLeaseSeconds, email, ...rest } = options;
  return startAgenda({ ...rest, jobs: jobTable({ sessionLimits, claimLeaseSeconds, email }) });
}
