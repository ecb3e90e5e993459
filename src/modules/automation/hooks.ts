// What automation lets the modules above it answer, without knowing them: which record owns an
// external event it did not create (inbound answers for the events of its keyword events, which
// are deleted and renamed with them). Registered once at start-up (src/wiring.ts).
import type { EntityManager } from '@mikro-orm/postgresql';

export interface EventOwner {
  /** As a user reads it: 'inbound event "Confirm" on +33644000000'. */
  label: string;
  /** Where it is managed. */
  url: string;
}

export type EventOwnerLookup = (em: EntityManager, eventIds: string[]) => Promise<Map<string, EventOwner>>;

const lookups: EventOwnerLookup[] = [];

export function registerEventOwners(lookup: EventOwnerLookup): void {
  if (!lookups.includes(lookup)) lookups.push(lookup);
}

/** The owners of these events, by event id (events nobody else owns are absent). */
export async function ownersOfEvents(em: EntityManager, eventIds: string[]): Promise<Map<string, EventOwner>> {
  if (!eventIds.length) return new Map();
  const maps = await Promise.all(lookups.map((lookup) => lookup(em, eventIds)));
  return new Map(maps.flatMap((map) => [...map]));
}
