// Inbound event setup (the reference's tab of that name): a keyword-triggered action on one of
// the account's inbound numbers. Each event is also the external event named
// `SMS <number> Autoresponder: <event name>`, created with it, renamed with it (in place, so its
// trigger history and the automation programs that start on it follow) and deleted after it.
// Its keywords live twice, kept in step in one transaction: on the event (for showing) and in
// inbound_event_keyword, whose primary key keeps a keyword to one event per inbound number.
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, ValidationError } from '../../errors.js';
import { isUuid } from '../../db/find.js';
import { Account } from '../accounts/index.js';
import { InboundNumber } from '../gateways/index.js';
import { ExternalEvent, ensureExternalEvent, programsUsing, type EventOwner } from '../automation/index.js';
import { InboundEvent, InboundEventKeyword, INBOUND_EVENT_TYPES, type InboundEventType } from './inbound.entity.js';
import { eventKeywordProblem, keywordKey } from './keywords.js';

export const MAX_EVENT_NAME = 100;
export const MAX_REPLY = 480;

/** What each type does, in one line (the reference's "predefined event types"). */
export const EVENT_TYPE_HELP: Readonly<Record<InboundEventType, string>> = {
  inboundResponder: 'Replies to the message, without creating a contact or changing one.',
  inboundJoinResponder: "Creates a contact with the sender's number, subscribes it to SMS campaigns, and replies.",
  inboundEmailHandler: 'Creates a contact with the number and the email address in the message, or adds the email to the existing contact.',
  inboundInboxHandler: 'Saves the text that follows the keyword into the SMS inbox.',
  inboundUnsubscribeHandler: 'Opts the contact out of the SMS campaigns sent from this inbound number only.',
};

/** The types whose whole point is the reply: they cannot be saved without one. */
const REPLYING_TYPES: ReadonlySet<InboundEventType> = new Set(['inboundResponder', 'inboundJoinResponder']);

export const replyRequired = (type: InboundEventType) => REPLYING_TYPES.has(type);

/** The form's fields, as typed. */
export interface EventInput {
  name?: string;
  keywords?: string;
  type?: string;
  inbound_number?: string;
  reply_text?: string;
}

/** An event's fields once every rule holds. */
export interface ValidEvent {
  name: string;
  keywords: string[];
  type: InboundEventType;
  number: InboundNumber;
  replyText: string | null;
}

/** The name an inbound event has as an external event (and in every list). */
export function externalEventName(number: string, name: string): string {
  return `SMS ${number} Autoresponder: ${name}`;
}

/** Keywords typed separated by commas, semicolons or spaces: upper case, each once, in order. */
export function splitKeywords(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).filter(Boolean))];
}

const isEventType = (type: string): type is InboundEventType => (INBOUND_EVENT_TYPES as readonly string[]).includes(type);

function nameProblem(name: string): string | null {
  if (!name) return 'Give the event a name.';
  if ([...name].length > MAX_EVENT_NAME) return `An event name can have at most ${MAX_EVENT_NAME} characters.`;
  return null;
}

function replyProblem(reply: string | null, type: InboundEventType | null): string | null {
  if (!reply) return type && replyRequired(type) ? `An ${type} event replies: write the reply text.` : null;
  if ([...reply].length > MAX_REPLY) return `A reply can have at most ${MAX_REPLY} characters; this one has ${[...reply].length}.`;
  return null;
}

/** The number's own keywords (opt-out, opt-in, help) that one of these keywords would shadow. */
function numberKeywordClash(number: InboundNumber, keywords: string[]): string | null {
  const lists: [string, string[]][] = [
    ['an opt-out', number.optOutKeywords],
    ['an opt-in', number.optInKeywords],
    ['a help', number.helpKeywords],
  ];
  for (const keyword of keywords) {
    for (const [kind, list] of lists) {
      if (list.some((reserved) => keywordKey(reserved) === keyword)) return `${keyword} is ${kind} keyword of ${number.number}.`;
    }
  }
  return null;
}

