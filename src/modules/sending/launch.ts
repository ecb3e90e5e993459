// Launching a batch campaign (DESIGN.md "Sending", step 2): check it can launch and that the
// credit covers the estimate (otherwise it returns to draft with the reason on its page), then,
// in one transaction, write one message row per recipient with a single INSERT … SELECT:
// queued for those who receive it, skipped with the reason for the others. Running it twice
// creates nothing twice: the campaign row is locked and must still be scheduled (the rows and the
// move to sending commit together), and (campaign, contact) is unique besides.
import type { EntityManager } from '@mikro-orm/postgresql';
import { inTransaction } from '../../db/raw-client.js';
import { Campaign, sendability, statusesMovingTo, recipientChoice, recipientFilterOn, findLinks, type RecipientFilter } from '../campaigns/index.js';
import type { Gateway } from '../gateways/index.js';

export type LaunchResult =
  | { outcome: 'launched'; queued: number; skipped: number }
  /** Refused: the campaign went back to draft and `reason` is on its page. */
  | { outcome: 'refused'; reason: string }
  /** Nothing to do: launched already, unscheduled, rescheduled or deleted meanwhile. */
  | { outcome: 'nothing'; reason: string };

/** How early a launch job may run before the campaign's time (clocks of several machines). */
const EARLY_TOLERANCE_MS = 5_000;

/** Checks a launch can go ahead (campaigns' sendability); returns the refusal reason or the gateway to use. */
async function launchCheck(em: EntityManager, campaign: Campaign, publicUrl: string): Promise<{ reason: string } | { gateway: Gateway }> {
  const { problems, gateway } = await sendability(em, campaign, publicUrl);
  if (problems.length) return { reason: `Not launched: ${problems[0].message}` };
  return { gateway: gateway! };
}

/** The launch's one statement: every contact of the recipient filter as a message row, queued or
 * skipped with its reason; it answers how many of each. */
export function writeRecipientsSql(filter: RecipientFilter, campaignId: string, gatewayId: string): { text: string; values: unknown[] } {
  const n = filter.params.length;
  return {
    text: `with written as (
         insert into message (account_id, campaign_id, contact_id, phone, country, status, skip_reason, gateway_id)
         select c.account_id, $${n + 1}, c.id, c.phone, c.country,
                case when c.sms_opt_in = false or c.bad_number then 'skipped' else 'queued' end,
                case when c.sms_opt_in = false then 'opted_out' when c.bad_number then 'bad_number' end,
                $${n + 2}::uuid
         from contact c where ${filter.sql}
         returning status)
       select count(*) filter (where status = 'queued') as queued, count(*) filter (where status = 'skipped') as skipped from written`,
    values: [...filter.params, campaignId, gatewayId],
  };
}

export async function launchCampaign(em: EntityManager, campaignId: string, publicUrl: string, now = new Date()): Promise<LaunchResult> {
  const campaign = await em.findOne(Campaign, { id: campaignId }, { populate: ['segment', 'list', 'account'], refresh: true });
  if (!campaign) return { outcome: 'nothing', reason: 'The campaign no longer exists.' };
  if (campaign.status !== 'scheduled') return { outcome: 'nothing', reason: `The campaign is ${campaign.status}.` };
  if (campaign.scheduledAt && campaign.scheduledAt.getTime() > now.getTime() + EARLY_TOLERANCE_MS) return { outcome: 'nothing', reason: 'The campaign was rescheduled for later.' };

  const check = await launchCheck(em, campaign, publicUrl);
  if ('reason' in check) {
    // Only a campaign still scheduled returns to draft (a concurrent launch may have won).
    await em.getConnection().execute(
      `update campaign set status = 'draft', scheduled_at = null, problem = ?, updated_at = now()
       where account_id = ? and id = ? and status in (select jsonb_array_elements_text(?::jsonb))`,
      [check.reason.slice(0, 300), campaign.account.id, campaign.id, JSON.stringify(statusesMovingTo('draft'))],
    );
    return { outcome: 'refused', reason: check.reason };
  }
  const accountId = campaign.account.id;
  const choice = recipientChoice(campaign)!;
  return inTransaction(em, async (client) => {
    // Locked and still scheduled, the campaign has no recipient rows yet: they are written in this
    // transaction together with the move to `sending` (the unique index guards it anyway).
    const locked = await client.query<{ status: string }>('select status from campaign where account_id = $1 and id = $2 for update', [accountId, campaign.id]);
    if (locked.rows[0]?.status !== 'scheduled') return { outcome: 'nothing', reason: `The campaign is ${locked.rows[0]?.status ?? 'gone'}.` } as const;
    // Enough memory for the join with a big list to stay in one batch (in contact order).
    await client.query(`set local work_mem = '64MB'`);
    const statement = writeRecipientsSql(await recipientFilterOn(client, accountId, choice), campaign.id, check.gateway.id);
    const { rows } = await client.query<{ queued: string; skipped: string }>(statement.text, statement.values);
    const links = campaign.trackLinks ? findLinks(campaign.body) : [];
    if (links.length) {
      await client.query(
        `insert into link (account_id, campaign_id, position, url) select $1, $2, l.ordinality, l.url from unnest($3::text[]) with ordinality as l(url, ordinality)
         on conflict do nothing`,
        [accountId, campaign.id, links],
      );
    }
    await client.query(
      `update campaign set status = 'sending', launched_at = now(), gateway_id = $3, problem = null, updated_at = now() where account_id = $1 and id = $2 and status = any($4::text[])`,
      [accountId, campaign.id, check.gateway.id, statusesMovingTo('sending')],
    );
    return { outcome: 'launched', queued: Number(rows[0]!.queued), skipped: Number(rows[0]!.skipped) } as const;
  });
}
