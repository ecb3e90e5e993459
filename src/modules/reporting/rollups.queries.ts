// What the rollup keeper and the hourly reconciliation look for (rollups.ts has the rules).
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';

/** Accounts whose rollups were built in another time zone than theirs (or never recorded one),
 * with their campaigns. */
export async function accountsWithNewZone(em: EntityManager, limit: number): Promise<{ id: string; timeZone: string; campaignIds: string[] }[]> {
  const rows = await em.getConnection().execute<{ id: string; time_zone: string; campaign_ids: string[] }[]>(
    `select a.id, a.time_zone, array(select distinct r.campaign_id from campaign_rollup r where r.account_id = a.id)::text[] as campaign_ids
     from account a left join rollup_zone z on z.account_id = a.id
     where z.time_zone is distinct from a.time_zone limit ?`,
    [limit],
  );
  return rows.map((r) => ({ id: r.id, timeZone: r.time_zone, campaignIds: r.campaign_ids }));
}

export async function recordZoneOn(client: pg.ClientBase, accountId: string, timeZone: string): Promise<void> {
  await client.query(
    `insert into rollup_zone (account_id, time_zone) select id, $2 from account where id = $1
     on conflict (account_id) do update set time_zone = excluded.time_zone`,
    [accountId, timeZone],
  );
}

/** The local days to reconcile (yesterday and today of each account that sent since yesterday),
 * and the campaigns whose messages may still change. */
export async function recentlyActive(em: EntityManager): Promise<{ days: { accountId: string; from: string; to: string }[]; campaigns: { accountId: string; campaignId: string }[] }> {
  const connection = em.getConnection();
  const days = await connection.execute<{ account_id: string; from: string; to: string }[]>(
    `select a.id as account_id, to_char((now() at time zone a.time_zone)::date - 1, 'YYYY-MM-DD') as from, to_char((now() at time zone a.time_zone)::date, 'YYYY-MM-DD') as to
     from account a where exists (select 1 from usage_daily u where u.account_id = a.id and u.day >= (now() at time zone a.time_zone)::date - 1)`,
  );
  const campaigns = await connection.execute<{ account_id: string; id: string }[]>(
    `select account_id, id from campaign where status in ('sending', 'paused') or launched_at > now() - interval '4 days'
     union
     select distinct account_id, campaign_id from campaign_rollup where hour > (now() - interval '2 days')::timestamp`,
  );
  return {
    days: days.map((d) => ({ accountId: d.account_id, from: d.from, to: d.to })),
    campaigns: campaigns.map((c) => ({ accountId: c.account_id, campaignId: c.id })),
  };
}
