// The dispatcher (DESIGN.md "Sending", step 3): claims a campaign's due messages in batches
// (FOR UPDATE SKIP LOCKED, so any number of processes can work on one campaign), defers those
// outside their country's send window, renders them, debits their cost in one ledger entry per
// batch, sends them through the gateway within its messages-per-second limit and writes the
// results back in bulk. Each batch:
//   1. one transaction: claim, render, debit, mark `sending` (cost recorded, so never billed twice);
//   2. send (the message id is the gateway's client reference);
//   3. one transaction: sent with the gateway's id / retry later / failed and refunded.
// A crash between 1 and 3 leaves rows in `sending`; after CLAIM_LEASE_SECONDS they are queued
// again and resent with the same client reference, which the gateway uses to deliver them once.
// A live dispatcher holds a batch for at most about a second of the gateway's rate plus the
// gateway call (whose timeout must stay well under the lease).
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { withClient, inTransaction } from '../../db/raw-client.js';
import { partPrice, priceTable, type PriceTable } from '../accounts/index.js';
import { Account } from '../accounts/index.js';
import { balanceOn, recordSendingEntry } from '../accounts/index.js';
import { adapterFor, type GatewayRow, type OutgoingMessage, type SendResult } from '../gateways/index.js';
import { prepareTemplate, renderMessage, newToken, statusesMovingTo, type Template } from '../campaigns/index.js';
import { SendWindow, quietHoursOf } from './quiet-hours.js';
import { reserveSendSlots } from './rate-limit.js';

/** Messages per claim; also at most one second of the gateway's rate, so pause acts quickly. */
export const MAX_BATCH = 1000;
/** A message left `sending` this long belongs to a dispatcher that died. */
export const CLAIM_LEASE_SECONDS = 30;
/** Attempts before a message that keeps meeting transient errors fails. */
export const MAX_ATTEMPTS = 5;
const RETRY_BASE_SECONDS = 30;

export class CreditShort extends Error {}

interface CampaignState {
  name: string;
  status: string;
  sender: string;
  body: string;
  track_links: boolean;
  gateway: GatewayRow | null;
  mps: number;
}

interface Claimed {
  id: string;
  phone: string;
  country: string | null;
  is_test: boolean;
  attempts: number;
  cost_micros: string | null;
  token: string | null;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  fields: Record<string, unknown> | null;
}

interface Prepared {
  row: Claimed;
  body: string;
  encoding: string;
  parts: number;
  priceMicros: number;
  costMicros: number;
  token: string | null;
}

export interface DispatchOptions {
  publicUrl: string;
  /** Called after every batch (an Agenda job touches its lock). */
  touch?: () => Promise<unknown>;
  /** Asked before every batch: true stops the loop (shutdown). */
  stopping?: () => boolean;
  log?: { warn(obj: unknown, msg?: string): void };
  now?: () => Date;
}

export interface DispatchOutcome {
  dispatched: number;
  /** When to look again: the earliest waiting message, in-flight ones, or null when done. */
  nextAt: Date | null;
  /** Why it stopped early: paused, cancelled, credit ran out. */
  stopped?: string;
}

