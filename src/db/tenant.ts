// Account scoping: every tenant entity carries the `tenant` filter, on by default. Each request's
// EntityManager fork sets the signed-in account (`withAccount`); a tenant query on a fork that has
// none fails with "No arguments provided for filter 'tenant'" instead of reading across accounts.
// Hand-written SQL (*.queries.ts) takes the account id as an explicit first parameter.
import type { EntityManager } from '@mikro-orm/postgresql';

export const TENANT_FILTER = 'tenant';

/** The filter definition for an entity whose owning account sits in `property`. */
export function tenantFilter(property: 'account' | 'id' = 'account') {
  return {
    [TENANT_FILTER]: {
      name: TENANT_FILTER,
      default: true,
      cond: (args: { accountId: string }) => ({ [property]: args.accountId }),
    },
  };
}

/** Scopes an EntityManager fork (a request's own) to one account, in place. */
export function scopeToAccount(fork: EntityManager, accountId: string): EntityManager {
  fork.setFilterParams(TENANT_FILTER, { accountId });
  return fork;
}

/** A fresh EntityManager that only sees the given account's rows (CLI, jobs). */
export function withAccount(em: EntityManager, accountId: string): EntityManager {
  return scopeToAccount(em.fork(), accountId);
}

/** Options that lift account scoping for one query, for the few system lookups that precede it
 * (a session by its token, a user by login email, an API key by its hash). */
export const ACROSS_ACCOUNTS = { filters: { [TENANT_FILTER]: false } } as const;
