// Failed logins per email, shared by every web process (an in-memory counter would not be).
// Hand-written SQL: the table has no entity, and the count is one indexed range scan.
import type { EntityManager } from '@mikro-orm/postgresql';

export const EMAIL_FAILURE_LIMIT = 5;
export const EMAIL_FAILURE_WINDOW_MINUTES = 15;

export async function recentFailures(em: EntityManager, email: string): Promise<number> {
  const rows = await em.getConnection().execute<{ n: string }[]>(
    `select count(*) as n from login_failure where email = ? and failed_at > now() - make_interval(mins => ?)`,
    [email, EMAIL_FAILURE_WINDOW_MINUTES],
  );
  return Number(rows[0]?.n ?? 0);
}

export async function recordFailure(em: EntityManager, email: string): Promise<void> {
  await em.getConnection().execute(`insert into login_failure (email) values (?)`, [email]);
}

export async function clearFailures(em: EntityManager, email: string): Promise<void> {
  await em.getConnection().execute(`delete from login_failure where email = ?`, [email]);
}

export async function deleteOldFailures(em: EntityManager): Promise<void> {
  await em.getConnection().execute(`delete from login_failure where failed_at < now() - make_interval(mins => ?)`, [EMAIL_FAILURE_WINDOW_MINUTES]);
}
