// What accounts let the modules above them add, without accounts knowing them: set-up of a new
// account (gateways give it the simulator as its default gateway). Registered once at start-up
// (src/wiring.ts).
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Account } from './account.entity.js';

/** Persists what a new account starts with, in the account's own unit of work. */
export type AccountSetup = (em: EntityManager, account: Account) => void;

const setups: AccountSetup[] = [];

export function registerAccountSetup(setup: AccountSetup): void {
  if (!setups.includes(setup)) setups.push(setup);
}

export function setUpNewAccount(em: EntityManager, account: Account): void {
  for (const setup of setups) setup(em, account);
}
