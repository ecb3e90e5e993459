// The dispatcher's SQL (dispatcher.ts has the steps): every statement takes the account id, runs
// on the raw client of the dispatcher's transaction, and works on a batch in one round trip
// (arrays unnested), never one row at a time.
import type pg from 'pg';
import type { GatewayRow, OutgoingMessage } from '../gateways/index.js';
import { statusesMovingTo, type CampaignKind, type CampaignStatus } from '../campaigns/index.js';

export interface CampaignState {
  name: string;
  kind: CampaignKind;
  status: CampaignStatus;
  sender: string;
  body: string;
  track_links: boolean;
  gateway: GatewayRow | null;
  /** Why nothing may go out through the gateway now (disabled, or paused after failing); null when it may. */
  gatewayStopped: string | null;
  mps: number;
}

/** A claimed message with what rendering needs of its contact. */
export interface Claimed {
  id: string;
  phone: string;
  country: string | null;
  /** The recipient's own zone; null: the window open across its country's zones. */
  time_zone: string | null;
  is_test: boolean;
  attempts: number;
  cost_micros: string | null;
  token: string | null;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  fields: Record<string, unknown> | null;
  /** An automation message's event data, for `{{event.<name>}}`. */
  event_data: Record<string, unknown> | null;
  /** The contact opted out (of everything, or of the campaign's sender number) after the launch
   * wrote this message; null when it may go (test sends always may). */
  opted_out: 'opted_out' | 'opted_out_of_number' | null;
}

/** What a claimed message leaves with. */
export interface Rendered {
  id: string;
  body: string;
  encoding: OutgoingMessage['encoding'];
  parts: number;
  priceMicros: number;
  costMicros: number;
  token: string | null;
}

