// The inbound processor: classifies each received message and acts on it, in the order of
// DESIGN.md "Inbound": the number's opt-out keywords (STOP and its national forms), its opt-in
// and help keywords, an inbound event's keyword (the first word), an email address, otherwise
// the inbox. A message's consent change, contact, trigger, reply and outcome are written together
// or not at all; a failure is retried after the lease and, after MAX_ATTEMPTS, stays visible as
// failed with its error. A poller in each job-running process claims received messages with SKIP
// LOCKED, so several can run.
//
// Speed (an inbound burst is thousands of messages a second): a claimed batch is split into
// LANES by sender, processed side by side, each lane in one transaction (one commit for its
// messages, their contacts read in one statement, their outcomes and replies written in one
// each). A sender's messages stay in one lane, in order, so lanes never wait on each other's
// contact rows. Within a lane, messages go in rounds (a sender's first message in the first
// round, its second in the second...): a round's consent changes, new contacts and emails are
// written together (round-writes.ts), a few statements for the round. When anything in a lane
// fails, the lane is rolled back and each of its messages is processed again in a transaction of
// its own, so only the failing one fails.
import type pg from 'pg';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import { inTransaction, withClient } from '../../db/raw-client.js';
import { withoutValues } from '../../log.js';
import { Poller } from '../../poller.js';
import { contactKey, contactsByPhoneOn, type KeywordContact } from '../contacts/index.js';
import { recordTriggersOn, type Trigger } from '../automation/index.js';
import { queueRepliesOn, type QueuedReply } from '../sending/index.js';
import { afterFirstWord, emailIn, firstWord, matchKeyword } from './keywords.js';
import { RoundWrites } from './round-writes.js';
import { countryOf } from './intake.js';
import {
  claimReceivedOn,
  eventKeywordsOn,
  markAttemptFailedOn,
  markProcessedOn,
  type ClaimedInbound,
  type EventLookup,
  type MatchedEvent,
  type Outcome,
  type ProcessedInbound,
} from './intake.queries.js';

const BATCH = 500;
/** Transactions at once, each on a connection of the pool. Each lane costs the same dozen
 * statements whatever its size, so two lanes of 250 cost half of four lanes of 125. */
const LANES = 2;
const POLL_MS = 200;
export const MAX_ATTEMPTS = 5;

/** What one message's processing does: its outcome, the replies it asks for, the event trigger it
 * records, and its sender's contact afterwards (for the sender's next message in the batch). */
interface Processed {
  outcome: Outcome;
  replies: QueuedReply[];
  trigger: Trigger | null;
  contact: KeywordContact | null;
}

const noOutcome = (classification: Outcome['classification']): Outcome => ({ classification, keyword: null, contactId: null, eventId: null, capturedEmail: null, inboxText: null });

/** Processes one claimed message, given its sender's contact (or null) and the number's event
 * keywords; its one write (if any) waits for the round's. */
