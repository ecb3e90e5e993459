// Keeping the rollups (usage_daily for the Dashboard, campaign_rollup for the campaigns'
// figures) folded, rebuilt after a change of the account's time zone, and reconciled with the
// messages they sum. Triggers keep them exact as messages change (see their migration); this is
// housekeeping around that: a poller in every job-running process, and an hourly job.
import type { FastifyBaseLogger } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Poller } from '../../poller.js';
import { withClient } from '../../db/raw-client.js';
import { foldCampaignRollupOn, rebuildCampaignRollupOn } from '../sending/index.js';
import { foldUsageOn, rebuildUsageOn } from './usage.queries.js';
import { accountsWithNewZone, recordZoneOn, recentlyActive } from './rollups.queries.js';

/** Differences folded per round and table. */
export const FOLD_BATCH = 20_000;

/** Every local day there can be: a rebuild of all of an account's usage. */
const ALL_DAYS = { from: '1000-01-01', to: '9999-12-30' };

/** Folds appended differences every two seconds, and rebuilds the rollups of an account whose
 * time zone changed (one account per round). */
export class RollupKeeper extends Poller {
  constructor(
    private readonly orm: MikroORM,
    log: FastifyBaseLogger,
    options: { pollMs?: number } = {},
  ) {
    super(log, { what: 'rollup keeper', batch: FOLD_BATCH, pollMs: options.pollMs ?? 2_000 });
  }

  async tick(): Promise<number> {
    const em = this.orm.em.fork();
    const [changed] = await accountsWithNewZone(em, 1);
    if (changed) await rebuildAccount(this.orm, changed);
    return withClient(em, async (client) => Math.max(await foldUsageOn(client, FOLD_BATCH), await foldCampaignRollupOn(client, FOLD_BATCH)));
  }
}

/** Rebuilds all of an account's rollups in its current time zone, then records the zone. */
export async function rebuildAccount(orm: MikroORM, account: { id: string; timeZone: string; campaignIds: string[] }): Promise<void> {
  await withClient(orm.em.fork(), async (client) => {
    await rebuildUsageOn(client, account.id, ALL_DAYS);
    for (const campaignId of account.campaignIds) await rebuildCampaignRollupOn(client, account.id, campaignId);
    await recordZoneOn(client, account.id, account.timeZone);
  });
}

/** The hourly reconciliation: yesterday and today (local) of every account that sent since, and
 * the campaigns whose messages can still change (sending, or launched in the last four days:
 * delivery reports come for three), rebuilt from their messages. A difference means a change
 * the triggers did not see (a restore, a hand-made fix): it is logged, and the rollup is right
 * again. `touch` keeps the job's lock between two rebuilds. */
export async function reconcileRollups(orm: MikroORM, log: FastifyBaseLogger, touch: () => Promise<unknown> = async () => {}): Promise<{ days: number; campaigns: number; differing: number }> {
  const em = orm.em.fork();
  const { days, campaigns } = await recentlyActive(em);
  let differing = 0;
  await withClient(em, async (client) => {
    for (const day of days) {
      differing += await rebuildUsageOn(client, day.accountId, { from: day.from, to: day.to });
      await touch();
    }
    for (const campaign of campaigns) {
      differing += await rebuildCampaignRollupOn(client, campaign.accountId, campaign.campaignId);
      await touch();
    }
  });
  if (differing > 0) log.warn({ differing }, 'rollups differed from the messages and were rebuilt');
  return { days: days.length, campaigns: campaigns.length, differing };
}
