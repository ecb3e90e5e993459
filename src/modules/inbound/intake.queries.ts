// The SQL of inbound messages: storing one as it arrives (once per gateway message id), claiming
// the received ones for the processor (across accounts, SKIP LOCKED, with their number's keyword
// lists), and writing what processing made of each.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { InboundSms } from '../gateways/index.js';
import type { Classification } from './inbound.entity.js';

export interface StoredInbound {
  id: string;
  status: string;
  /** The gateway had delivered this message before: nothing new was stored. */
  duplicate: boolean;
}

/** Stores an inbound message of the gateway's account: `received` when it was sent to one of the
 * account's inbound numbers, `unroutable` otherwise. A message id seen before is not stored again. */
export async function storeInbound(em: EntityManager, gateway: { id: string; accountId: string }, sms: InboundSms, numbers: { from: string | null; to: string | null }): Promise<StoredInbound> {
  const connection = em.getConnection();
  const inserted = await connection.execute<{ id: string; status: string }[]>(
    `insert into inbound_message (account_id, gateway_id, gateway_message_id, inbound_number_id, from_raw, phone, to_number, body, received_at, status)
     select ?, ?, ?, n.id, ?, ?, ?, ?, ?, case when n.id is null then 'unroutable' else 'received' end
     from (select 1) one left join inbound_number n on n.account_id = ? and n.number = ?
     on conflict (account_id, gateway_id, gateway_message_id) do nothing
     returning id, status`,
    [gateway.accountId, gateway.id, sms.gatewayMessageId, sms.from, numbers.from, numbers.to ?? sms.to, sms.text, sms.receivedAt, gateway.accountId, numbers.to],
  );
  if (inserted[0]) return { ...inserted[0], duplicate: false };
  const existing = await connection.execute<{ id: string; status: string }[]>('select id, status from inbound_message where account_id = ? and gateway_id = ? and gateway_message_id = ?', [
    gateway.accountId,
    gateway.id,
    sms.gatewayMessageId,
  ]);
  return { ...existing[0]!, duplicate: true };
}

/** A received message, with what its processing needs of its inbound number. */
export interface ClaimedInbound {
  id: string;
  account_id: string;
  account_name: string;
  phone: string | null;
  body: string;
  received_at: Date;
  attempts: number;
  number_id: string;
  number: string;
  number_country: string | null;
  gateway_id: string;
  opt_out_keywords: string[];
  opt_in_keywords: string[];
  help_keywords: string[];
  help_reply: string;
  opt_out_reply: string;
  opt_in_reply: string;
}

/** A claim older than this belongs to a processor that died: the message is taken up again. */
export const PROCESS_LEASE_SECONDS = 30;

/** Claims up to `limit` received messages, oldest first. */
export async function claimReceivedOn(client: pg.ClientBase, limit: number): Promise<ClaimedInbound[]> {
  const { rows } = await client.query<ClaimedInbound>(
    `with claimed as (
       update inbound_message set claimed_at = now(), attempts = attempts + 1
       where id in (select id from inbound_message where status = 'received' and (claimed_at is null or claimed_at < now() - make_interval(secs => $2))
                    order by created_at limit $1 for update skip locked)
       returning id, account_id, inbound_number_id, phone, body, received_at, attempts)
     select m.id, m.account_id, a.name as account_name, m.phone, m.body, m.received_at, m.attempts, n.id as number_id, n.number, n.country as number_country, n.gateway_id,
            n.opt_out_keywords, n.opt_in_keywords, n.help_keywords, n.help_reply, n.opt_out_reply, n.opt_in_reply
     from claimed m join account a on a.id = m.account_id
     join inbound_number n on n.account_id = m.account_id and n.id = m.inbound_number_id
     order by m.id`,
    [limit, PROCESS_LEASE_SECONDS],
  );
  return rows;
}

/** What processing made of a message. */
export interface Outcome {
  classification: Classification;
  keyword: string | null;
  contactId: string | null;
  eventId: string | null;
  capturedEmail: string | null;
  inboxText: string | null;
}

export async function markProcessedOn(client: pg.ClientBase, accountId: string, id: string, outcome: Outcome): Promise<void> {
  await client.query(
    `update inbound_message set status = 'processed', processed_at = now(), claimed_at = null, error = null, classification = $3, keyword = $4, contact_id = $5,
            event_id = $6, captured_email = $7, in_inbox = $8, inbox_text = $9
     where account_id = $1 and id = $2`,
    [accountId, id, outcome.classification, outcome.keyword, outcome.contactId, outcome.eventId, outcome.capturedEmail, outcome.inboxText !== null, outcome.inboxText],
  );
}

/** A processing attempt failed: the message is taken up again after the lease, and after
 * `maxAttempts` it stays failed with the error, for an operator to see and retry. */
export async function markAttemptFailedOn(client: pg.ClientBase, accountId: string, id: string, error: string, maxAttempts: number): Promise<void> {
  await client.query(`update inbound_message set error = $3, status = case when attempts >= $4 then 'failed' else status end where account_id = $1 and id = $2`, [
    accountId,
    id,
    error.slice(0, 300),
    maxAttempts,
  ]);
}

export interface MatchedEvent {
  id: string;
  name: string;
  type: string;
  reply_text: string | null;
  external_event_id: string;
}

/** The inbound event of this number that has the keyword, if any. */
export async function eventByKeywordOn(client: pg.ClientBase, accountId: string, numberId: string, keyword: string): Promise<MatchedEvent | null> {
  const { rows } = await client.query<MatchedEvent>(
    `select e.id, e.name, e.type, e.reply_text, e.external_event_id
     from inbound_event_keyword k join inbound_event e on e.account_id = k.account_id and e.id = k.event_id
     where k.account_id = $1 and k.inbound_number_id = $2 and k.keyword = $3`,
    [accountId, numberId, keyword],
  );
  return rows[0] ?? null;
}

/** The contact opts out of campaigns sent from this number only. */
export async function optOutOfNumberOn(client: pg.ClientBase, accountId: string, contactId: string, numberId: string, keyword: string): Promise<void> {
  await client.query('insert into number_opt_out (account_id, contact_id, inbound_number_id, keyword) values ($1, $2, $3, $4) on conflict do nothing', [accountId, contactId, numberId, keyword]);
}
