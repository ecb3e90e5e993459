// Reporting's figures in SQL. Automated campaigns have no launch: they are reported by what their
// messages did, counted per campaign in one grouped query over the account's automation campaigns.
import type { EntityManager } from '@mikro-orm/postgresql';

export interface AutomatedRow {
  id: string;
  name: string;
  created_at: Date;
  messages: number;
  sent: number;
  delivered: number;
  not_sent: number;
  last_sent_at: Date | null;
}

/** The account's automation campaigns with their messages' outcomes, newest activity first. */
export async function automatedCampaigns(em: EntityManager, accountId: string, nameLike: string | null): Promise<AutomatedRow[]> {
  const rows = await em.getConnection().execute<AutomatedRow[]>(
    `select c.id, c.name, c.created_at,
            count(m.id) filter (where not m.is_test) as messages,
            count(m.id) filter (where not m.is_test and m.sent_at is not null) as sent,
            count(m.id) filter (where not m.is_test and m.status = 'delivered') as delivered,
            count(m.id) filter (where not m.is_test and m.status in ('skipped', 'failed')) as not_sent,
            max(m.sent_at) filter (where not m.is_test) as last_sent_at
     from campaign c left join message m on m.account_id = c.account_id and m.campaign_id = c.id
     where c.account_id = ? and c.kind = 'automation' and (?::text is null or c.name ilike ?)
     group by c.id order by max(m.sent_at) desc nulls last, c.created_at desc limit 200`,
    [accountId, nameLike, nameLike],
  );
  return rows.map((row) => ({ ...row, messages: Number(row.messages), sent: Number(row.sent), delivered: Number(row.delivered), not_sent: Number(row.not_sent) }));
}
