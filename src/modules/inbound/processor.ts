// The inbound processor: classifies each received message and acts on it, in the order of
// DESIGN.md "Inbound": the number's opt-out keywords (STOP and its national forms), its opt-in
// and help keywords, an inbound event's keyword (the first word), an email address, otherwise
// the inbox. Each message is processed in its own transaction (its consent change, contact,
// trigger, reply and outcome together, or none of them); a failure is retried after the lease
// and, after MAX_ATTEMPTS, stays visible as failed with its error. A poller in each job-running
// process claims received messages with SKIP LOCKED, so several can run.
import type pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import { inTransaction, withClient } from '../../db/raw-client.js';
import { normalisePhone } from '../../phone.js';
import { withoutValues } from '../../log.js';
import { Poller } from '../../poller.js';
import { contactByPhoneOn, createKeywordContactOn, setEmailOn, setNumberSuppressedOn, setOptInOn, type KeywordContact } from '../contacts/index.js';
import { recordTriggerOn } from '../automation/index.js';
import { queueRepliesOn, type QueuedReply } from '../sending/index.js';
import { afterFirstWord, emailIn, firstWord, matchKeyword } from './keywords.js';
import { claimReceivedOn, eventByKeywordOn, markAttemptFailedOn, markProcessedOn, optOutOfNumberOn, type ClaimedInbound, type MatchedEvent, type Outcome } from './intake.queries.js';

const BATCH = 200;
const POLL_MS = 200;
export const MAX_ATTEMPTS = 5;

/** What one message's processing does: its outcome, and the replies it asks for. */
interface Processed {
  outcome: Outcome;
  replies: QueuedReply[];
}

/** The country of an E.164 number (for the reply's price and a new contact). */
function countryOf(phone: string): string | null {
  const parsed = normalisePhone(phone);
  return parsed.ok ? parsed.country : null;
}

const noOutcome = (classification: Outcome['classification']): Outcome => ({ classification, keyword: null, contactId: null, eventId: null, capturedEmail: null, inboxText: null });

/** Processes one claimed message on `client` (inside its transaction). */
export async function processInbound(client: pg.ClientBase, message: ClaimedInbound): Promise<Processed> {
  const accountId = message.account_id;
  const actor = `inbound:${message.number}`;
  const replies: QueuedReply[] = [];
  // A sender that does not parse as a number can only be read, never answered or matched.
  if (!message.phone) return { outcome: { ...noOutcome('inbox'), inboxText: message.body }, replies };
  const phone = message.phone;
  const country = countryOf(phone);
  let contact = await contactByPhoneOn(client, accountId, phone);
  const reply = (body: string, options: { confirmation?: boolean } = {}) => {
    // Never to an opted-out contact, except the one opt-out confirmation.
    if (!body.trim() || (contact && !contact.optedIn && !options.confirmation)) return;
    replies.push({ accountId, gatewayId: message.gateway_id, replyToId: message.id, contactId: contact?.id ?? null, phone, country, body, isConfirmation: !!options.confirmation });
  };

  const keyword = matchKeyword(message.body, { optOut: message.opt_out_keywords, optIn: message.opt_in_keywords, help: message.help_keywords });
  if (keyword?.kind === 'opt_out') {
    const source = 'stop_keyword';
    const changed = contact
      ? await setOptInOn(client, { accountId, contactId: contact.id, phone, optedIn: false, source, actor: `${actor} ${keyword.keyword}` })
      : await setNumberSuppressedOn(client, { accountId, phone, suppressed: true, source, actor: `${actor} ${keyword.keyword}` });
    if (contact) contact = { ...contact, optedIn: false };
    // One confirmation: a repeated STOP changes nothing and is not answered again.
    if (changed) reply(message.opt_out_reply, { confirmation: true });
    return { outcome: { ...noOutcome('opt_out'), keyword: keyword.keyword, contactId: contact?.id ?? null }, replies };
  }
  if (keyword?.kind === 'opt_in') {
    const source = 'start_keyword';
    if (contact) await setOptInOn(client, { accountId, contactId: contact.id, phone, optedIn: true, source, actor: `${actor} ${keyword.keyword}` });
    else await setNumberSuppressedOn(client, { accountId, phone, suppressed: false, source, actor: `${actor} ${keyword.keyword}` });
    if (contact) contact = { ...contact, optedIn: true };
    reply(message.opt_in_reply);
    return { outcome: { ...noOutcome('opt_in'), keyword: keyword.keyword, contactId: contact?.id ?? null }, replies };
  }
  if (keyword?.kind === 'help') {
    reply(message.help_reply);
    return { outcome: { ...noOutcome('help'), keyword: keyword.keyword, contactId: contact?.id ?? null }, replies };
  }

  const first = firstWord(message.body);
  const event = first ? await eventByKeywordOn(client, accountId, message.number_id, first) : null;
  if (event) {
    const result = await runEvent(client, message, event, first!, contact);
    contact = result.contact;
    if (event.reply_text) reply(event.reply_text);
    await recordTriggerOn(client, accountId, event.external_event_id, contact?.id ?? null, {
      keyword: first,
      text: message.body,
      from: phone,
      inbound_number: message.number,
      ...(result.email ? { email: result.email } : {}),
    });
    return {
      outcome: { ...noOutcome('event'), keyword: first, contactId: contact?.id ?? null, eventId: event.id, capturedEmail: result.email, inboxText: result.inboxText },
      replies,
    };
  }

  const email = emailIn(message.body);
  if (email) {
    contact = await saveEmail(client, message, contact, email);
    return { outcome: { ...noOutcome('email'), contactId: contact.id, capturedEmail: email, inboxText: message.body }, replies };
  }
  return { outcome: { ...noOutcome('inbox'), contactId: contact?.id ?? null, inboxText: message.body }, replies };
}

