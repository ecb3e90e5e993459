// The launch's SQL (launch.ts has the steps): the one INSERT … SELECT that writes a campaign's
// recipients as message rows, and the campaign's moves around it. Statuses come from the status
// machine (statusesMovingTo), so SQL moves only what it allows.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { statusesMovingTo, type RecipientFilter } from '../campaigns/index.js';

/** Who is not texted, and why, as the launch and an automation step decide it: over a contact `c`
 * and `out_of_number` (the contact opted out of the campaign's inbound number alone). */
export const SKIP_REASON_SQL = `case when c.sms_opt_in = false then 'opted_out' when out_of_number then 'opted_out_of_number' when c.bad_number then 'bad_number' end`;
export const RECIPIENT_STATUS_SQL = `case when c.sms_opt_in = false or c.bad_number or out_of_number then 'skipped' else 'queued' end`;

/** The launch's one statement: every contact of the recipient filter as a message row, queued or
 * skipped with its reason; it answers how many of each. A campaign sent from an inbound number
 * skips the contacts who opted out of that number alone ("opted out of this sender number"). */
export function writeRecipientsSql(filter: RecipientFilter, campaignId: string, gatewayId: string, inboundNumberId: string | null = null): { text: string; values: unknown[] } {
  const n = filter.params.length;
  return {
    text: `with written as (
         insert into message (account_id, campaign_id, contact_id, phone, country, time_zone, status, skip_reason, gateway_id)
         select c.account_id, $${n + 1}, c.id, c.phone, c.country, c.time_zone,
                ${RECIPIENT_STATUS_SQL}, ${SKIP_REASON_SQL},
                $${n + 2}::uuid
         from contact c
         cross join lateral (select $${n + 3}::uuid is not null and exists (
           select 1 from number_opt_out x where x.account_id = c.account_id and x.contact_id = c.id and x.inbound_number_id = $${n + 3}::uuid) as out_of_number) o
         where ${filter.sql}
         returning status)
       select count(*) filter (where status = 'queued') as queued, count(*) filter (where status = 'skipped') as skipped from written`,
    values: [...filter.params, campaignId, gatewayId, inboundNumberId],
  };
}

/** Writes the recipients (see writeRecipientsSql), with memory enough for the join with a big
 * list to stay in one batch (in contact order). */
export async function writeRecipientsOn(client: pg.ClientBase, filter: RecipientFilter, campaignId: string, gatewayId: string, inboundNumberId: string | null): Promise<{ queued: number; skipped: number }> {
  await client.query(`set local work_mem = '64MB'`);
  const statement = writeRecipientsSql(filter, campaignId, gatewayId, inboundNumberId);
  const { rows } = await client.query<{ queued: string; skipped: string }>(statement.text, statement.values);
  return { queued: Number(rows[0]!.queued), skipped: Number(rows[0]!.skipped) };
}

/** A refused launch: the campaign goes back to draft with the reason, if it is still scheduled
 * (a concurrent launch may have won). */
export async function returnToDraft(em: EntityManager, accountId: string, campaignId: string, reason: string): Promise<void> {
  await em.getConnection().execute(
    `update campaign set status = 'draft', scheduled_at = null, problem = ?, updated_at = now()
     where account_id = ? and id = ? and status in (select jsonb_array_elements_text(?::jsonb))`,
    [reason.slice(0, 300), accountId, campaignId, JSON.stringify(statusesMovingTo('draft'))],
  );
}

/** Locks the campaign row for the launch's transaction; answers its status (null when gone). */
export async function lockCampaignOn(client: pg.ClientBase, accountId: string, campaignId: string): Promise<string | null> {
  const { rows } = await client.query<{ status: string }>('select status from campaign where account_id = $1 and id = $2 for update', [accountId, campaignId]);
  return rows[0]?.status ?? null;
}

/** The campaign's tracked links, numbered in the order they appear in the text. */
export async function insertLinksOn(client: pg.ClientBase, accountId: string, campaignId: string, links: string[]): Promise<void> {
  await client.query(
    `insert into link (account_id, campaign_id, position, url) select $1, $2, l.ordinality, l.url from unnest($3::text[]) with ordinality as l(url, ordinality)
     on conflict do nothing`,
    [accountId, campaignId, links],
  );
}

/** The campaign is sending, through this gateway. */
export async function markLaunchedOn(client: pg.ClientBase, accountId: string, campaignId: string, gatewayId: string): Promise<void> {
  await client.query(
    `update campaign set status = 'sending', launched_at = now(), gateway_id = $3, problem = null, updated_at = now() where account_id = $1 and id = $2 and status = any($4::text[])`,
    [accountId, campaignId, gatewayId, statusesMovingTo('sending')],
  );
}
