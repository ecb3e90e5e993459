// The SQL of the public short links (links.routes.ts). A message is found by its token alone:
// the token, unguessable and unique, is what names the account to a visitor who has no session.
// Everything after that is scoped by the message's account id.
import type { EntityManager } from '@mikro-orm/postgresql';

export interface MessageOfToken {
  id: string;
  account_id: string;
  campaign_id: string;
  contact_id: string | null;
  phone: string;
  unsubscribed_at: Date | null;
  /** Its campaign's words for the unsubscribe landing page. */
  unsubscribe_page_text: string | null;
}

/** The message a short-link token belongs to (the token has the right shape: the route checked it). */
export async function messageOfToken(em: EntityManager, token: string): Promise<MessageOfToken | null> {
  const rows = await em.getConnection().execute<MessageOfToken[]>(
    `select m.id, m.account_id, m.campaign_id, m.contact_id, m.phone, m.unsubscribed_at, c.unsubscribe_page_text
     from message m left join campaign c on c.account_id = m.account_id and c.id = m.campaign_id where m.token = ?`,
    [token],
  );
  return rows[0] ?? null;
}

/** Marks the message as the one its recipient unsubscribed from (the first time counts), in
 * `em`'s transaction when it has one. */
export async function markUnsubscribed(em: EntityManager, accountId: string, messageId: string): Promise<void> {
  await em.getConnection().execute('update message set unsubscribed_at = coalesce(unsubscribed_at, now()) where account_id = ? and id = ?', [accountId, messageId], 'run', em.getTransactionContext());
}

/** The tracked link at this position (1, 2, …) of the campaign. */
export async function campaignLink(em: EntityManager, accountId: string, campaignId: string, position: number): Promise<{ id: string; url: string } | null> {
  const rows = await em.getConnection().execute<{ id: string; url: string }[]>('select id, url from link where account_id = ? and campaign_id = ? and position = ?', [accountId, campaignId, position]);
  return rows[0] ?? null;
}

export async function recordClick(em: EntityManager, accountId: string, linkId: string, messageId: string): Promise<void> {
  // Once per message, link and minute: a reload storm (or a link preview fetching it again) does
  // not inflate the figures.
  await em.getConnection().execute(
    `insert into click (account_id, link_id, message_id)
     select ?, ?, ? where not exists (
       select 1 from click where account_id = ? and link_id = ? and message_id = ? and at > now() - interval '1 minute')`,
    [accountId, linkId, messageId, accountId, linkId, messageId],
  );
}