/** A keyword of another event of the same number, named with that event. */
async function otherEventClash(em: EntityManager, number: InboundNumber, keywords: string[], except: string | null): Promise<string | null> {
  const taken = await em.findOne(
    InboundEventKeyword,
    { inboundNumber: number.id, keyword: { $in: keywords }, ...(except ? { event: { $ne: except } } : {}) },
    { populate: ['event'], orderBy: { keyword: 'asc' } },
  );
  return taken ? `${taken.keyword} is already a keyword of the event "${taken.event.name}" on ${number.number}.` : null;
}

async function keywordsProblem(em: EntityManager, keywords: string[], number: InboundNumber | null, except: string | null): Promise<string | null> {
  if (!keywords.length) return 'Give at least one keyword.';
  const bad = keywords.map(eventKeywordProblem).find(Boolean);
  if (bad) return bad;
  if (!number) return null;
  return numberKeywordClash(number, keywords) ?? (await otherEventClash(em, number, keywords, except));
}

/** Another event of this number with this name, or an external event (made through the API)
 * that already has the name this event would take. */
async function nameTaken(em: EntityManager, name: string, number: InboundNumber, current: InboundEvent | null): Promise<string | null> {
  const sibling = await em.findOne(InboundEvent, { inboundNumber: number.id, name, ...(current ? { id: { $ne: current.id } } : {}) });
  if (sibling) return `There is already an event named "${name}" on ${number.number}.`;
  if (!current) return null; // a new event takes over an external event of its name (ensureExternalEvent)
  const full = externalEventName(number.number, name);
  const other = await em.findOne(ExternalEvent, { name: full, id: { $ne: current.externalEvent.id } });
  return other ? `There is already an external event named "${full}"; choose another name.` : null;
}

/** Checks every field at once and reports each problem on its field. */
export async function validateEvent(em: EntityManager, input: EventInput, current: InboundEvent | null): Promise<ValidEvent> {
  const errors: Record<string, string> = {};
  const name = (input.name ?? '').trim();
  const typeText = (input.type ?? '').trim();
  const type = isEventType(typeText) ? typeText : null;
  if (!type) errors.type = `Choose a type: ${INBOUND_EVENT_TYPES.join(', ')}.`;
  const numberId = (input.inbound_number ?? '').trim();
  const number = isUuid(numberId) ? await em.findOne(InboundNumber, { id: numberId }) : null;
  if (!number) errors.inbound_number = 'Choose one of your inbound numbers.';
  const keywords = splitKeywords((input.keywords ?? '').toUpperCase());
  const replyText = (input.reply_text ?? '').trim() || null;
  const problems = {
    name: nameProblem(name) ?? (number ? await nameTaken(em, name, number, current) : null),
    keywords: await keywordsProblem(em, keywords, number, current?.id ?? null),
    reply_text: replyProblem(replyText, type),
  };
  for (const [field, problem] of Object.entries(problems)) if (problem) errors[field] = problem;
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return { name, keywords, type: type!, number: number!, replyText };
}

/** Replaces the event's rows in inbound_event_keyword with its keywords (same transaction). */
async function replaceKeywordRows(tx: EntityManager, event: InboundEvent): Promise<void> {
  await tx.nativeDelete(InboundEventKeyword, { event: event.id });
  for (const keyword of event.keywords) tx.create(InboundEventKeyword, { account: event.account, inboundNumber: event.inboundNumber, keyword, event });
  await tx.flush();
}

/** Writes a valid event, new or changed, with its keyword rows and its external event, in one
 * transaction. Two people saving the same keyword or name at once: the database's unique keys
 * decide, and the loser gets the field error validation would have given. */
