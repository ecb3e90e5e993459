// External events as people and programs handle them: created by name (on the events page or
// through API v2), listed with the programs that start on them, deleted unless a program uses one
// or it belongs to an inbound event, and triggered for contacts named by an external id. A trigger
// call of up to 1,000 contacts is two statements: one resolves every external id to its contact,
// one records every trigger (processed_at null, for the program engine to pick up).
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CodedBadInputError, ConflictError, ValidationError } from '../../errors.js';
import { withClient } from '../../db/raw-client.js';
import type { Account } from '../accounts/index.js';
import { keyFieldOf, matchContactsOn, type KeyMatch } from '../contacts/index.js';
import { ExternalEvent } from './external-event.entity.js';
import { recordTriggersOn, type Trigger } from './external-events.queries.js';
import { Program } from './program.entity.js';
import { ownersOfEvents, type EventOwner } from './hooks.js';

export const MAX_EVENT_NAME = 200;
export const MAX_CONTACTS_PER_TRIGGER = 1000;

/** Inbound events name their external events so; a name of that form is theirs to take. */
const INBOUND_NAME = /^SMS \S+ Autoresponder: /;

function nameProblem(name: string): string | null {
  if (!name) return 'Give the event a name.';
  if ([...name].length > MAX_EVENT_NAME) return `An event name can have at most ${MAX_EVENT_NAME} characters.`;
  if (INBOUND_NAME.test(name)) return 'Names of the form "SMS <number> Autoresponder: <name>" belong to inbound events: choose another.';
  return null;
}

const duplicate = (name: string) => new ValidationError({ name: `There is already an event named "${name}".` }, `There is already an event named "${name}".`);

/** A new event triggered through the API; refused (ValidationError on `name`) when the name is
 * empty, too long, an inbound event's or taken. */
export async function createExternalEvent(em: EntityManager, account: Account, typedName: string): Promise<ExternalEvent> {
  const name = typedName.trim();
  const problem = nameProblem(name);
  if (problem) throw new ValidationError({ name: problem }, problem);
  if (await em.count(ExternalEvent, { name })) throw duplicate(name);
  const event = em.create(ExternalEvent, { account, name, source: 'api' });
  try {
    await em.flush();
  } catch (error) {
    // Two people creating the same name at once: the unique index decides, the same words say so.
    if (error instanceof UniqueConstraintViolationException) throw duplicate(name);
    throw error;
  }
  return event;
}

/** The programs that start on each of these events, by event id, by name. */
export async function programsUsing(em: EntityManager, eventIds: string[]): Promise<Map<string, Program[]>> {
  const byEvent = new Map<string, Program[]>();
  if (!eventIds.length) return byEvent;
  for (const program of await em.find(Program, { event: { $in: eventIds } }, { orderBy: { name: 'asc' } })) {
    byEvent.set(program.event.id, [...(byEvent.get(program.event.id) ?? []), program]);
  }
  return byEvent;
}

/** What keeps an event from being deleted: the record that owns it (an inbound event), the
 * programs that start on it. */
export interface DeletionBlockers {
  owner: EventOwner | null;
  programs: Program[];
}

export async function deletionBlockers(em: EntityManager, event: ExternalEvent): Promise<DeletionBlockers> {
  const [owners, programs] = await Promise.all([ownersOfEvents(em, [event.id]), programsUsing(em, [event.id])]);
  const owner = owners.get(event.id) ?? (event.source === 'inbound' ? { label: 'an inbound event', url: '/inbound/events' } : null);
  return { owner, programs: programs.get(event.id) ?? [] };
}

/** Why the event cannot be deleted, in one sentence, or null. */
export function blockedBecause(blockers: DeletionBlockers): string | null {
  if (blockers.owner) return `This event belongs to the ${blockers.owner.label}: it is deleted with it, in Inbound SMS → Inbound event setup.`;
  const names = blockers.programs.map((program) => `"${program.name}"`);
  if (names.length === 1) return `This event is used by program ${names[0]}: delete the program or start it on another event first.`;
  if (names.length) return `This event is used by programs ${names.join(', ')}: delete them or start them on another event first.`;
  return null;
}

/** Deletes an event and its triggers, unless something blocks it (ConflictError saying what). The
 * program's foreign key (on delete restrict) refuses too, should a program start on it meanwhile. */
export async function deleteExternalEvent(em: EntityManager, event: ExternalEvent): Promise<void> {
  const blocked = blockedBecause(await deletionBlockers(em, event));
  if (blocked) throw new ConflictError(blocked);
  await em.nativeDelete(ExternalEvent, { id: event.id });
}

// --- Triggers ----------------------------------------------------------------------------------

/** One contact of a trigger call: its external id as sent, and the event's data for it. */
export interface TriggerItem {
  externalId: string;
  data: Record<string, unknown>;
}

/** The reference product's answer: the ids of the contacts triggered, in the order of the call
 * (one per trigger recorded), and the external ids that triggered nothing, with why. */
export interface TriggerResult {
  ids: number[];
  errors: Record<string, Record<string, string>>;
}

/** The reference's codes for an external id that names no one contact. */
const PROBLEM_CODES: Record<Exclude<KeyMatch, { contactId: string }>['problem'], string> = { invalid: '2005', not_found: '2008', ambiguous: '2010' };

/** Records the event for every contact the external ids name (by `keyId`: phone, email, id or a
 * custom field's key). An unknown `keyId` is refused whole (400, reply code 2004). */
export async function triggerEvent(em: EntityManager, account: Account, event: ExternalEvent, keyId: string, items: TriggerItem[]): Promise<TriggerResult> {
  const field = await keyFieldOf(em, keyId);
  if (!field) {
    const message = `"${keyId}" is not a key field: use phone, email, id or the key of one of your custom fields.`;
    throw new CodedBadInputError({ key_id: message }, message, 2004);
  }
  return withClient(em, async (client) => {
    const matches = await matchContactsOn(client, account, field, items.map((item) => item.externalId));
    const result: TriggerResult = { ids: [], errors: {} };
    const triggers: Trigger[] = [];
    matches.forEach((match, index) => {
      const item = items[index]!;
      if ('contactId' in match) {
        triggers.push({ accountId: account.id, eventId: event.id, contactId: match.contactId, data: item.data });
        result.ids.push(Number(match.contactId));
      } else {
        result.errors[item.externalId] = { [PROBLEM_CODES[match.problem]]: match.reason };
      }
    });
    await recordTriggersOn(client, triggers);
    return result;
  });
}