/** The campaign as the dispatcher needs it, with its gateway (its own, or the account's default). */
export async function campaignStateOn(client: pg.ClientBase, accountId: string, campaignId: string): Promise<CampaignState | null> {
  const { rows } = await client.query(
    `select c.name, c.kind as campaign_kind, c.status, c.sender, c.body, c.track_links, g.id as gateway_id, g.kind, g.config, g.secret, g.messages_per_second,
            case when g.disabled then 'gateway disabled' when g.paused_at is not null then 'gateway paused' end as gateway_stopped
     from campaign c left join gateway g on g.account_id = c.account_id and g.id = coalesce(c.gateway_id,
       (select n.gateway_id from inbound_number n where n.account_id = c.account_id and n.id = c.inbound_number_id),
       (select id from gateway d where d.account_id = c.account_id and d.is_default))
     where c.account_id = $1 and c.id = $2`,
    [accountId, campaignId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    name: row.name,
    kind: row.campaign_kind,
    status: row.status,
    sender: row.sender,
    body: row.body,
    track_links: row.track_links,
    gateway: row.gateway_id ? { id: row.gateway_id, kind: row.kind, config: row.config, secret: row.secret, accountId } : null,
    gatewayStopped: row.gateway_stopped,
    mps: row.messages_per_second ?? 1,
  };
}

/** Queues again the messages claimed longer ago than the lease (their dispatcher died). */
export async function reclaimStaleOn(client: pg.ClientBase, accountId: string, campaignId: string, leaseSeconds: number): Promise<number> {
  const result = await client.query(
    `update message set status = 'queued', claimed_at = null
     where account_id = $1 and campaign_id = $2 and status = 'sending' and claimed_at < now() - make_interval(secs => $3)`,
    [accountId, campaignId, leaseSeconds],
  );
  return result.rowCount ?? 0;
}

/** Locks up to `limit` due messages (test sends only, unless the campaign's messages go out). */
export async function claimDueOn(client: pg.ClientBase, accountId: string, campaignId: string, options: { withRecipients: boolean; limit: number }): Promise<Claimed[]> {
  const { rows } = await client.query<Claimed>(
    `select m.id, m.phone, m.country, m.time_zone, m.is_test, m.attempts, m.cost_micros, m.token, m.event_data, c.first_name, c.last_name, c.email, c.fields,
            case when m.is_test then null
                 when c.sms_opt_in is false then 'opted_out'
                 when exists (select 1 from campaign k join number_opt_out x on x.account_id = k.account_id and x.inbound_number_id = k.inbound_number_id
                              where k.account_id = m.account_id and k.id = m.campaign_id and x.contact_id = m.contact_id) then 'opted_out_of_number'
            end as opted_out
     from message m left join contact c on c.account_id = m.account_id and c.id = m.contact_id
     where m.account_id = $1 and m.campaign_id = $2 and m.status = 'queued' and m.not_before <= now() and (m.is_test or $3)
     order by m.not_before limit $4
     for update of m skip locked`,
    [accountId, campaignId, options.withRecipients, options.limit],
  );
  return rows;
}

/** Skips claimed messages, with the reason and time: their contact opted out after the launch, or
 * (an automation campaign's) the credit did not cover them. */
export async function skipClaimedOn(client: pg.ClientBase, accountId: string, skipped: { id: string; reason: string }[]): Promise<void> {
  await client.query(
    `update message m set status = 'skipped', skip_reason = v.reason, skipped_at = now(), waiting = null, claimed_at = null
     from unnest($2::bigint[], $3::text[]) as v(id, reason) where m.account_id = $1 and m.id = v.id and m.status = 'queued'`,
    [accountId, skipped.map((s) => s.id), skipped.map((s) => s.reason)],
  );
}

/** Holds messages until their send window opens. */
export async function deferOn(client: pg.ClientBase, accountId: string, deferred: { id: string; at: Date }[]): Promise<void> {
  await client.query(
    `update message m set not_before = v.at, waiting = 'quiet_hours' from unnest($2::bigint[], $3::timestamptz[]) as v(id, at) where m.account_id = $1 and m.id = v.id`,
    [accountId, deferred.map((d) => d.id), deferred.map((d) => d.at.toISOString())],
  );
}

/** Records the rendered text and its cost, and marks the messages in flight; with `gatewayId`, the
 * gateway they leave through (where their delivery reports come from: an automation message is
 * queued before its gateway is known). */
export async function markSendingOn(client: pg.ClientBase, accountId: string, rendered: Rendered[], gatewayId: string | null = null): Promise<void> {
  await client.query(
    `update message m set status = 'sending', body = v.body, encoding = v.encoding, parts = v.parts, price_micros = v.price, cost_micros = v.cost,
            token = v.token, attempts = m.attempts + 1, claimed_at = now(), waiting = null, gateway_id = coalesce($9::uuid, m.gateway_id)
     from unnest($2::bigint[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::bigint[], $8::text[]) as v(id, body, encoding, parts, price, cost, token)
     where m.account_id = $1 and m.id = v.id`,
    [
      accountId,
      rendered.map((r) => r.id),
      rendered.map((r) => r.body),
      rendered.map((r) => r.encoding),
      rendered.map((r) => r.parts),
      rendered.map((r) => r.priceMicros),
      rendered.map((r) => r.costMicros),
      rendered.map((r) => r.token),
      gatewayId,
    ],
  );
}

/** Messages the gateway took, with its ids. */
export async function markSentOn(client: pg.ClientBase, accountId: string, sent: { id: string; gatewayMessageId: string }[]): Promise<void> {
  await client.query(
    `update message m set status = 'sent', gateway_message_id = v.gid, sent_at = now(), error_code = null
     from unnest($2::bigint[], $3::text[]) as v(id, gid) where m.account_id = $1 and m.id = v.id and m.status = 'sending'`,
    [accountId, sent.map((s) => s.id), sent.map((s) => s.gatewayMessageId)],
  );
}

/** The campaign's first real message left: from now on its content is locked. */
export async function markFirstSentOn(client: pg.ClientBase, accountId: string, campaignId: string): Promise<void> {
  await client.query('update campaign set first_sent_at = now() where account_id = $1 and id = $2 and first_sent_at is null', [accountId, campaignId]);
}

/** Messages refused for now: queued again after a backoff of base × 4^(attempts − 1) seconds,
 * or longer when the gateway asked to wait (Retry-After). */
export async function scheduleRetryOn(client: pg.ClientBase, accountId: string, retry: { id: string; errorCode: string; retryAfterSeconds?: number }[], baseSeconds: number): Promise<void> {
  await client.query(
    `update message m set status = 'queued', waiting = 'retry', error_code = v.code, claimed_at = null,
            not_before = now() + make_interval(secs => greatest($4 * power(4, greatest(m.attempts - 1, 0)), coalesce(v.wait, 0)))
     from unnest($2::bigint[], $3::text[], $5::int[]) as v(id, code, wait) where m.account_id = $1 and m.id = v.id and m.status = 'sending'`,
    [accountId, retry.map((r) => r.id), retry.map((r) => r.errorCode.slice(0, 50)), baseSeconds, retry.map((r) => (r.retryAfterSeconds === undefined ? null : Math.ceil(r.retryAfterSeconds)))],
  );
}

/** The contacts (id and number) of these messages; messages without a contact are left out. */
export async function contactsOfMessagesOn(client: pg.ClientBase, accountId: string, ids: string[]): Promise<Map<string, { contactId: string; phone: string }>> {
  const { rows } = await client.query<{ id: string; contact_id: string; phone: string }>(
    'select m.id, m.contact_id, c.phone from message m join contact c on c.account_id = m.account_id and c.id = m.contact_id where m.account_id = $1 and m.id = any($2::bigint[])',
    [accountId, ids],
  );
  return new Map(rows.map((row) => [String(row.id), { contactId: String(row.contact_id), phone: row.phone }]));
}

/** Messages refused for good; answers what they had cost, to refund. */
export async function markFailedOn(client: pg.ClientBase, accountId: string, failed: { id: string; errorCode: string }[]): Promise<number> {
  const { rows } = await client.query<{ refund: string | null }>(
    `with failed as (
       update message m set status = 'failed', error_code = v.code, claimed_at = null
       from unnest($2::bigint[], $3::text[]) as v(id, code) where m.account_id = $1 and m.id = v.id and m.status = 'sending'
       returning m.cost_micros)
     select sum(cost_micros) as refund from failed`,
    [accountId, failed.map((f) => f.id), failed.map((f) => f.errorCode.slice(0, 50))],
  );
  return Number(rows[0]?.refund ?? 0);
}

/** Pauses a sending campaign, saying why on its page. */
export async function pauseWithReasonOn(client: pg.ClientBase, accountId: string, campaignId: string, reason: string): Promise<void> {
  await client.query(`update campaign set status = 'paused', problem = $3, updated_at = now() where account_id = $1 and id = $2 and status = any($4::text[])`, [
    accountId,
    campaignId,
    reason,
    statusesMovingTo('paused'),
  ]);
}

/** When the next queued message is due, and when the oldest in-flight one could be reclaimed. */
export async function nextDueOn(client: pg.ClientBase, accountId: string, campaignId: string, leaseSeconds: number): Promise<{ next: Date | null; reclaimable: Date | null }> {
  const { rows } = await client.query<{ next: Date | null; reclaimable: Date | null }>(
    `select min(not_before) filter (where status = 'queued') as next,
            min(claimed_at) filter (where status = 'sending') + make_interval(secs => $3 + 1) as reclaimable
     from message where account_id = $1 and campaign_id = $2 and status in ('queued', 'sending')`,
    [accountId, campaignId, leaseSeconds],
  );
  return rows[0]!;
}

/** Nothing queued or in flight: the campaign is sent. */
export async function markCampaignSentOn(client: pg.ClientBase, accountId: string, campaignId: string): Promise<void> {
  await client.query(`update campaign set status = 'sent', finished_at = now(), updated_at = now() where account_id = $1 and id = $2 and status = any($3::text[])`, [
    accountId,
    campaignId,
    statusesMovingTo('sent'),
  ]);
}
