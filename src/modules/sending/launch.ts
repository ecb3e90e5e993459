// Launching a batch campaign (DESIGN.md "Sending", step 2): check it can launch and that the
// credit covers the estimate (otherwise it returns to draft with the reason on its page), then,
// in one transaction, write one message row per recipient with a single INSERT … SELECT:
// queued for those who receive it, skipped with the reason for the others. Running it twice
// creates nothing twice: the campaign row is locked and must still be scheduled (the rows and the
// move to sending commit together), and (campaign, contact) is unique besides.
import type { EntityManager } from '@mikro-orm/postgresql';
import { inTransaction } from '../../db/raw-client.js';
import { Campaign, sendability, recipientChoice, recipientFilterOn, findLinks } from '../campaigns/index.js';
import { returnToDraft, lockCampaignOn, writeRecipientsOn, insertLinksOn, markLaunchedOn } from './launch.queries.js';
import type { Gateway } from '../gateways/index.js';

export type LaunchResult =
  | { outcome: 'launched'; queued: number; skipped: number }
  /** Refused: the campaign went back to draft and `reason` is on its page. */
  | { outcome: 'refused'; reason: string }
  /** Nothing to do: launched already, unscheduled, rescheduled or deleted meanwhile. */
  | { outcome: 'nothing'; reason: string };

/** How early a launch job may run before the campaign's time (clocks of several machines). */
const EARLY_TOLERANCE_MS = 5_000;

/** Checks a launch can go ahead (campaigns' sendability); returns the refusal reason or the gateway to use. */
async function launchCheck(em: EntityManager, campaign: Campaign, publicUrl: string): Promise<{ reason: string } | { gateway: Gateway }> {
  const { problems, gateway } = await sendability(em, campaign, publicUrl);
  if (problems.length) return { reason: `Not launched: ${problems[0].message}` };
  return { gateway: gateway! };
}

export async function launchCampaign(em: EntityManager, campaignId: string, publicUrl: string, now = new Date()): Promise<LaunchResult> {
  const campaign = await em.findOne(Campaign, { id: campaignId }, { populate: ['segment', 'list', 'account'], refresh: true });
  if (!campaign) return { outcome: 'nothing', reason: 'The campaign no longer exists.' };
  if (campaign.status !== 'scheduled') return { outcome: 'nothing', reason: `The campaign is ${campaign.status}.` };
  if (campaign.scheduledAt && campaign.scheduledAt.getTime() > now.getTime() + EARLY_TOLERANCE_MS) return { outcome: 'nothing', reason: 'The campaign was rescheduled for later.' };

  const check = await launchCheck(em, campaign, publicUrl);
  if ('reason' in check) {
    // Only a campaign still scheduled returns to draft (a concurrent launch may have won).
    await returnToDraft(em, campaign.account.id, campaign.id, check.reason);
    return { outcome: 'refused', reason: check.reason };
  }
  const accountId = campaign.account.id;
  const choice = recipientChoice(campaign)!;
  return inTransaction(em, async (client) => {
    // Locked and still scheduled, the campaign has no recipient rows yet: they are written in this
    // transaction together with the move to `sending` (the unique index guards it anyway).
    const status = await lockCampaignOn(client, accountId, campaign.id);
    if (status !== 'scheduled') return { outcome: 'nothing', reason: `The campaign is ${status ?? 'gone'}.` } as const;
    const written = await writeRecipientsOn(client, await recipientFilterOn(client, accountId, choice), campaign.id, check.gateway.id, campaign.inboundNumber?.id ?? null);
    const links = campaign.trackLinks ? findLinks(campaign.body) : [];
    if (links.length) await insertLinksOn(client, accountId, campaign.id, links);
    await markLaunchedOn(client, accountId, campaign.id, check.gateway.id);
    return { outcome: 'launched', ...written } as const;
  });
}