async function campaignState(client: pg.ClientBase, accountId: string, campaignId: string): Promise<CampaignState | null> {
  const { rows } = await client.query(
    `select c.name, c.status, c.sender, c.body, c.track_links, g.id as gateway_id, g.kind, g.config, g.secret, g.messages_per_second
     from campaign c left join gateway g on g.account_id = c.account_id and g.id = coalesce(c.gateway_id, (select id from gateway d where d.account_id = c.account_id and d.is_default))
     where c.account_id = $1 and c.id = $2`,
    [accountId, campaignId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    name: row.name,
    status: row.status,
    sender: row.sender,
    body: row.body,
    track_links: row.track_links,
    gateway: row.gateway_id ? { id: row.gateway_id, kind: row.kind, config: row.config, secret: row.secret, accountId } : null,
    mps: row.messages_per_second ?? 1,
  };
}

/** Queues again the messages of dispatchers that died mid-batch. */
export async function reclaimStale(client: pg.ClientBase, accountId: string, campaignId: string): Promise<number> {
  const result = await client.query(
    `update message set status = 'queued', claimed_at = null
     where account_id = $1 and campaign_id = $2 and status = 'sending' and claimed_at < now() - make_interval(secs => $3)`,
    [accountId, campaignId, CLAIM_LEASE_SECONDS],
  );
  return result.rowCount ?? 0;
}

async function debit(client: pg.ClientBase, accountId: string, campaignId: string, micros: number, note: string): Promise<void> {
  // One account's debits are serialised, so two batches cannot both spend the last credit.
  await client.query('select pg_advisory_xact_lock(hashtextextended($1, 7))', [accountId]);
  const balance = await balanceOn(client, accountId);
  if (balance < micros) throw new CreditShort(`balance ${balance}, batch ${micros}`);
  await recordSendingEntry(client, { accountId, campaignId, kind: 'debit', amountMicros: -micros, note });
}

/** Step 1: claim due messages, defer the ones outside their window, render and debit the rest. */
async function claimBatch(
  client: pg.ClientBase,
  accountId: string,
  campaignId: string,
  state: CampaignState,
  context: { template: Template; prices: PriceTable; window: SendWindow; limit: number; now: Date },
): Promise<Prepared[]> {
  const { rows } = await client.query<Claimed>(
    `select m.id, m.phone, m.country, m.is_test, m.attempts, m.cost_micros, m.token, c.first_name, c.last_name, c.email, c.fields
     from message m left join contact c on c.account_id = m.account_id and c.id = m.contact_id
     where m.account_id = $1 and m.campaign_id = $2 and m.status = 'queued' and m.not_before <= now() and (m.is_test or $3)
     order by m.not_before limit $4
     for update of m skip locked`,
    [accountId, campaignId, state.status === 'sending', context.limit],
  );
  const prepared: Prepared[] = [];
  const deferred: { id: string; at: Date }[] = [];
  for (const row of rows) {
    // Test sends go to the marketer's own phones: no send window applies.
    const opening = row.is_test ? context.now : context.window.openingFor(row.country, context.now);
    if (!opening || opening.getTime() > context.now.getTime()) {
      deferred.push({ id: row.id, at: opening ?? new Date(context.now.getTime() + 86_400_000) });
      continue;
    }
    const token = row.token ?? (context.template.needsToken ? newToken() : null);
    const rendered = renderMessage(context.template, row, token);
    const priceMicros = partPrice(context.prices, row.country) ?? 0;
    const costMicros = row.cost_micros === null ? rendered.parts * priceMicros : Number(row.cost_micros);
    prepared.push({ row, ...rendered, priceMicros, costMicros, token });
  }
  if (deferred.length) {
    await client.query(
      `update message m set not_before = v.at, waiting = 'quiet_hours' from unnest($2::bigint[], $3::timestamptz[]) as v(id, at) where m.account_id = $1 and m.id = v.id`,
      [accountId, deferred.map((d) => d.id), deferred.map((d) => d.at.toISOString())],
    );
  }
  if (!prepared.length) return prepared;
  const newCharge = prepared.filter((p) => p.row.cost_micros === null).reduce((sum, p) => sum + p.costMicros, 0);
  if (newCharge > 0) await debit(client, accountId, campaignId, newCharge, `Campaign "${state.name}": ${prepared.length} message${prepared.length === 1 ? '' : 's'}`);
  await client.query(
    `update message m set status = 'sending', body = v.body, encoding = v.encoding, parts = v.parts, price_micros = v.price, cost_micros = v.cost,
            token = v.token, attempts = m.attempts + 1, claimed_at = now(), waiting = null
     from unnest($2::bigint[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::bigint[], $8::text[]) as v(id, body, encoding, parts, price, cost, token)
     where m.account_id = $1 and m.id = v.id`,
    [
      accountId,
      prepared.map((p) => p.row.id),
      prepared.map((p) => p.body),
      prepared.map((p) => p.encoding),
      prepared.map((p) => p.parts),
      prepared.map((p) => p.priceMicros),
      prepared.map((p) => p.costMicros),
      prepared.map((p) => p.token),
    ],
  );
  return prepared;
}

/** Step 3: write what the gateway answered. */
async function recordResults(client: pg.ClientBase, accountId: string, campaignId: string, state: CampaignState, prepared: Prepared[], results: SendResult[]): Promise<void> {
  const byRef = new Map(prepared.map((p) => [p.row.id, p]));
  const sent = results.filter((r): r is Extract<SendResult, { accepted: true }> => r.accepted);
  const refused = results.filter((r): r is Extract<SendResult, { accepted: false }> => !r.accepted);
  const retry = refused.filter((r) => !r.permanent && byRef.get(r.clientRef)!.row.attempts + 1 < MAX_ATTEMPTS);
  const failed = refused.filter((r) => !retry.includes(r));
  if (sent.length) {
    await client.query(
      `update message m set status = 'sent', gateway_message_id = v.gid, sent_at = now(), error_code = null
       from unnest($2::bigint[], $3::text[]) as v(id, gid) where m.account_id = $1 and m.id = v.id and m.status = 'sending'`,
      [accountId, sent.map((r) => r.clientRef), sent.map((r) => r.gatewayMessageId)],
    );
    // Test sends do not count as the campaign going out (its content stays editable).
    if (sent.some((r) => !byRef.get(r.clientRef)!.row.is_test)) {
      await client.query('update campaign set first_sent_at = now() where account_id = $1 and id = $2 and first_sent_at is null', [accountId, campaignId]);
    }
  }
  if (retry.length) {
    await client.query(
      `update message m set status = 'queued', waiting = 'retry', error_code = v.code, claimed_at = null,
              not_before = now() + make_interval(secs => $4 * power(4, greatest(m.attempts - 1, 0)))
       from unnest($2::bigint[], $3::text[]) as v(id, code) where m.account_id = $1 and m.id = v.id and m.status = 'sending'`,
      [accountId, retry.map((r) => r.clientRef), retry.map((r) => r.errorCode.slice(0, 50)), RETRY_BASE_SECONDS],
    );
  }
  if (failed.length) {
    const { rows } = await client.query<{ refund: string | null }>(
      `with failed as (
         update message m set status = 'failed', error_code = v.code, claimed_at = null
         from unnest($2::bigint[], $3::text[]) as v(id, code) where m.account_id = $1 and m.id = v.id and m.status = 'sending'
         returning m.cost_micros)
       select sum(cost_micros) as refund from failed`,
      [accountId, failed.map((r) => r.clientRef), failed.map((r) => r.errorCode.slice(0, 50))],
    );
    const refund = Number(rows[0]?.refund ?? 0);
    if (refund > 0) {
      const note = `Campaign "${state.name}": ${failed.length} message${failed.length === 1 ? '' : 's'} refused by the gateway`;
      await recordSendingEntry(client, { accountId, campaignId, kind: 'refund', amountMicros: refund, note });
    }
  }
}

const TRANSIENT_DB_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004', '53300']);

/** A lost or refused database connection (a restart), as opposed to a bug. */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  if (e?.code && (TRANSIENT_DB_CODES.has(e.code) || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(e.code))) return true;
  return /Connection terminated|connection (?:is )?(?:closed|lost)|Client has encountered a connection error|timeout exceeded when trying to connect|Knex: Timeout acquiring/i.test(e?.message ?? '');
}

