// A campaign as the JSON API shows it (the campaigns API and the sending API answer the same shape).
import { wrap } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Campaign } from './campaign.entity.js';
import { typeLabel } from './campaign-status.js';
import { checkText, knownPlaceholders } from './campaigns.service.js';

/** The inbound number it is sent from, in E.164; null when its sender is a name. */
async function inboundNumberOf(em: EntityManager, campaign: Campaign): Promise<string | null> {
  if (!campaign.inboundNumber) return null;
  if (!wrap(campaign.inboundNumber).isInitialized()) await em.populate(campaign, ['inboundNumber']);
  return campaign.inboundNumber.number;
}

export async function campaignJson(em: EntityManager, campaign: Campaign, publicUrl: string) {
  const text = checkText(campaign.body, await knownPlaceholders(em), { publicUrl, kind: campaign.kind, trackLinks: campaign.trackLinks });
  return {
    id: campaign.id,
    name: campaign.name,
    type: typeLabel(campaign),
    kind: campaign.kind,
    status: campaign.status,
    sender: campaign.sender,
    inbound_number: await inboundNumberOf(em, campaign),
    body: campaign.body,
    track_links: campaign.trackLinks,
    encoding: text.count.encoding,
    parts: text.count.parts,
    /** The count's assumption: placeholders at a fixed 10 characters (the list does not scan recipients). */
    parts_basis: text.basis,
    recipients: {
      source: campaign.recipientSource,
      segment_id: campaign.segment?.id ?? null,
      list_id: campaign.list?.id ?? null,
    },
    scheduled_at: campaign.scheduledAt?.toISOString() ?? null,
    launched_at: campaign.launchedAt?.toISOString() ?? null,
    finished_at: campaign.finishedAt?.toISOString() ?? null,
    problem: campaign.problem,
    estimated_recipients: campaign.estimatedRecipients,
    estimated_parts: campaign.estimatedParts,
    copied_from: campaign.copiedFrom?.id ?? null,
    created_at: campaign.createdAt.toISOString(),
    updated_at: campaign.updatedAt.toISOString(),
  };
}
