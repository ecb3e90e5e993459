// Hand-written SQL of the first start (first-owner.ts): the lock that keeps two processes starting
// together from both creating the first owner. No tenant table: the lock is one for the whole
// installation. Takes the EntityManager of the caller's transaction.
import type { EntityManager } from '@mikro-orm/postgresql';

const FIRST_START_LOCK = 724_001;

/** Waits for the first-start lock, held until the transaction of `em` ends. The statement runs in
 * that transaction (without its context it would run on another pooled connection, in a
 * transaction of its own, and the lock would be gone at once). */
export async function lockFirstStart(em: EntityManager): Promise<void> {
  await em.getConnection().execute('select pg_advisory_xact_lock(?)', [FIRST_START_LOCK], 'all', em.getTransactionContext());
}