async function processInbound(writes: RoundWrites, message: ClaimedInbound, sender: KeywordContact | null, events: EventLookup): Promise<Processed> {
  const accountId = message.account_id;
  const actor = `inbound:${message.number}`;
  const replies: QueuedReply[] = [];
  // A sender that does not parse as a number can only be read, never answered or matched.
  if (!message.phone) return { outcome: { ...noOutcome('inbox'), inboxText: message.body }, replies, trigger: null, contact: null };
  const phone = message.phone;
  let contact = sender;
  const done = (outcome: Outcome, trigger: Trigger | null = null): Processed => ({ outcome, replies, trigger, contact });
  const reply = (body: string, options: { confirmation?: boolean } = {}) => {
    // Never to an opted-out contact, except the one opt-out confirmation.
    if (!body.trim() || (contact && !contact.optedIn && !options.confirmation)) return;
    replies.push({ accountId, gatewayId: message.gateway_id, replyToId: message.id, contactId: contact?.id ?? null, phone, country: countryOf(phone), body, isConfirmation: !!options.confirmation });
  };

  const keyword = matchKeyword(message.body, { optOut: message.opt_out_keywords, optIn: message.opt_in_keywords, help: message.help_keywords });
  if (keyword?.kind === 'opt_out') {
    const source = 'stop_keyword';
    const changed = await writes.setOptIn({ accountId, contactId: contact?.id ?? null, phone, optedIn: false, source, actor: `${actor} ${keyword.keyword}` });
    if (contact) contact = { ...contact, optedIn: false };
    // One confirmation: a repeated STOP changes nothing and is not answered again.
    if (changed) reply(message.opt_out_reply, { confirmation: true });
    return done({ ...noOutcome('opt_out'), keyword: keyword.keyword, contactId: contact?.id ?? null });
  }
  if (keyword?.kind === 'opt_in') {
    const source = 'start_keyword';
    await writes.setOptIn({ accountId, contactId: contact?.id ?? null, phone, optedIn: true, source, actor: `${actor} ${keyword.keyword}` });
    if (contact) contact = { ...contact, optedIn: true };
    reply(message.opt_in_reply);
    return done({ ...noOutcome('opt_in'), keyword: keyword.keyword, contactId: contact?.id ?? null });
  }
  if (keyword?.kind === 'help') {
    reply(message.help_reply);
    return done({ ...noOutcome('help'), keyword: keyword.keyword, contactId: contact?.id ?? null });
  }

  const first = firstWord(message.body);
  const event = first ? events(message.number_id, first) : null;
  if (event) {
    const result = await runEvent(writes, message, event, first!, contact);
    contact = result.contact;
    if (event.reply_text) reply(event.reply_text);
    const trigger = {
      accountId,
      eventId: event.external_event_id,
      contactId: contact?.id ?? null,
      data: { keyword: first, text: message.body, from: phone, inbound_number: message.number, ...(result.email ? { email: result.email } : {}) },
    };
    return done({ ...noOutcome('event'), keyword: first, contactId: contact?.id ?? null, eventId: event.id, capturedEmail: result.email, inboxText: result.inboxText }, trigger);
  }

  const email = emailIn(message.body);
  if (email) {
    contact = await saveEmail(writes, message, contact, email);
    return done({ ...noOutcome('email'), contactId: contact.id, capturedEmail: email, inboxText: message.body });
  }
  return done({ ...noOutcome('inbox'), contactId: contact?.id ?? null, inboxText: message.body });
}

/** An email address sent by SMS: saved on the contact, or a new contact with the number and it. */
async function saveEmail(writes: RoundWrites, message: ClaimedInbound, contact: KeywordContact | null, email: string): Promise<KeywordContact> {
  if (!contact) return writes.createContact({ accountId: message.account_id, phone: message.phone!, country: countryOf(message.phone!), email, join: false, source: 'inbound', actor: `inbound:${message.number}` });
  await writes.setEmail(message.account_id, contact.id, email);
  return { ...contact, email };
}

/** What an inbound event of each type does (the reference's five types). */
async function runEvent(writes: RoundWrites, message: ClaimedInbound, event: MatchedEvent, keyword: string, contact: KeywordContact | null) {
  const accountId = message.account_id;
  const actor = `inbound:${message.number} ${keyword}`;
  const phone = message.phone!;
  let email: string | null = null;
  let inboxText: string | null = null;
  switch (event.type) {
    case 'inboundJoinResponder':
      // Create the contact and subscribe it, with this message as the evidence.
      if (!contact) contact = await writes.createContact({ accountId, phone, country: countryOf(phone), email: null, join: true, source: 'join_keyword', actor });
      else if (!contact.optedIn) {
        await writes.setOptIn({ accountId, contactId: contact.id, phone, optedIn: true, source: 'join_keyword', actor });
        contact = { ...contact, optedIn: true };
      }
      break;
    case 'inboundEmailHandler':
      email = emailIn(message.body);
      if (email) contact = await saveEmail(writes, message, contact, email);
      break;
    case 'inboundInboxHandler':
      inboxText = afterFirstWord(message.body);
      break;
    case 'inboundUnsubscribeHandler':
      if (contact) await writes.optOutOfNumber({ accountId, contactId: contact.id, numberId: message.number_id, keyword });
      break;
    default:
    // inboundResponder: the reply only.
  }
  return { contact, email, inboxText };
}

/** Processes messages on `client` (inside one transaction): their senders' contacts read at
 * once, then the messages in rounds (a sender's later message sees what an earlier one did to its
 * contact), then every trigger, reply and outcome written at once, in the messages' order. */
