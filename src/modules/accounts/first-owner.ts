// On the very first start (no user anywhere), create a demo account and its owner. The login is
// printed once; TEXTCAST_ADMIN_EMAIL / TEXTCAST_ADMIN_PASSWORD choose it instead. An advisory lock
// keeps two processes starting together from both creating one.
import crypto from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../../config.js';
import { ACROSS_ACCOUNTS } from '../../db/tenant.js';
import { User } from './user.entity.js';
import { createAccount, createUser } from './accounts.service.js';
import { lockFirstStart } from './first-owner.queries.js';

export interface FirstOwner {
  email: string;
  /** Present only when the password was generated (so it must be shown once). */
  generatedPassword?: string;
}

export async function ensureFirstOwner(orm: MikroORM, config: Pick<Config, 'adminEmail' | 'adminPassword'>): Promise<FirstOwner | null> {
  const em = orm.em.fork();
  return em.transactional(async (tx) => {
    await lockFirstStart(tx);
    if ((await tx.count(User, {}, ACROSS_ACCOUNTS)) > 0) return null;
    const email = config.adminEmail ?? 'owner@textcast.local';
    const generatedPassword = config.adminPassword ? undefined : crypto.randomBytes(12).toString('base64url');
    const account = createAccount(tx, { name: 'Demo account', timeZone: 'Europe/Paris', currency: 'EUR' });
    await createUser(tx, account, { email, password: config.adminPassword ?? generatedPassword!, role: 'owner' });
    return { email, generatedPassword };
  });
}
