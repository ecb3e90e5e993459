// Erasing a contact removes its data from every table Textcast keeps. Contacts know nothing of
// those tables: the modules that keep copies (sending's messages, and through them the gateways'
// own stores) register an erasure step at start-up (src/wiring.ts).
import type { EntityManager } from '@mikro-orm/postgresql';

export interface ErasedContact {
  accountId: string;
  contactId: number;
  phone: string;
}

export type ErasureStep = (em: EntityManager, contact: ErasedContact) => Promise<void>;

const steps: ErasureStep[] = [];

export function registerErasureStep(step: ErasureStep): void {
  if (!steps.includes(step)) steps.push(step);
}

/** Runs every module's erasure step, in the caller's transaction (when it has one). */
export async function eraseCopies(em: EntityManager, contact: ErasedContact): Promise<void> {
  for (const step of steps) await step(em, contact);
}
