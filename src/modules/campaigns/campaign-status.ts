// The campaign status machine. Every change of status goes through it: `moveTo` for an entity
// (refusing a move the table does not allow, with a message a user understands), and
// `statusesMovingTo` for set-based SQL, whose `where status = any(...)` takes the allowed
// starting points from the same table.
import { ConflictError } from '../../errors.js';
import type { Campaign, CampaignStatus } from './campaign.entity.js';

const MOVES: Record<CampaignStatus, CampaignStatus[]> = {
  draft: ['scheduled', 'cancelled'],
  // A launch goes from scheduled to sending in one transaction; a refused one (insufficient
  // credit, say) returns the campaign to draft.
  scheduled: ['draft', 'sending', 'cancelled'],
  sending: ['paused', 'sent', 'cancelled'],
  paused: ['sending', 'cancelled'],
  sent: [],
  cancelled: [],
};

const DOING: Record<CampaignStatus, string> = {
  draft: 'returned to draft',
  scheduled: 'scheduled',
  sending: 'sent',
  sent: 'marked as sent',
  paused: 'paused',
  cancelled: 'cancelled',
};

export function canMove(campaign: Pick<Campaign, 'status'>, to: CampaignStatus): boolean {
  return MOVES[campaign.status as CampaignStatus].includes(to);
}

/** The statuses from which a campaign may move to `to`, for SQL that moves many or moves one
 * under a condition (`... where status = any($n)`). */
export function statusesMovingTo(to: CampaignStatus): CampaignStatus[] {
  return (Object.keys(MOVES) as CampaignStatus[]).filter((from) => MOVES[from].includes(to));
}

export function moveTo(campaign: Campaign, to: CampaignStatus): void {
  if (!canMove(campaign, to)) {
    throw new ConflictError(`This campaign is ${campaign.status}: it cannot be ${DOING[to]}.`);
  }
  campaign.status = to;
}

/** Before launch, everything can be edited; after, nothing (it can still be copied). */
export function isEditable(campaign: Pick<Campaign, 'status' | 'firstSentAt'>): boolean {
  return (campaign.status === 'draft' || campaign.status === 'scheduled') && !campaign.firstSentAt;
}

/** Whether the campaign's messages go out (test sends always do): a batch campaign's while it is
 * sending; an automation campaign's, which stays a draft and is sent one message at a time by
 * automation programs, unless it was paused or cancelled. It is never "sent": more may come. */
export function dispatchesMessages(campaign: Pick<Campaign, 'kind' | 'status'>): boolean {
  if (campaign.kind === 'automation') return campaign.status !== 'paused' && campaign.status !== 'cancelled';
  return campaign.status === 'sending';
}

export function isLaunched(campaign: Pick<Campaign, 'status'>): boolean {
  return !['draft', 'scheduled'].includes(campaign.status);
}

/** The tab a campaign's pages belong to: Create until it is launched, then Reporting (where the
 * Reporting tab lists it and its breadcrumb leads). */
export function campaignTab(campaign: Pick<Campaign, 'status'>): 'create' | 'reporting' {
  return isLaunched(campaign) ? 'reporting' : 'create';
}

/** The type the Create tab shows, named as the reference product names it. */
export function typeLabel(campaign: Pick<Campaign, 'kind' | 'status'>): string {
  if (campaign.kind === 'automation') return 'Automation center campaign';
  return campaign.status === 'draft' ? 'Draft batch' : 'Sent batch';
}
