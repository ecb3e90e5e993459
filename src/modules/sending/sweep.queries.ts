// The sending sweep's questions, across every account (it is the one job that looks at all of
// them, to find campaigns whose job went missing).
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CampaignKind, CampaignStatus } from '../campaigns/index.js';

/** Scheduled campaigns a minute past their time: their launch job went missing. */
export async function overdueLaunches(em: EntityManager): Promise<{ account_id: string; id: string }[]> {
  return em.getConnection().execute(`select account_id, id from campaign where status = 'scheduled' and scheduled_at <= now() - interval '1 minute'`);
}

/** Campaigns sending or paused, and automation campaigns with messages queued or in flight: they
 * may need a dispatcher or a reclaim. */
export async function activeCampaigns(em: EntityManager): Promise<{ account_id: string; id: string; kind: CampaignKind; status: CampaignStatus }[]> {
  return em.getConnection().execute(
    `select account_id, id, kind, status from campaign where status in ('sending', 'paused')
     union
     select c.account_id, c.id, c.kind, c.status from campaign c
     where c.kind = 'automation' and exists (select 1 from message m where m.account_id = c.account_id and m.campaign_id = c.id and m.status in ('queued', 'sending'))`,
  );
}