async function processBatch(client: pg.ClientBase, messages: ClaimedInbound[], events: EventLookup): Promise<void> {
  const senders = messages.filter((m) => m.phone).map((m) => ({ accountId: m.account_id, phone: m.phone! }));
  const contacts: Map<string, KeywordContact | null> = await contactsByPhoneOn(client, senders);
  const results = new Map<ClaimedInbound, Processed>();
  for (const round of roundsBySender(messages)) {
    const writes = new RoundWrites();
    const processing = Promise.all(
      round.map((message) => {
        const key = message.phone ? contactKey(message.account_id, message.phone) : null;
        return processInbound(writes, message, key ? (contacts.get(key) ?? null) : null, events);
      }),
    );
    processing.catch(() => {}); // awaited below, unless the writes fail first
    await writes.flush(client);
    (await processing).forEach((result, index) => {
      const message = round[index]!;
      if (message.phone) contacts.set(contactKey(message.account_id, message.phone), result.contact);
      results.set(message, result);
    });
  }
  const processed = messages.map((message) => ({ message, result: results.get(message)! }));
  await recordTriggersOn(client, processed.flatMap(({ result }) => (result.trigger ? [result.trigger] : [])));
  await queueRepliesOn(client, processed.flatMap(({ result }) => result.replies));
  await markProcessedOn(client, processed.map(({ message, result }): ProcessedInbound => ({ accountId: message.account_id, id: message.id, outcome: result.outcome })));
}

/** The messages in rounds: each sender's first message in the first round, its second in the
 * second, and so on, so a round has one message per sender. */
function roundsBySender(messages: ClaimedInbound[]): ClaimedInbound[][] {
  const rounds: ClaimedInbound[][] = [];
  const seen = new Map<string, number>();
  for (const message of messages) {
    const sender = `${message.account_id} ${message.phone ?? ''}`;
    // A sender that does not parse writes nothing: its messages can share a round.
    const round = message.phone ? (seen.get(sender) ?? 0) : 0;
    if (message.phone) seen.set(sender, round + 1);
    (rounds[round] ??= []).push(message);
  }
  return rounds;
}

/** Splits messages into at most `count` lanes, each sender's messages in one lane, in order. */
function lanesBySender(messages: ClaimedInbound[], count: number): ClaimedInbound[][] {
  const lanes: ClaimedInbound[][] = Array.from({ length: Math.min(count, messages.length) }, () => []);
  const laneOf = new Map<string, ClaimedInbound[]>();
  for (const message of messages) {
    const sender = `${message.account_id} ${message.phone ?? ''}`;
    let lane = laneOf.get(sender);
    if (!lane) {
      lane = lanes[laneOf.size % lanes.length]!;
      laneOf.set(sender, lane);
    }
    lane.push(message);
  }
  return lanes.filter((lane) => lane.length);
}

export class InboundProcessor extends Poller {
  constructor(
    private readonly orm: MikroORM,
    log: FastifyBaseLogger,
  ) {
    super(log, { what: 'processing inbound messages', batch: BATCH, pollMs: POLL_MS });
  }

  /** Processes the received messages; returns how many it claimed. */
  override async tick(): Promise<number> {
    const em = this.orm.em.fork();
    const claimed = await withClient(em, (client) => claimReceivedOn(client, BATCH));
    if (!claimed.length) return 0;
    const numbers = [...new Map(claimed.map((m) => [m.number_id, { accountId: m.account_id, numberId: m.number_id }])).values()];
    const events = await withClient(em, (client) => eventKeywordsOn(client, numbers));
    await Promise.all(lanesBySender(claimed, LANES).map((lane) => this.processLane(em, lane, events)));
    return claimed.length;
  }

  /** A lane in one transaction; if it fails, each message alone, so only the failing one fails. */
  private async processLane(em: EntityManager, lane: ClaimedInbound[], events: EventLookup): Promise<void> {
    try {
      await inTransaction(em, (client) => processBatch(client, lane, events));
    } catch (error) {
      if (lane.length === 1) return this.recordFailure(em, lane[0]!, error);
      for (const message of lane) await this.processLane(em, [message], events);
    }
  }

  private async recordFailure(em: EntityManager, message: ClaimedInbound, error: unknown): Promise<void> {
    this.log.warn({ err: error, inboundMessageId: message.id }, 'an inbound message could not be processed');
    // Kept for the operator, without the values a database error carries.
    await withClient(em, (client) => markAttemptFailedOn(client, message.account_id, message.id, withoutValues((error as Error).message ?? String(error)), MAX_ATTEMPTS));
  }
}
