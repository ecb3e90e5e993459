// Replies: the transactional messages an inbound SMS asks for (a HELP answer, the one opt-out
// confirmation, an inbound event's reply). They go through the outbox like campaign messages and
// out through the gateway of the inbound number that received the message, from that number:
// billed (one ledger entry per account and batch), recorded, never in a campaign's figures, not
// held by quiet hours (the contact just wrote to us), and never to an opted-out contact except
// the confirmation. A poller in each job-running process sends them (replies.queries.ts claims
// with SKIP LOCKED, so several can run), in the steps of the dispatcher: claim, price and debit,
// mark sending; send within the gateway's rate; record sent, retry or failed (refunded).
import type pg from 'pg';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import { inTransaction, withClient } from '../../db/raw-client.js';
import { withAccount } from '../../db/tenant.js';
import { Poller } from '../../poller.js';
import { debitOn, partPrice, priceTable, recordSendingEntryOn } from '../accounts/index.js';
import { adapterFor, recordGatewayHealthOn, sendOrRetry, type OutgoingMessage, type SendResult } from '../gateways/index.js';
import { countParts } from '../campaigns/index.js';
import { markFailedOn, markSendingOn, markSentOn, scheduleRetryOn, type Rendered } from './dispatch.queries.js';
import { claimDueRepliesOn, endQueuedRepliesOn, reclaimStaleRepliesOn, type ClaimedReply } from './replies.queries.js';
import { CLAIM_LEASE_SECONDS, MAX_ATTEMPTS } from './dispatcher.js';
import { reserveSendSlotsOn } from './rate-limit.queries.js';
import { applyContactEffectsOn } from './contact-effects.js';

const BATCH = 200;
const POLL_MS = 200;
const RETRY_BASE_SECONDS = 30;

type Prepared = ClaimedReply & Omit<Rendered, 'id' | 'body' | 'token'>;

const groupBy = <T, K>(items: T[], key: (item: T) => K): Map<K, T[]> => {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
};

const plural = (n: number) => `${n} repl${n === 1 ? 'y' : 'ies'}`;

export class ReplySender extends Poller {
  private lastReclaim = 0;

  constructor(
    private readonly orm: MikroORM,
    log: FastifyBaseLogger,
    /** Where the gateways' webhooks are reached (a provider told where to report with each message). */
    private readonly publicUrl: string,
    /** The claim lease (SENDING_CLAIM_LEASE_SECONDS): a reply left `sending` longer is queued again. */
    private readonly leaseSeconds = CLAIM_LEASE_SECONDS,
  ) {
    super(log, { what: 'sending replies', batch: BATCH, pollMs: POLL_MS });
  }

  /** Sends the replies that are due; returns how many it claimed. */
  override async tick(): Promise<number> {
    const em = this.orm.em.fork();
    if (Date.now() - this.lastReclaim > (this.leaseSeconds * 1000) / 2) {
      await withClient(em, (client) => reclaimStaleRepliesOn(client, this.leaseSeconds));
      this.lastReclaim = Date.now();
    }
    const claimed: ClaimedReply[] = [];
    const prepared = await inTransaction(em, async (client) => {
      claimed.push(...(await claimDueRepliesOn(client, BATCH)));
      const ready: Prepared[] = [];
      for (const [accountId, rows] of groupBy(claimed, (row) => row.account_id)) {
        const optedOut = rows.filter((row) => row.opted_out);
        await endQueuedRepliesOn(client, accountId, optedOut.map((row) => row.id), { status: 'skipped', skipReason: 'opted_out' });
        const noSender = rows.filter((row) => !row.opted_out && !row.sender);
        await endQueuedRepliesOn(client, accountId, noSender.map((row) => row.id), { status: 'failed', errorCode: 'no_inbound_number' });
        const prices = await priceTable(withAccount(this.orm.em.fork(), accountId));
        const priced = rows
          .filter((row) => !row.opted_out && row.sender)
          .map((row) => {
            const count = countParts(row.body);
            const priceMicros = partPrice(prices, row.country) ?? 0;
            return { ...row, encoding: count.encoding, parts: count.parts, priceMicros, costMicros: row.cost_micros === null ? count.parts * priceMicros : Number(row.cost_micros) };
          });
        const charge = priced.filter((row) => row.cost_micros === null).reduce((sum, row) => sum + row.costMicros, 0);
        if (charge > 0 && !(await debitOn(client, { accountId, campaignId: null, amountMicros: charge, note: `Replies to inbound SMS: ${plural(priced.length)}` }))) {
          await endQueuedRepliesOn(client, accountId, priced.map((row) => row.id), { status: 'failed', errorCode: 'insufficient_credit' });
          continue;
        }
        await markSendingOn(client, accountId, priced.map((row) => ({ id: row.id, body: row.body, encoding: row.encoding, parts: row.parts, priceMicros: row.priceMicros, costMicros: row.costMicros, token: null })));
        ready.push(...priced);
      }
      return ready;
    });
    for (const batch of groupBy(prepared, (row) => row.gateway_id).values()) await this.send(em, batch);
    return claimed.length;
  }

  /** Sends one gateway's replies within its rate and records what it answered. */
  private async send(em: EntityManager, batch: Prepared[]): Promise<void> {
    const { account_id: accountId, gateway_id: gatewayId, kind, config, secret } = batch[0]!;
    const outgoing: OutgoingMessage[] = batch.map((row) => ({ clientRef: row.id, to: row.phone, from: row.sender!, body: row.body, encoding: row.encoding, parts: row.parts, attempt: row.attempts + 1 }));
    const results = await withClient(em, async (client) => {
      const wait = await reserveSendSlotsOn(client, accountId, gatewayId, outgoing.length);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      return sendOrRetry(adapterFor({ id: gatewayId, accountId, kind, config, secret }, client, { publicUrl: this.publicUrl }), outgoing);
    });
    await inTransaction(em, async (client) => {
      await this.record(client, accountId, kind, batch, results);
      await recordGatewayHealthOn(client, accountId, gatewayId, results);
    });
  }

  private async record(client: pg.ClientBase, accountId: string, gatewayKind: string, batch: Prepared[], results: SendResult[]): Promise<void> {
    const attempts = new Map(batch.map((row) => [row.id, row.attempts]));
    const sent = results.filter((r): r is Extract<SendResult, { accepted: true }> => r.accepted);
    const refused = results.filter((r): r is Extract<SendResult, { accepted: false }> => !r.accepted);
    const retry = refused.filter((r) => !r.permanent && attempts.get(r.clientRef)! + 1 < MAX_ATTEMPTS);
    const failed = refused.filter((r) => !retry.includes(r));
    if (sent.length) await markSentOn(client, accountId, sent.map((r) => ({ id: r.clientRef, gatewayMessageId: r.gatewayMessageId })));
    if (retry.length) await scheduleRetryOn(client, accountId, retry.map((r) => ({ id: r.clientRef, errorCode: r.errorCode, retryAfterSeconds: r.retryAfterSeconds })), RETRY_BASE_SECONDS);
    if (failed.length) {
      const refund = await markFailedOn(client, accountId, failed.map((r) => ({ id: r.clientRef, errorCode: r.errorCode })));
      if (refund > 0) await recordSendingEntryOn(client, { accountId, campaignId: null, kind: 'refund', amountMicros: refund, note: `Replies to inbound SMS: ${plural(failed.length)} refused by the gateway` });
    }
    await applyContactEffectsOn(client, accountId, gatewayKind, refused);
  }
}
