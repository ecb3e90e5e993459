// What gateways let the modules above them answer, without gateways knowing them: who still
// needs an inbound number (campaigns answer: the ones still to send from it); who waits for a
// gateway that may send again (sending: its campaigns). Registered once at
// start-up (src/wiring.ts). The campaign's foreign key only sets null, so this check is what keeps
// a campaign from losing the number it is about to send from.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Scheduler } from '../../plugins/scheduler.js';

export interface NumberUser {
  /** What needs it, as a user reads it: a campaign's name. */
  name: string;
}

export type NumberUsageCheck = (em: EntityManager, inboundNumberId: string) => Promise<NumberUser[]>;

const checks: NumberUsageCheck[] = [];

export function registerNumberUsageCheck(check: NumberUsageCheck): void {
  if (!checks.includes(check)) checks.push(check);
}

/** Everything that still needs the inbound number (while anything does, it cannot be deleted). */
export async function usersOfNumber(em: EntityManager, inboundNumberId: string): Promise<NumberUser[]> {
  return (await Promise.all(checks.map((check) => check(em, inboundNumberId)))).flat();
}

/** Told after a gateway may send again (resumed after failing, or enabled): sending dispatches
 * the campaigns that waited for it. */
export type GatewayReadyListener = (em: EntityManager, gateway: { id: string; accountId: string }, scheduler: Scheduler | null) => Promise<void>;

const readyListeners: GatewayReadyListener[] = [];

export function registerGatewayReadyListener(listener: GatewayReadyListener): void {
  if (!readyListeners.includes(listener)) readyListeners.push(listener);
}

export async function notifyGatewayReady(em: EntityManager, gateway: { id: string; accountId: string }, scheduler: Scheduler | null): Promise<void> {
  for (const listener of readyListeners) await listener(em, gateway, scheduler);
}
