// Account isolation, as one reusable check: account A owns records; a user of account B (and B's
// API key) asks for each of them through every route and must get 404, with A's data unchanged.
// A module that adds routes naming a record adds them here, with a fixture that creates the
// record in account A.
import type { MikroORM } from '@mikro-orm/postgresql';
import { addUser, createKey, type Tenant } from './helper.js';
import { ApiKey } from '../src/modules/accounts/api-key.entity.js';
import { withAccount } from '../src/db/tenant.js';

/** Ids of records in account A, by name. */
export type Fixture = Record<string, string>;

export interface IsolatedRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The URL, built from account A's fixture. */
  url: (a: Fixture) => string;
  /** Form fields (browser routes) or JSON body (API routes). */
  body?: Record<string, unknown>;
}

export interface IsolationModule {
  name: string;
  /** Creates account A's records and returns their ids. */
  fixture: (orm: MikroORM, a: Tenant) => Promise<Fixture>;
  browser: IsolatedRoute[];
  api: IsolatedRoute[];
}

export const isolationModules: IsolationModule[] = [
  {
    name: 'accounts',
    fixture: async (orm, a) => {
      const marketer = await addUser(orm, a.account, 'marketer');
      await createKey(orm, a.account);
      const key = await withAccount(orm.em, a.account.id).findOneOrFail(ApiKey, {});
      return { userId: marketer.id, apiKeyId: key.id };
    },
    browser: [
      { method: 'GET', url: (a) => `/settings/users/${a.userId}` },
      { method: 'POST', url: (a) => `/settings/users/${a.userId}/role`, body: { role: 'viewer' } },
      { method: 'POST', url: (a) => `/settings/users/${a.userId}/disable` },
      { method: 'POST', url: (a) => `/settings/users/${a.userId}/enable` },
      { method: 'POST', url: (a) => `/settings/api-keys/${a.apiKeyId}/revoke` },
    ],
    api: [],
  },
];