export async function writeEvent(em: EntityManager, account: Account, valid: ValidEvent, current: InboundEvent | null): Promise<InboundEvent> {
  const fullName = externalEventName(valid.number.number, valid.name);
  try {
    return await em.transactional(async (tx) => {
      const fields = { name: valid.name, keywords: valid.keywords, type: valid.type, inboundNumber: valid.number, replyText: valid.replyText };
      let event: InboundEvent;
      if (current) {
        event = Object.assign(current, fields);
        await tx.nativeUpdate(ExternalEvent, { id: current.externalEvent.id }, { name: fullName });
      } else {
        const externalEventId = await ensureExternalEvent(tx, account.id, fullName, 'inbound');
        event = tx.create(InboundEvent, { ...fields, account: tx.getReference(Account, account.id), externalEvent: tx.getReference(ExternalEvent, externalEventId) });
      }
      await tx.flush();
      await replaceKeywordRows(tx, event);
      return event;
    });
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    throw await clashAfterTheFact(em, valid, current, (error as { constraint?: string }).constraint);
  }
}

/** The field error for a unique key the database enforced after validation passed. */
async function clashAfterTheFact(em: EntityManager, valid: ValidEvent, current: InboundEvent | null, constraint: string | undefined): Promise<ValidationError> {
  if (constraint === 'inbound_event_keyword_pkey') {
    const clash = await otherEventClash(em, valid.number, valid.keywords, current?.id ?? null);
    return new ValidationError({ keywords: clash ?? `One of these keywords was just given to another event of ${valid.number.number}.` });
  }
  const fullName = externalEventName(valid.number.number, valid.name);
  return new ValidationError({ name: `"${valid.name}" was just taken on ${valid.number.number} (or "${fullName}" by an external event); choose another name.` });
}

export async function createEvent(em: EntityManager, account: Account, input: EventInput): Promise<InboundEvent> {
  return writeEvent(em, account, await validateEvent(em, input, null), null);
}

export async function updateEvent(em: EntityManager, account: Account, event: InboundEvent, input: EventInput): Promise<InboundEvent> {
  return writeEvent(em, account, await validateEvent(em, input, event), event);
}

/** Deletes the event (its keyword rows go with it) and then its external event, which the event
 * restricts while it exists; the external event's triggers go with it. */
/** The automation programs that start on the event's external event: while one does, the event
 * cannot be deleted (the program's foreign key restricts; this says which). */
export async function programsBlocking(em: EntityManager, event: InboundEvent): Promise<{ id: string; name: string }[]> {
  return (await programsUsing(em, [event.externalEvent.id])).get(event.externalEvent.id) ?? [];
}

export async function deleteEvent(em: EntityManager, event: InboundEvent): Promise<void> {
  const blocking = await programsBlocking(em, event);
  if (blocking.length) throw new ConflictError(`The automation program${blocking.length === 1 ? '' : 's'} ${blocking.map((p) => `"${p.name}"`).join(', ')} start${blocking.length === 1 ? 's' : ''} on this event: delete ${blocking.length === 1 ? 'it' : 'them'} or choose another event first.`);
  const externalEventId = event.externalEvent.id;
  await em.transactional(async (tx) => {
    await tx.nativeDelete(InboundEvent, { id: event.id });
    await tx.nativeDelete(ExternalEvent, { id: externalEventId });
  });
}

/** The account's events, by number then name, with their numbers and external events. */
export function listEvents(em: EntityManager): Promise<InboundEvent[]> {
  return em.find(InboundEvent, {}, { populate: ['inboundNumber', 'externalEvent'], orderBy: { inboundNumber: { number: 'asc' }, name: 'asc' } });
}

/** The account's inbound numbers, the choices of the form. */
export function inboundNumbers(em: EntityManager): Promise<InboundNumber[]> {
  return em.find(InboundNumber, {}, { orderBy: { number: 'asc' } });
}

/** The inbound events that own these external events (automation's events page links to them and
 * sends deletions here), by external event id. */
export async function inboundEventOwners(em: EntityManager, externalEventIds: string[]): Promise<Map<string, EventOwner>> {
  const events = await em.find(InboundEvent, { externalEvent: { $in: externalEventIds } }, { populate: ['inboundNumber'] });
  return new Map(events.map((event) => [event.externalEvent.id, { label: `inbound event "${event.name}" on ${event.inboundNumber.number}`, url: `/inbound/events#event-${event.id}` }]));
}
