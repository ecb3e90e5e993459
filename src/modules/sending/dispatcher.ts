// The dispatcher (DESIGN.md "Sending", step 3): claims a campaign's due messages in batches
// (FOR UPDATE SKIP LOCKED, so any number of processes can work on one campaign), defers those
// outside their country's send window, renders them, debits their cost in one ledger entry per
// batch, sends them through the gateway within its messages-per-second limit and writes the
// results back in bulk. Each batch:
//   1. one transaction: claim, render, debit, mark `sending` (cost recorded, so never billed twice);
//   2. send (the message id is the gateway's client reference);
//   3. one transaction: sent with the gateway's id / retry later / failed and refunded.
// Successive batches overlap (BatchPipeline): batch n is sent while n + 1 is claimed and n − 1
// recorded, each step one batch at a time. So a pause, a cancel or an opt-out takes effect from
// the batch after the one being claimed: up to two batches (two seconds of the rate) may still go.
// A crash between 1 and 3 leaves rows in `sending`; after the claim lease (SENDING_CLAIM_LEASE_SECONDS,
// default CLAIM_LEASE_SECONDS) they are queued again and resent with the same client reference,
// which the gateway uses to deliver them once.
// A live dispatcher holds a batch for at most about a second of the gateway's rate plus the
// gateway call (whose timeout must stay well under the lease).
// An automation campaign's messages (queued one run at a time, automation-sms.queries.ts) take
// the same path while the campaign is neither paused nor cancelled; the campaign is never marked
// sent, and what the credit does not cover is skipped ("insufficient credit") instead of pausing it.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { withClient, inTransaction } from '../../db/raw-client.js';
import { Account, balanceOn, debitOn, partPrice, priceTable, recordSendingEntryOn, SendWindow, quietHoursOf, type PriceTable } from '../accounts/index.js';
import { adapterFor, recordGatewayHealthOn, sendOrRetry, type OutgoingMessage, type SendResult } from '../gateways/index.js';
import { dispatchesMessages, prepareTemplate, renderMessage, newToken, type Template } from '../campaigns/index.js';
import { reserveSendSlotsOn } from './rate-limit.queries.js';
import { applyContactEffectsOn } from './contact-effects.js';
import {
  campaignStateOn, reclaimStaleOn, claimDueOn, skipClaimedOn, deferOn, markSendingOn, markSentOn, markFirstSentOn, scheduleRetryOn, markFailedOn,
  pauseWithReasonOn, nextDueOn, markCampaignSentOn, type CampaignState, type Claimed, type Rendered,
} from './dispatch.queries.js';

/** Messages per claim; also at most one second of the gateway's rate, so pause acts quickly. */
export const MAX_BATCH = 1000;
/** A message left `sending` this long belongs to a dispatcher that died: the default claim lease
 * (SENDING_CLAIM_LEASE_SECONDS's default in src/config.ts). */
export const CLAIM_LEASE_SECONDS = 30;
/** Attempts before a message that keeps meeting transient errors fails. */
export const MAX_ATTEMPTS = 5;
const RETRY_BASE_SECONDS = 30;

export class CreditShort extends Error {}

/** A claimed message, rendered and priced (what markSendingOn records, with its row). */
type Prepared = Omit<Rendered, 'id'> & { row: Claimed };

export interface DispatchOptions {
  publicUrl: string;
  /** Called after every batch (an Agenda job touches its lock). */
  touch?: () => Promise<unknown>;
  /** Asked before every batch: true stops the loop (shutdown). */
  stopping?: () => boolean;
  log?: { warn(obj: unknown, msg?: string): void };
  now?: () => Date;
  /** The claim lease in seconds (default CLAIM_LEASE_SECONDS). */
  leaseSeconds?: number;
}

export interface DispatchOutcome {
  dispatched: number;
  /** When to look again: the earliest waiting message, in-flight ones, or null when done. */
  nextAt: Date | null;
  /** Why it stopped early: paused, cancelled, credit ran out. */
  stopped?: string;
}

/** Queues again the messages of dispatchers that died mid-batch. */
export function reclaimStale(client: pg.ClientBase, accountId: string, campaignId: string, leaseSeconds = CLAIM_LEASE_SECONDS): Promise<number> {
  return reclaimStaleOn(client, accountId, campaignId, leaseSeconds);
}

