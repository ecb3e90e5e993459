// The sending sweep's questions, across every account (it is the one job that looks at all of
// them, to find campaigns whose job went missing).
import type { EntityManager } from '@mikro-orm/postgresql';

/** Scheduled campaigns a minute past their time: their launch job went missing. */
export async function overdueLaunches(em: EntityManager): Promise<{ account_id: string; id: string }[]> {
  return em.getConnection().execute(`select account_id, id from campaign where status = 'scheduled' and scheduled_at <= now() - interval '1 minute'`);
}

/** Campaigns sending or paused, which may need a dispatcher or a reclaim. */
export async function activeCampaigns(em: EntityManager): Promise<{ account_id: string; id: string; status: string }[]> {
  return em.getConnection().execute(`select account_id, id, status from campaign where status in ('sending', 'paused')`);
}
