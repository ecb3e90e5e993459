// The Create tab's list: campaigns not launched yet, filtered by name, type and status.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FilterQuery } from '@mikro-orm/core';
import { Campaign } from './campaign.entity.js';
import { escapeLike } from '../../db/like.js';

export interface CampaignFilters {
  q?: string;
  /** draft_batch | sent_batch | automation */
  type?: string;
  /** draft | scheduled */
  status?: string;
}

const TYPES: Record<string, FilterQuery<Campaign>> = {
  automation: { kind: 'automation' },
  draft_batch: { kind: 'batch', status: 'draft' },
  sent_batch: { kind: 'batch', status: 'scheduled' },
};

/** How many campaigns have been launched (they left the Create tab for Reporting). */
export async function launchedCount(em: EntityManager): Promise<number> {
  return em.count(Campaign, { status: { $nin: ['draft', 'scheduled'] } });
}

export async function campaignList(em: EntityManager, filters: CampaignFilters): Promise<Campaign[]> {
  const and: FilterQuery<Campaign>[] = [{ status: { $in: ['draft', 'scheduled'] } }];
  const q = filters.q?.trim();
  if (q) and.push({ name: { $ilike: `%${escapeLike(q)}%` } });
  if (filters.type && TYPES[filters.type]) and.push(TYPES[filters.type]);
  if (filters.status === 'draft' || filters.status === 'scheduled') and.push({ status: filters.status });
  return em.find(Campaign, { $and: and }, { populate: ['segment', 'list'], orderBy: { updatedAt: 'desc' }, limit: 500 });
}
