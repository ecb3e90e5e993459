// The Agenda side of sending: one `campaign-launch` job per scheduled campaign at its time, and
// `campaign-dispatch` jobs (DISPATCH_LANES per campaign, so several processes share a big one)
// that run the dispatcher and schedule themselves again while messages wait (quiet hours,
// retries). A sweep every minute launches campaigns whose job went missing and restarts
// dispatching where no job is left, so a lost job delays a campaign but never strands it.
import type { Agenda } from 'agenda';
import type { JobContext } from '../../plugins/scheduler.js';
import { withAccount } from '../../db/tenant.js';
import { launchCampaign } from './launch.js';
import { dispatchCampaign, reclaimStale } from './dispatcher.js';
import { withClient } from '../../db/raw-client.js';
import { overdueLaunches, activeCampaigns } from './sweep.queries.js';
import { dispatchesMessages } from '../campaigns/index.js';

export interface CampaignJobData {
  accountId: string;
  campaignId: string;
  lane?: number;
}

export const DISPATCH_LANES = 2;
// Short job locks: a dead worker's job is taken up soon, and Agenda's lock check (a timer of
// half the lifetime, left running after drain) does not hold a stopping process for long.
const LAUNCH_LOCK_MS = 20_000;

/** Replaces any launch job of the campaign by one at `at`. */
export async function scheduleLaunch(agenda: Agenda, accountId: string, campaignId: string, at: Date): Promise<void> {
  await agenda.cancel({ name: 'campaign-launch', data: { campaignId } });
  await agenda.schedule<CampaignJobData>(at, 'campaign-launch', { accountId, campaignId });
}

export async function cancelLaunch(agenda: Agenda, campaignId: string): Promise<void> {
  await agenda.cancel({ name: 'campaign-launch', data: { campaignId } });
}

/** Makes sure each lane of the campaign has a dispatch job due by `at`. A running job counts only
 * when `evenIfRunning` is false (the sweep): new work (a launch, a test send, a resume) must not
 * wait for a run that may be finishing. */
export async function ensureDispatch(agenda: Agenda, accountId: string, campaignId: string, options: { at?: Date; evenIfRunning?: boolean; lanes?: number[] } = {}): Promise<void> {
  const at = options.at ?? new Date();
  for (const lane of options.lanes ?? Array.from({ length: DISPATCH_LANES }, (_, i) => i)) {
    const { jobs } = await agenda.queryJobs({ name: 'campaign-dispatch', data: { campaignId, lane } });
    const covered = jobs.some((job) => (job.state === 'running' && !options.evenIfRunning) || ((job.state === 'scheduled' || job.state === 'queued') && job.nextRunAt && job.nextRunAt.getTime() <= at.getTime()));
    if (!covered) await agenda.schedule<CampaignJobData>(at, 'campaign-dispatch', { accountId, campaignId, lane });
  }
}

/** Starts dispatching an automation campaign's messages just queued (call it once the transaction
 * that queued them has committed). A message of one run goes alone: one lane is enough, and the
 * sweep brings the campaign back if the job goes missing. */
export async function dispatchAutomationSoon(agenda: Agenda, accountId: string, campaignId: string): Promise<void> {
  await ensureDispatch(agenda, accountId, campaignId, { evenIfRunning: true, lanes: [0] });
}

/** `claimLeaseSeconds`: SENDING_CLAIM_LEASE_SECONDS, how long a claimed message may stay `sending`
 * before it counts as a dead dispatcher's. */
export function defineSendingJobs(agenda: Agenda, context: JobContext, claimLeaseSeconds: number): void {
  agenda.define<CampaignJobData>(
    'campaign-launch',
    async (job) => {
      const { accountId, campaignId } = job.attrs.data;
      // A million-row launch is one long statement: its lock is touched beside it.
      const touching = setInterval(() => void job.touch().catch(() => {}), LAUNCH_LOCK_MS / 4);
      try {
        const result = await launchCampaign(withAccount(context.orm.em, accountId), campaignId, context.publicUrl);
        context.log.info({ campaignId, ...result }, 'campaign launch');
        if (result.outcome === 'launched') await ensureDispatch(agenda, accountId, campaignId, { evenIfRunning: true });
      } finally {
        clearInterval(touching);
      }
    },
    { lockLifetime: LAUNCH_LOCK_MS, removeOnComplete: true },
  );

  agenda.define<CampaignJobData>(
    'campaign-dispatch',
    async (job) => {
      const { accountId, campaignId, lane = 0 } = job.attrs.data;
      const outcome = await dispatchCampaign(withAccount(context.orm.em, accountId), accountId, campaignId, {
        publicUrl: context.publicUrl,
        touch: () => job.touch(),
        stopping: context.stopping,
        log: context.log,
        leaseSeconds: claimLeaseSeconds,
      });
      if (outcome.nextAt) await ensureDispatch(agenda, accountId, campaignId, { at: outcome.nextAt, evenIfRunning: true, lanes: [lane] });
    },
    // The lock is touched after every batch: a dead worker's campaign is taken up within 10 s.
    { lockLifetime: 10_000, concurrency: 4, removeOnComplete: true },
  );

  agenda.define('sending-sweep', async () => {
    const em = context.orm.em.fork();
    for (const row of await overdueLaunches(em)) await agenda.now<CampaignJobData>('campaign-launch', { accountId: row.account_id, campaignId: row.id });
    const active = await activeCampaigns(em);
    for (const row of active) {
      if (dispatchesMessages(row)) await ensureDispatch(agenda, row.account_id, row.id);
      // A paused campaign is not dispatched, but what a dead dispatcher left mid-batch is queued
      // again (its delivery report, if any, then finds the message once it is resent).
      else await withClient(em, (client) => reclaimStale(client, row.account_id, row.id, claimLeaseSeconds));
    }
  }, { lockLifetime: 10_000 });
}

export async function startSendingSweep(agenda: Agenda): Promise<void> {
  await agenda.every('1 minute', 'sending-sweep');
}