/** Step 1: claim due messages, defer the ones outside their window, render and debit the rest. */
async function claimBatch(
  client: pg.ClientBase,
  accountId: string,
  campaignId: string,
  state: CampaignState,
  context: { template: Template; prices: PriceTable; window: SendWindow; limit: number; now: Date },
): Promise<{ skipped: number; prepared: Prepared[] }> {
  const rows = await claimDueOn(client, accountId, campaignId, { withRecipients: dispatchesMessages(state), limit: context.limit });
  // Consent is checked as each message leaves, not only at launch: an opt-out stored meanwhile
  // (unsubscribe link, API, contact page, import, STOP, an opt-out of the sender number) stops it.
  const optedOut = rows.filter((row) => row.opted_out);
  if (optedOut.length) await skipClaimedOn(client, accountId, optedOut.map((row) => ({ id: row.id, reason: row.opted_out! })));
  const prepared: Prepared[] = [];
  const deferred: { id: string; at: Date }[] = [];
  for (const row of rows) {
    if (row.opted_out) continue;
    // Test sends go to the marketer's own phones: no send window applies.
    const opening = row.is_test ? context.now : context.window.openingFor(row.country, row.time_zone, context.now);
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
  if (deferred.length) await deferOn(client, accountId, deferred);
  if (!prepared.length) return { skipped: optedOut.length, prepared };
  const { charged, short } = await chargeBatch(client, accountId, campaignId, state, prepared);
  if (charged.length) {
    const rendered = charged.map((p) => ({ id: p.row.id, body: p.body, encoding: p.encoding, parts: p.parts, priceMicros: p.priceMicros, costMicros: p.costMicros, token: p.token }));
    await markSendingOn(client, accountId, rendered, state.gateway!.id);
  }
  return { skipped: optedOut.length + short, prepared: charged };
}

/** What a batch adds to the bill: the messages not billed yet (a retry was billed before). */
const newCharge = (batch: Prepared[]) => batch.filter((p) => p.row.cost_micros === null).reduce((sum, p) => sum + p.costMicros, 0);

/** Debits the batch's new charges. When the credit does not cover them, a batch campaign stops
 * (CreditShort: it pauses); an automation campaign sends what the credit covers, in order, and
 * skips the rest as "insufficient credit" (re-sent from its page after a top-up), so that the
 * programs using it keep running. Answers the messages to send and how many were skipped. */
async function chargeBatch(client: pg.ClientBase, accountId: string, campaignId: string, state: CampaignState, prepared: Prepared[]): Promise<{ charged: Prepared[]; short: number }> {
  const debit = (batch: Prepared[]) => {
    const amountMicros = newCharge(batch);
    const note = `Campaign "${state.name}": ${batch.length} message${batch.length === 1 ? '' : 's'}`;
    return amountMicros === 0 || debitOn(client, { accountId, campaignId, amountMicros, note });
  };
  if (await debit(prepared)) return { charged: prepared, short: 0 };
  if (state.kind !== 'automation') throw new CreditShort(`batch ${newCharge(prepared)}`);
  // The failed debit holds the account's ledger lock until commit: this balance stays true.
  const { covered, uncovered } = coveredBy(prepared, await balanceOn(client, accountId));
  await skipClaimedOn(client, accountId, uncovered.map((p) => ({ id: p.row.id, reason: 'insufficient_credit' })));
  if (covered.length && !(await debit(covered))) throw new CreditShort(`batch ${newCharge(covered)}`);
  return { charged: covered, short: uncovered.length };
}

/** The messages a balance covers: those already billed, and the new ones in order until the first
 * that does not fit (a later, shorter message does not overtake it). */
function coveredBy(prepared: Prepared[], balanceMicros: number): { covered: Prepared[]; uncovered: Prepared[] } {
  const covered: Prepared[] = [];
  const uncovered: Prepared[] = [];
  let left = balanceMicros;
  for (const p of prepared) {
    const cost = p.row.cost_micros === null ? p.costMicros : 0;
    if (cost > 0 && (uncovered.length > 0 || cost > left)) uncovered.push(p);
    else {
      left -= cost;
      covered.push(p);
    }
  }
  return { covered, uncovered };
}

/** Step 3: write what the gateway answered. */
async function recordResults(client: pg.ClientBase, accountId: string, campaignId: string, state: CampaignState, prepared: Prepared[], results: SendResult[]): Promise<void> {
  const byRef = new Map(prepared.map((p) => [p.row.id, p]));
  const sent = results.filter((r): r is Extract<SendResult, { accepted: true }> => r.accepted);
  const refused = results.filter((r): r is Extract<SendResult, { accepted: false }> => !r.accepted);
  const retry = refused.filter((r) => !r.permanent && byRef.get(r.clientRef)!.row.attempts + 1 < MAX_ATTEMPTS);
  const failed = refused.filter((r) => !retry.includes(r));
  if (sent.length) {
    await markSentOn(client, accountId, sent.map((r) => ({ id: r.clientRef, gatewayMessageId: r.gatewayMessageId })));
    // Test sends do not count as the campaign going out (its content stays editable).
    if (sent.some((r) => !byRef.get(r.clientRef)!.row.is_test)) await markFirstSentOn(client, accountId, campaignId);
  }
  if (retry.length) await scheduleRetryOn(client, accountId, retry.map((r) => ({ id: r.clientRef, errorCode: r.errorCode, retryAfterSeconds: r.retryAfterSeconds })), RETRY_BASE_SECONDS);
  if (failed.length) {
    const refund = await markFailedOn(client, accountId, failed.map((r) => ({ id: r.clientRef, errorCode: r.errorCode })));
    if (refund > 0) {
      const note = `Campaign "${state.name}": ${failed.length} message${failed.length === 1 ? '' : 's'} refused by the gateway`;
      await recordSendingEntryOn(client, { accountId, campaignId, kind: 'refund', amountMicros: refund, note });
    }
  }
  await applyContactEffectsOn(client, accountId, state.gateway!.kind, refused);
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

type Retrying = <T>(fn: () => Promise<T>) => Promise<T>;

/** Step 2 for a claimed batch: waits for its time on the gateway's clock (the rate, shared by
 * every process) and sends it; answers what the gateway said of each message. */
async function sendBatch(em: EntityManager, accountId: string, state: CampaignState, prepared: Prepared[], publicUrl: string, retrying: Retrying): Promise<SendResult[]> {
  const outgoing: OutgoingMessage[] = prepared.map((p) => ({ clientRef: p.row.id, to: p.row.phone, from: state.sender, body: p.body, encoding: p.encoding, parts: p.parts, attempt: p.row.attempts + 1 }));
  const wait = await retrying(() => withClient(em, (client) => reserveSendSlotsOn(client, accountId, state.gateway!.id, outgoing.length)));
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  return retrying(() => withClient(em, (client) => sendOrRetry(adapterFor(state.gateway!, client, { publicUrl }), outgoing)));
}

/** Step 3: what the gateway answered, and the gateway's health, in one transaction. */
function recordBatch(em: EntityManager, accountId: string, campaignId: string, state: CampaignState, prepared: Prepared[], results: SendResult[], retrying: Retrying): Promise<void> {
  return retrying(() =>
    inTransaction(em, async (client) => {
      await recordResults(client, accountId, campaignId, state, prepared, results);
      await recordGatewayHealthOn(client, accountId, state.gateway!.id, results);
    }),
  );
}

/** The three steps of successive batches overlapped, so the gateway is not kept waiting on the
 * database: while batch n is sent, batch n + 1 is claimed and batch n − 1 recorded. Each step
 * stays one batch at a time (the rate and the order as before); a failure is met before the next
 * batch is sent. */
class BatchPipeline {
  private sending: { state: CampaignState; prepared: Prepared[]; results: Promise<SendResult[]> } | null = null;
  private recording: Promise<void> = Promise.resolve();
  dispatched = 0;

  constructor(
    private readonly em: EntityManager,
    private readonly accountId: string,
    private readonly campaignId: string,
    private readonly options: DispatchOptions,
    private readonly retrying: Retrying,
  ) {}

  /** Hands a claimed batch over: the previous one's send is awaited and its record started, then this one goes out. */
  async send(state: CampaignState, prepared: Prepared[]): Promise<void> {
    await this.recordSent();
    const results = sendBatch(this.em, this.accountId, state, prepared, this.options.publicUrl, this.retrying);
    results.catch(() => {}); // met when awaited (the next batch, or drain)
    this.sending = { state, prepared, results };
  }

  /** Waits for everything handed over to be sent and recorded. */
  async drain(): Promise<void> {
    try {
      await this.recordSent();
    } finally {
      await this.recording.catch(() => {});
    }
    await this.recording;
  }

  private async recordSent(): Promise<void> {
    if (!this.sending) return;
    const { state, prepared, results } = this.sending;
    this.sending = null;
    const answered = await results;
    await this.recording;
    this.recording = recordBatch(this.em, this.accountId, this.campaignId, state, prepared, answered, this.retrying).then(async () => {
      this.dispatched += prepared.length;
      await this.options.touch?.().catch(() => {});
    });
    this.recording.catch(() => {});
  }
}

/** Dispatches a campaign's due messages until none is left, it is paused or cancelled, or the
 * process stops. Safe to run in several processes at once. */
export async function dispatchCampaign(em: EntityManager, accountId: string, campaignId: string, options: DispatchOptions): Promise<DispatchOutcome> {
  const now = options.now ?? (() => new Date());
  const leaseSeconds = options.leaseSeconds ?? CLAIM_LEASE_SECONDS;
  const retrying = <T>(fn: () => Promise<T>) => whileDatabaseReturns(fn, { log: options.log });
  // The account's prices and send windows, read once per run (the ORM's own reads: `em` is scoped).
  const setup = await retrying(async () => {
    await withClient(em, (client) => reclaimStale(client, accountId, campaignId, leaseSeconds));
    const account = await em.findOneOrFail(Account, { id: accountId });
    return { prices: await priceTable(em), window: new SendWindow(quietHoursOf(account)) };
  });
  let template: Template | null = null;
  let lastReclaim = Date.now();
  let last: Pick<CampaignState, 'kind' | 'status'> = { kind: 'batch', status: 'sending' };
  const pipeline = new BatchPipeline(em, accountId, campaignId, options, retrying);
  const stop = async (stopped: string) => {
    await pipeline.drain();
    return { dispatched: pipeline.dispatched, nextAt: null, stopped };
  };
  while (!options.stopping?.()) {
    const state = await retrying(() => withClient(em, (client) => campaignStateOn(client, accountId, campaignId)));
    if (!state) return stop('deleted');
    if (!state.gateway) return stop('no gateway');
    // Resuming or enabling the gateway dispatches its campaigns again (sending.jobs.ts).
    if (state.gatewayStopped) return stop(state.gatewayStopped);
    last = state;
    if (!template || template.body !== state.body) template = prepareTemplate(state.body, state.track_links, options.publicUrl);
    if (Date.now() - lastReclaim > (leaseSeconds * 1000) / 2) {
      await retrying(() => withClient(em, (client) => reclaimStale(client, accountId, campaignId, leaseSeconds)));
      lastReclaim = Date.now();
    }
    const limit = Math.max(1, Math.min(MAX_BATCH, state.mps));
    let batch: { skipped: number; prepared: Prepared[] };
    try {
      batch = await retrying(() => inTransaction(em, (client) => claimBatch(client, accountId, campaignId, state, { template: template!, ...setup, limit, now: now() })));
    } catch (error) {
      if (!(error instanceof CreditShort)) throw error;
      const reason = 'Paused: the credit ran out. Add credit under Settings → Credits, then resume.';
      await retrying(() => withClient(em, (client) => pauseWithReasonOn(client, accountId, campaignId, reason)));
      return stop(reason);
    }
    const { prepared } = batch;
    // A batch that only skipped recipients (opted out, or short of credit: they left the queue):
    // the next may send.
    // Only deferred ones (or none): nothing is due, the pass ends.
    if (!prepared.length && batch.skipped) continue;
    if (!prepared.length) break;
    await pipeline.send(state, prepared);
  }
  await pipeline.drain();
  const dispatched = pipeline.dispatched;
  // A paused, cancelled or not yet launched campaign only had its test sends dispatched.
  if (!dispatchesMessages(last)) return { dispatched, nextAt: null, stopped: last.status };
  // An automation campaign is never sent: its programs may queue more at any time.
  const finishing = last.kind === 'batch';
  return { dispatched, nextAt: await retrying(() => withClient(em, (client) => finishOrNext(client, accountId, campaignId, finishing, leaseSeconds))) };
}

/** After a pass: when to look again (a message waits, or one in flight could be a dead
 * dispatcher's); with nothing queued or in flight, a finishing campaign is sent. */
async function finishOrNext(client: pg.ClientBase, accountId: string, campaignId: string, finishing: boolean, leaseSeconds: number): Promise<Date | null> {
  const { next, reclaimable } = await nextDueOn(client, accountId, campaignId, leaseSeconds);
  if (next) return new Date(next);
  // Only in-flight messages left: look again when the oldest claim could be a dead dispatcher's.
  if (reclaimable) return new Date(Math.max(Date.now() + 1000, new Date(reclaimable).getTime()));
  if (finishing) await markCampaignSentOn(client, accountId, campaignId);
  return null;
}
