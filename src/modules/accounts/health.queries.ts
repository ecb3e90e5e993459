// The database part of GET /healthz: one `select 1`, bounded in time, so a hung server reads as
// down instead of holding the health check open.
import type { EntityManager } from '@mikro-orm/postgresql';

export async function databaseStatus(em: EntityManager, timeoutMs = 3000): Promise<'ok' | 'down'> {
  try {
    await Promise.race([
      em.getConnection().execute('select 1'),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    return 'ok';
  } catch {
    return 'down';
  }
}
