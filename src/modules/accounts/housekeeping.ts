// Hourly clean-up of what expires: sessions past their timeouts and old failed-login records.
import type { EntityManager } from '@mikro-orm/postgresql';
import { deleteExpiredSessions, type SessionLimits } from './sessions.js';
import { deleteOldFailures } from './login-attempts.queries.js';

export async function housekeeping(em: EntityManager, limits: SessionLimits): Promise<void> {
  await deleteExpiredSessions(em, limits);
  await deleteOldFailures(em);
}
