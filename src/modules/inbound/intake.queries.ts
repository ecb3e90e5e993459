// The SQL of inbound messages: storing one as it arrives (once per gateway message id), claiming
// the received ones for the processor (across accounts, SKIP LOCKED, with their number's keyword
// lists), and writing what processing made of each.
import type pg from 'pg';
import type { InboundSms } from '../gateways/index.js';
import type { Classification } from './inbound.entity.js';

export interface StoredInbound {
  id: string;
  status: string;
  /** The gateway had delivered this message before: nothing new was stored. */
  duplicate: boolean;
}

/** An inbound message as it arrives, with its numbers in E.164 (null when they do not parse). */
export interface ArrivingInbound {
  gateway: { id: string; accountId: string };
  sms: InboundSms;
  numbers: { from: string | null; to: string | null };
}

const arrivalKey = (accountId: string, gatewayId: string, gatewayMessageId: string) => `${accountId} ${gatewayId} ${gatewayMessageId}`;

/** Stores inbound messages of their gateways' accounts (one statement for the lot), answering for
 * each in order: `received` when it was sent to one of the account's inbound numbers,
 * `unroutable` otherwise. A message id seen before (or earlier in the lot) is not stored again. */
export async function storeInboundOn(client: pg.ClientBase, arriving: ArrivingInbound[]): Promise<StoredInbound[]> {
  const column = <V>(value: (a: ArrivingInbound) => V) => arriving.map(value);
  const { rows: inserted } = await client.query<{ id: string; status: string; account_id: string; gateway_id: string; gateway_message_id: string }>({
    name: 'inbound-store',
    text: `insert into inbound_message (account_id, gateway_id, gateway_message_id, inbound_number_id, from_raw, phone, to_number, body, received_at, status)
     select v.account_id, v.gateway_id, v.gateway_message_id, n.id, v.from_raw, v.phone, v.to_number, v.body, v.received_at, case when n.id is null then 'unroutable' else 'received' end
     from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::text[]) with ordinality
          as v(account_id, gateway_id, gateway_message_id, from_raw, phone, to_number, body, received_at, to_e164, position)
     left join inbound_number n on n.account_id = v.account_id and n.number = v.to_e164
     order by v.position
     on conflict (account_id, gateway_id, gateway_message_id) do nothing
     returning id, status, account_id, gateway_id, gateway_message_id`,
    values: [
      column((a) => a.gateway.accountId),
      column((a) => a.gateway.id),
      column((a) => a.sms.gatewayMessageId),
      column((a) => a.sms.from),
      column((a) => a.numbers.from),
      column((a) => a.numbers.to ?? a.sms.to),
      column((a) => a.sms.text),
      column((a) => a.sms.receivedAt),
      column((a) => a.numbers.to),
    ],
  });
  const fresh = new Map(inserted.map((row) => [arrivalKey(row.account_id, row.gateway_id, row.gateway_message_id), row]));
  const answers = arriving.map((a): StoredInbound | null => {
    const key = arrivalKey(a.gateway.accountId, a.gateway.id, a.sms.gatewayMessageId);
    const row = fresh.get(key);
    // The first of the lot with this id stored it; a later one is a duplicate of it.
    fresh.delete(key);
    return row ? { id: row.id, status: row.status, duplicate: false } : null;
  });
  const seen = arriving.filter((_, index) => !answers[index]);
  if (!seen.length) return answers as StoredInbound[];
  const { rows: existing } = await client.query<{ id: string; status: string; account_id: string; gateway_id: string; gateway_message_id: string }>({
    name: 'inbound-stored-before',
    text: `select m.id, m.status, m.account_id, m.gateway_id, m.gateway_message_id from inbound_message m
     where (m.account_id, m.gateway_id, m.gateway_message_id) in (select * from unnest($1::uuid[], $2::uuid[], $3::text[]))`,
    values: [seen.map((a) => a.gateway.accountId), seen.map((a) => a.gateway.id), seen.map((a) => a.sms.gatewayMessageId)],
  });
  const stored = new Map(existing.map((row) => [arrivalKey(row.account_id, row.gateway_id, row.gateway_message_id), row]));
  return arriving.map((a, index) => {
    if (answers[index]) return answers[index];
    const row = stored.get(arrivalKey(a.gateway.accountId, a.gateway.id, a.sms.gatewayMessageId))!;
    return { id: row.id, status: row.status, duplicate: true };
  });
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
  const { rows } = await client.query<ClaimedInbound>({
    name: 'inbound-claim',
    text: `with claimed as (
       update inbound_message set claimed_at = now(), attempts = attempts + 1
       where id in (select id from inbound_message where status = 'received' and (claimed_at is null or claimed_at < now() - make_interval(secs => $2))
                    order by created_at, id limit $1 for update skip locked)
       returning id, account_id, inbound_number_id, phone, body, received_at, attempts)
     select m.id, m.account_id, a.name as account_name, m.phone, m.body, m.received_at, m.attempts, n.id as number_id, n.number, n.country as number_country, n.gateway_id,
            n.opt_out_keywords, n.opt_in_keywords, n.help_keywords, n.help_reply, n.opt_out_reply, n.opt_in_reply
     from claimed m join account a on a.id = m.account_id
     join inbound_number n on n.account_id = m.account_id and n.id = m.inbound_number_id
     order by m.id`,
    values: [limit, PROCESS_LEASE_SECONDS],
  });
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

/** A processed message and what processing made of it. */
export interface ProcessedInbound {
  accountId: string;
  id: string;
  outcome: Outcome;
}

/** Records the outcomes of processed messages (one statement for the lot). */
export async function markProcessedOn(client: pg.ClientBase, processed: ProcessedInbound[]): Promise<void> {
  if (!processed.length) return;
  const outcomes = processed.map((p) => p.outcome);
  await client.query({
    name: 'inbound-processed',
    text: `update inbound_message m set status = 'processed', processed_at = now(), claimed_at = null, error = null, classification = v.classification, keyword = v.keyword,
            contact_id = v.contact_id, event_id = v.event_id, captured_email = v.captured_email, in_inbox = v.inbox_text is not null, inbox_text = v.inbox_text
     from unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::uuid[], $7::text[], $8::text[])
          as v(account_id, id, classification, keyword, contact_id, event_id, captured_email, inbox_text)
     where m.account_id = v.account_id and m.id = v.id`,
    values: [
      processed.map((p) => p.accountId),
      processed.map((p) => p.id),
      outcomes.map((o) => o.classification),
      outcomes.map((o) => o.keyword),
      outcomes.map((o) => o.contactId),
      outcomes.map((o) => o.eventId),
      outcomes.map((o) => o.capturedEmail),
      outcomes.map((o) => o.inboxText),
    ],
  });
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

/** The inbound event of a number that has a keyword, if any. */
export type EventLookup = (numberId: string, keyword: string) => MatchedEvent | null;

/** The keywords of the inbound events of these numbers (each with its account), read once for a
 * batch of messages instead of once per message. */
export async function eventKeywordsOn(client: pg.ClientBase, numbers: { accountId: string; numberId: string }[]): Promise<EventLookup> {
  const { rows } = await client.query<MatchedEvent & { inbound_number_id: string; keyword: string }>({
    name: 'inbound-event-keywords',
    text: `select k.inbound_number_id, k.keyword, e.id, e.name, e.type, e.reply_text, e.external_event_id
     from inbound_event_keyword k join inbound_event e on e.account_id = k.account_id and e.id = k.event_id
     where (k.account_id, k.inbound_number_id) in (select * from unnest($1::uuid[], $2::uuid[]))`,
    values: [numbers.map((n) => n.accountId), numbers.map((n) => n.numberId)],
  });
  const events = new Map(rows.map(({ inbound_number_id: numberId, keyword, ...event }) => [`${numberId} ${keyword}`, event]));
  return (numberId, keyword) => events.get(`${numberId} ${keyword}`) ?? null;
}

/** Contacts opt out of campaigns sent from these numbers only (one statement for the lot). */
export async function optOutOfNumbersOn(client: pg.ClientBase, optOuts: { accountId: string; contactId: string; numberId: string; keyword: string }[]): Promise<void> {
  if (!optOuts.length) return;
  await client.query({
    name: 'inbound-number-opt-outs',
    text: `insert into number_opt_out (account_id, contact_id, inbound_number_id, keyword)
     select * from unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::text[]) on conflict do nothing`,
    values: [optOuts.map((o) => o.accountId), optOuts.map((o) => o.contactId), optOuts.map((o) => o.numberId), optOuts.map((o) => o.keyword)],
  });
}
