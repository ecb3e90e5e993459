// Accounts, users and API keys: the rules for creating and changing them, shared by the
// Settings pages, the CLI and the first start.
import crypto from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ValidationError } from '../../errors.js';
import { ACROSS_ACCOUNTS } from '../../db/tenant.js';
import { Account } from './account.entity.js';
import { User, ROLES, type UserRole } from './user.entity.js';
import { ApiKey } from './api-key.entity.js';
import { Session } from './session.entity.js';
import { hashPassword, MIN_PASSWORD_LENGTH } from './passwords.js';
import { isCountryCode } from '../../phone.js';
import { setUpNewAccount } from './hooks.js';

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface AccountInput {
  name: string;
  timeZone?: string;
  currency?: string;
}

export function createAccount(em: EntityManager, input: AccountInput): Account {
  const errors: Record<string, string> = {};
  const name = input.name?.trim() ?? '';
  if (!name) errors.name = 'Give the account a name.';
  else if (name.length > 200) errors.name = 'The name can have at most 200 characters.';
  const timeZone = input.timeZone?.trim() || 'UTC';
  if (!isTimeZone(timeZone)) errors.timeZone = `"${timeZone}" is not a known time zone (for example Europe/Paris).`;
  const currency = (input.currency?.trim() || 'EUR').toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) errors.currency = 'The currency is a three-letter ISO code such as EUR or USD.';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const account = em.create(Account, { name, timeZone, currency });
  em.persist(account);
  // What the modules above give a new account (the simulator as its default gateway, say).
  setUpNewAccount(em, account);
  return account;
}

export interface AccountSettingsInput {
  name?: string;
  timeZone?: string;
  currency?: string;
  defaultCountry?: string;
}

/** Settings → Account: the name, time zone, currency and default country of an account. */
export function updateAccountSettings(account: Account, input: AccountSettingsInput): void {
  const name = input.name?.trim() ?? '';
  const timeZone = input.timeZone?.trim() ?? '';
  const currency = (input.currency ?? '').trim().toUpperCase();
  const defaultCountry = (input.defaultCountry ?? '').trim().toUpperCase();
  const errors: Record<string, string> = {};
  if (!name || name.length > 200) errors.name = 'Give the account a name of at most 200 characters.';
  if (!isTimeZone(timeZone)) errors.timeZone = 'Choose a time zone from the list.';
  if (!/^[A-Z]{3}$/.test(currency)) errors.currency = 'The currency is a three-letter ISO code such as EUR or USD.';
  if (defaultCountry && !isCountryCode(defaultCountry)) errors.defaultCountry = 'Choose a country from the list, or none.';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  Object.assign(account, { name, timeZone, currency, defaultCountry: defaultCountry || null });
}

export interface UserInput {
  email: string;
  password: string;
  role: string;
}

export async function createUser(em: EntityManager, account: Account, input: UserInput): Promise<User> {
  const errors: Record<string, string> = {};
  const email = normaliseEmail(input.email ?? '');
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 254) errors.email = 'Enter a valid email address.';
  else if (await em.count(User, { email }, ACROSS_ACCOUNTS)) errors.email = 'A user with this email already exists.';
  if ((input.password ?? '').length < MIN_PASSWORD_LENGTH) errors.password = `The password needs at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (!ROLES.includes(input.role as UserRole)) errors.role = 'Choose owner, marketer or viewer.';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const user = em.create(User, {
    account,
    email,
    passwordHash: await hashPassword(input.password),
    role: input.role as UserRole,
  });
  em.persist(user);
  return user;
}

/** Changes a user's role; an account always keeps at least one active owner. */
export async function changeRole(em: EntityManager, user: User, role: string): Promise<void> {
  if (!ROLES.includes(role as UserRole)) throw new ValidationError({ role: 'Choose owner, marketer or viewer.' });
  if (user.role === 'owner' && role !== 'owner') await assertAnotherOwner(em, user);
  user.role = role as UserRole;
}

/** Disables a user and ends every session they have. */
export async function disableUser(em: EntityManager, user: User): Promise<void> {
  if (user.disabledAt) return;
  if (user.role === 'owner') await assertAnotherOwner(em, user);
  user.disabledAt = new Date();
  await em.nativeDelete(Session, { user: user.id });
}

export function enableUser(user: User): void {
  user.disabledAt = null;
}

async function assertAnotherOwner(em: EntityManager, user: User): Promise<void> {
  const owners = await em.count(User, { account: user.account, role: 'owner', disabledAt: null, id: { $ne: user.id } });
  if (owners === 0) throw new ValidationError({ role: 'An account needs at least one active owner.' }, 'An account needs at least one active owner.');
}

export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

/** Creates an API key; the returned `key` is the only time its text exists outside the caller. */
export function createApiKey(em: EntityManager, account: Account, name: string): { apiKey: ApiKey; key: string } {
  const trimmed = name?.trim() ?? '';
  if (!trimmed || trimmed.length > 100) throw new ValidationError({ name: 'Give the key a name of at most 100 characters.' });
  const key = 'tc_' + crypto.randomBytes(24).toString('base64url');
  const apiKey = em.create(ApiKey, { account, name: trimmed, prefix: key.slice(0, 10), keyHash: hashApiKey(key) });
  em.persist(apiKey);
  return { apiKey, key };
}
