// How pages name a campaign's type and recipients, as the reference product names them.
import type { Campaign } from './campaign.entity.js';
import { isEditable, isLaunched, typeLabel, canMove } from './campaign-status.js';

export function recipientSourceLabel(campaign: Campaign): string {
  if (campaign.recipientSource === 'automation') return 'For Automation Center';
  if (campaign.recipientSource === 'segment' && campaign.segment) return `Segment: ${campaign.segment.name} – ${campaign.name}`;
  if (campaign.recipientSource === 'list' && campaign.list) return `Contact list: ${campaign.list.name} – ${campaign.name}`;
  return 'Not chosen yet';
}

/** What the campaign templates use to label and offer actions. */
export const campaignViewHelpers = { typeLabel, recipientSourceLabel, isEditable, isLaunched, canMove };