/** Runs `fn` again while the database is unreachable, for up to `forMs`. */
export async function whileDatabaseReturns<T>(fn: () => Promise<T>, options: { forMs?: number; log?: DispatchOptions['log'] } = {}): Promise<T> {
  const until = Date.now() + (options.forMs ?? 120_000);
  for (let wait = 250; ; wait = Math.min(wait * 2, 5_000)) {
    try {
      return await fn();
    } catch (error) {
      if (!isConnectionError(error) || Date.now() + wait > until) throw error;
      options.log?.warn({ err: error }, 'database unreachable; retrying');
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** Dispatches a campaign's due messages until none is left, it is paused or cancelled, or the
 * process stops. Safe to run in several processes at once. */
export async function dispatchCampaign(em: EntityManager, accountId: string, campaignId: string, options: DispatchOptions): Promise<DispatchOutcome> {
  const now = options.now ?? (() => new Date());
  const retrying = <T>(fn: () => Promise<T>) => whileDatabaseReturns(fn, { log: options.log });
  let dispatched = 0;
  // The account's prices and send windows, read once per run (the ORM's own reads: `em` is scoped).
  const setup = await retrying(async () => {
    await withClient(em, (client) => reclaimStale(client, accountId, campaignId));
    const account = await em.findOneOrFail(Account, { id: accountId });
    return { prices: await priceTable(em), window: new SendWindow(quietHoursOf(account)) };
  });
  let template: Template | null = null;
  let lastReclaim = Date.now();
  let status = 'sending';
  while (!options.stopping?.()) {
    const state = await retrying(() => withClient(em, (client) => campaignState(client, accountId, campaignId)));
    if (!state) return { dispatched, nextAt: null, stopped: 'deleted' };
    if (!state.gateway) return { dispatched, nextAt: null, stopped: 'no gateway' };
    status = state.status;
    if (!template || template.body !== state.body) template = prepareTemplate(state.body, state.track_links, options.publicUrl);
    if (Date.now() - lastReclaim > (CLAIM_LEASE_SECONDS * 1000) / 2) {
      await retrying(() => withClient(em, (client) => reclaimStale(client, accountId, campaignId)));
      lastReclaim = Date.now();
    }
    const limit = Math.max(1, Math.min(MAX_BATCH, state.mps));
    let prepared: Prepared[];
    try {
      prepared = await retrying(() => inTransaction(em, (client) => claimBatch(client, accountId, campaignId, state, { template: template!, ...setup, limit, now: now() })));
    } catch (error) {
      if (!(error instanceof CreditShort)) throw error;
      const reason = 'Paused: the credit ran out. Add credit under Settings → Credits, then resume.';
      await retrying(() => withClient(em, (client) => client.query(`update campaign set status = 'paused', problem = $3, updated_at = now() where account_id = $1 and id = $2 and status = any($4::text[])`, [accountId, campaignId, reason, statusesMovingTo('paused')])));
      return { dispatched, nextAt: null, stopped: reason };
    }
    if (!prepared.length) break;
    const outgoing: OutgoingMessage[] = prepared.map((p) => ({ clientRef: p.row.id, to: p.row.phone, from: state.sender, body: p.body, parts: p.parts, attempt: p.row.attempts + 1 }));
    await retrying(() => withClient(em, (client) => reserveSendSlots(client, state.gateway!.id, accountId, outgoing.length)));
    const results = await retrying(() => withClient(em, (client) => adapterFor(state.gateway!, client).send(outgoing)));
    await retrying(() => inTransaction(em, (client) => recordResults(client, accountId, campaignId, state, prepared, results)));
    dispatched += prepared.length;
    await options.touch?.().catch(() => {});
  }
  // A paused, cancelled or not yet launched campaign only had its test sends dispatched.
  if (status !== 'sending') return { dispatched, nextAt: null, stopped: status };
  return { dispatched, nextAt: await retrying(() => withClient(em, (client) => finishOrNext(client, accountId, campaignId))) };
}

/** After a pass: the campaign is sent when nothing is queued or in flight; otherwise when to look again. */
async function finishOrNext(client: pg.ClientBase, accountId: string, campaignId: string): Promise<Date | null> {
  const { rows } = await client.query<{ next: Date | null; reclaimable: Date | null }>(
    `select min(not_before) filter (where status = 'queued') as next,
            min(claimed_at) filter (where status = 'sending') + make_interval(secs => $3 + 1) as reclaimable
     from message where account_id = $1 and campaign_id = $2 and status in ('queued', 'sending')`,
    [accountId, campaignId, CLAIM_LEASE_SECONDS],
  );
  const { next, reclaimable } = rows[0]!;
  if (next) return new Date(next);
  // Only in-flight messages left: look again when the oldest claim could be a dead dispatcher's.
  if (reclaimable) return new Date(Math.max(Date.now() + 1000, new Date(reclaimable).getTime()));
  await client.query(`update campaign set status = 'sent', finished_at = now(), updated_at = now() where account_id = $1 and id = $2 and status = any($3::text[])`, [accountId, campaignId, statusesMovingTo('sent')]);
  return null;
}
