// Browser sessions stored in PostgreSQL: a random token in an HttpOnly cookie, its SHA-256 as the
// row id. Idle timeout via last_seen_at (refreshed at most once a minute, to spare a write per
// request), absolute timeout via created_at.
import crypto from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { withClient } from '../../db/raw-client.js';
import { Account } from './account.entity.js';
import { Session } from './session.entity.js';
import { User } from './user.entity.js';
import { sessionRowsOn } from './sessions.queries.js';

export const SESSION_COOKIE = 'tc_session';
const TOUCH_EVERY_MS = 60_000;

export interface SessionLimits {
  idleSeconds: number;
  maxSeconds: number;
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export async function startSession(em: EntityManager, user: User, meta: { ip?: string; userAgent?: string }): Promise<string> {
  const token = crypto.randomBytes(32).toString('base64url');
  const now = new Date();
  em.create(Session, {
    id: hashToken(token),
    user,
    account: user.account,
    createdAt: now,
    lastSeenAt: now,
    ip: meta.ip?.slice(0, 64) ?? null,
    userAgent: meta.userAgent?.slice(0, 300) ?? null,
  });
  await em.flush();
  return token;
}

/** The live session of a token with its user and account (entities of `em`, as a populated
 * findOne would give them), or null when unknown, expired or disabled. */
export async function resumeSession(em: EntityManager, token: string, limits: SessionLimits): Promise<Session | null> {
  const rows = await withClient(em, (client) => sessionRowsOn(client, hashToken(token)));
  if (!rows) return null;
  // The account first, so the user's and the session's references to it find it in the identity map.
  em.map(Account, rows.account);
  em.map(User, rows.user);
  const session = em.map(Session, rows.session);
  const now = Date.now();
  const idle = now - session.lastSeenAt.getTime() > limits.idleSeconds * 1000;
  const tooOld = now - session.createdAt.getTime() > limits.maxSeconds * 1000;
  if (idle || tooOld || session.user.disabledAt) {
    await em.nativeDelete(Session, { id: session.id });
    return null;
  }
  if (now - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    await em.nativeUpdate(Session, { id: session.id }, { lastSeenAt: new Date(now) });
  }
  return session;
}

export async function endSession(em: EntityManager, token: string): Promise<void> {
  await em.nativeDelete(Session, { id: hashToken(token) });
}

/** Housekeeping: remove sessions past either timeout. */
export async function deleteExpiredSessions(em: EntityManager, limits: SessionLimits): Promise<number> {
  const now = Date.now();
  return em.nativeDelete(Session, {
    $or: [{ lastSeenAt: { $lt: new Date(now - limits.idleSeconds * 1000) } }, { createdAt: { $lt: new Date(now - limits.maxSeconds * 1000) } }],
  });
}