/** An email address sent by SMS: saved on the contact, or a new contact with the number and it. */
async function saveEmail(client: pg.ClientBase, message: ClaimedInbound, contact: KeywordContact | null, email: string): Promise<KeywordContact> {
  if (!contact) return createKeywordContactOn(client, { accountId: message.account_id, phone: message.phone!, country: countryOf(message.phone!), email, join: false, source: 'inbound', actor: `inbound:${message.number}` });
  await setEmailOn(client, message.account_id, contact.id, email);
  return { ...contact, email };
}

/** What an inbound event of each type does (the reference's five types). */
async function runEvent(client: pg.ClientBase, message: ClaimedInbound, event: MatchedEvent, keyword: string, contact: KeywordContact | null) {
  const accountId = message.account_id;
  const actor = `inbound:${message.number} ${keyword}`;
  const phone = message.phone!;
  let email: string | null = null;
  let inboxText: string | null = null;
  switch (event.type) {
    case 'inboundJoinResponder':
      // Create the contact and subscribe it, with this message as the evidence.
      if (!contact) contact = await createKeywordContactOn(client, { accountId, phone, country: countryOf(phone), email: null, join: true, source: 'join_keyword', actor });
      else if (!contact.optedIn) {
        await setOptInOn(client, { accountId, contactId: contact.id, phone, optedIn: true, source: 'join_keyword', actor });
        contact = { ...contact, optedIn: true };
      }
      break;
    case 'inboundEmailHandler':
      email = emailIn(message.body);
      if (email) contact = await saveEmail(client, message, contact, email);
      break;
    case 'inboundInboxHandler':
      inboxText = afterFirstWord(message.body);
      break;
    case 'inboundUnsubscribeHandler':
      if (contact) await optOutOfNumberOn(client, accountId, contact.id, message.number_id, keyword);
      break;
    default:
    // inboundResponder: the reply only.
  }
  return { contact, email, inboxText };
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
    for (const message of claimed) {
      try {
        await inTransaction(em, async (client) => {
          const { outcome, replies } = await processInbound(client, message);
          await queueRepliesOn(client, replies);
          await markProcessedOn(client, message.account_id, message.id, outcome);
        });
      } catch (error) {
        this.log.warn({ err: error, inboundMessageId: message.id }, 'an inbound message could not be processed');
        // Kept for the operator, without the values a database error carries.
        await withClient(em, (client) => markAttemptFailedOn(client, message.account_id, message.id, withoutValues((error as Error).message ?? String(error)), MAX_ATTEMPTS));
      }
    }
    return claimed.length;
  }
}
