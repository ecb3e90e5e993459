// Who uses a segment or a contact list. Contacts know nothing of what uses them: the modules that
// do (campaigns today, automation programs later) register a check at start-up (src/wiring.ts),
// and the database stays the last word (a campaign still to launch cannot lose its segment or list).
import type { EntityManager } from '@mikro-orm/postgresql';

export interface Usage {
  /** What uses it, as a user reads it: a campaign's or a program's name. */
  name: string;
  /** An automation program (a step adds contacts to the list); otherwise a campaign. */
  program?: boolean;
}

export type UsageCheck = (em: EntityManager, used: { segmentId: string } | { listId: string }) => Promise<Usage[]>;

const checks: UsageCheck[] = [];

/** Registers a check; a module registers it once, at start-up. */
export function registerUsageCheck(check: UsageCheck): void {
  if (!checks.includes(check)) checks.push(check);
}

/** Everything that uses the segment or list (while anything does, it cannot be deleted). */
export async function usersOf(em: EntityManager, used: { segmentId: string } | { listId: string }): Promise<Usage[]> {
  const found = await Promise.all(checks.map((check) => check(em, used)));
  return found.flat();
}
