// How pages name a campaign's type and recipients, as the reference product names them.
import type { Campaign } from './campaign.entity.js';
import { isEditable, isLaunched, typeLabel, canMove } from './campaign-status.js';
import type { TextCheck } from './campaigns.service.js';
import type { Sendability } from './sendability.js';

export function recipientSourceLabel(campaign: Campaign): string {
  if (campaign.recipientSource === 'automation') return 'For Automation Center';
  if (campaign.recipientSource === 'segment' && campaign.segment) return `Segment: ${campaign.segment.name} – ${campaign.name}`;
  if (campaign.recipientSource === 'list' && campaign.list) return `Contact list: ${campaign.list.name} – ${campaign.name}`;
  // Deleted after the launch (its recipients are in the campaign's messages).
  if (campaign.recipientSource === 'segment') return 'A segment deleted since the launch';
  if (campaign.recipientSource === 'list') return 'A contact list deleted since the launch';
  return 'Not chosen yet';
}

/** Which assumption a count was made under, as every page that shows a count says it. */
export function countBasisLabel(text: Pick<TextCheck, 'basis'>): string {
  if (text.basis === 'fixed') return 'an estimate: each placeholder counts as 10 characters until the recipients are chosen';
  if (text.basis === 'recipients') return 'placeholders at their longest value among the recipients';
  if (text.basis === 'rendered') return 'the longest message as rendered for its recipient';
  return '';
}

/** The notices a page shows before sending: what stops it (the message's own error is shown
 * beside the message), then the country rules. */
export function sendingNotices(s: Pick<Sendability, 'problems' | 'reach'>): string[] {
  return [...s.problems.filter((p) => p.field !== 'body').map((p) => p.message), ...(s.reach?.warnings ?? [])];
}

/** What the campaign templates use to label and offer actions. */
export const campaignViewHelpers = { typeLabel, recipientSourceLabel, isEditable, isLaunched, canMove, countBasisLabel };
