// Hourly clean-up of what expires: sessions past their timeouts, old failed-login records, and
// uploaded CSV files that were never imported.
import type { EntityManager } from '@mikro-orm/postgresql';
import { deleteExpiredSessions, type SessionLimits } from './sessions.js';
import { deleteOldFailures } from './login-attempts.queries.js';
import { expireAbandonedUploads } from '../contacts/import-files.queries.js';

export async function housekeeping(em: EntityManager, limits: SessionLimits): Promise<void> {
  await deleteExpiredSessions(em, limits);
  await deleteOldFailures(em);
  await expireAbandonedUploads(em);
}
