// The SQL of replies (replies.ts): messages without a campaign that answer an inbound message,
// queued by the inbound processor and sent by the reply sender. They are found across accounts
// (the sender is a worker like the dispatcher's sweep); every write names the account again.
import type pg from 'pg';

export interface QueuedReply {
  accountId: string;
  gatewayId: string;
  /** The inbound message it answers: its number is the sender. */
  replyToId: string;
  contactId: string | null;
  phone: string;
  country: string | null;
  body: string;
  /** The opt-out confirmation, the one message an opted-out contact may still get. */
  isConfirmation: boolean;
}

/** Queues replies (one statement for the lot). */
export async function queueRepliesOn(client: pg.ClientBase, replies: QueuedReply[]): Promise<void> {
  if (!replies.length) return;
  await client.query({
    name: 'replies-queue',
    text: `insert into message (account_id, campaign_id, contact_id, phone, country, status, gateway_id, body, reply_to_id, is_confirmation)
     select v.account_id, null, v.contact_id, v.phone, v.country, 'queued', v.gateway_id, v.body, v.reply_to_id, v.is_confirmation
     from unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::bigint[], $8::boolean[])
          as v(account_id, contact_id, phone, country, gateway_id, body, reply_to_id, is_confirmation)`,
    values: [
      replies.map((r) => r.accountId),
      replies.map((r) => r.contactId),
      replies.map((r) => r.phone),
      replies.map((r) => r.country),
      replies.map((r) => r.gatewayId),
      replies.map((r) => r.body),
      replies.map((r) => r.replyToId),
      replies.map((r) => r.isConfirmation),
    ],
  });
}

export interface ClaimedReply {
  id: string;
  account_id: string;
  phone: string;
  country: string | null;
  body: string;
  attempts: number;
  cost_micros: string | null;
  gateway_id: string;
  kind: string;
  config: Record<string, string>;
  secret: string;
  sender: string | null;
  /** Its contact opted out, and it is not the one confirmation. */
  opted_out: boolean;
}

/** Locks up to `limit` due replies of every account, with their gateway and sender number. */
export async function claimDueRepliesOn(client: pg.ClientBase, limit: number): Promise<ClaimedReply[]> {
  const { rows } = await client.query<ClaimedReply>(
    `select m.id, m.account_id, m.phone, m.country, m.body, m.attempts, m.cost_micros, g.id as gateway_id, g.kind, g.config, g.secret, n.number as sender,
            (not m.is_confirmation and c.sms_opt_in is false) as opted_out
     from message m
     join gateway g on g.account_id = m.account_id and g.id = m.gateway_id
     left join inbound_message im on im.account_id = m.account_id and im.id = m.reply_to_id
     left join inbound_number n on n.account_id = m.account_id and n.id = im.inbound_number_id
     left join contact c on c.account_id = m.account_id and c.id = m.contact_id
     where m.campaign_id is null and m.status = 'queued' and m.not_before <= now()
       -- A paused or disabled gateway's replies wait for it.
       and g.paused_at is null and not g.disabled
     order by m.not_before limit $1
     for update of m skip locked`,
    [limit],
  );
  return rows;
}

/** Ends queued replies that will not be sent, with the reason (opted out: skipped; no credit or
 * no sender any more: failed). */
export async function endQueuedRepliesOn(client: pg.ClientBase, accountId: string, ids: string[], outcome: { status: 'skipped'; skipReason: 'opted_out' } | { status: 'failed'; errorCode: string }): Promise<void> {
  if (!ids.length) return;
  await client.query(
    `update message set status = $3, skip_reason = $4, error_code = $5, skipped_at = case when $3 = 'skipped' then now() end, waiting = null, claimed_at = null
     where account_id = $1 and id = any($2::bigint[]) and status = 'queued'`,
    [accountId, ids, outcome.status, outcome.status === 'skipped' ? outcome.skipReason : null, outcome.status === 'failed' ? outcome.errorCode : null],
  );
}

/** Queues again the replies whose sender died mid-send. */
export async function reclaimStaleRepliesOn(client: pg.ClientBase, leaseSeconds: number): Promise<number> {
  const result = await client.query(
    `update message set status = 'queued', claimed_at = null where campaign_id is null and status = 'sending' and claimed_at < now() - make_interval(secs => $1)`,
    [leaseSeconds],
  );
  return result.rowCount ?? 0;
}
