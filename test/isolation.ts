// Account isolation, as one reusable check: account A owns records; a user of account B (and B's
// API key) asks for each of them through every route and must get 404, with A's data unchanged.
// A module that adds routes naming a record adds them here, with a fixture that creates the
// record in account A.
import type { MikroORM } from '@mikro-orm/postgresql';
import { addUser, createKey, type Tenant } from './helper.js';
import { ApiKey } from '../src/modules/accounts/api-key.entity.js';
import { withAccount } from '../src/db/tenant.js';
import { Contact } from '../src/modules/contacts/contact.entity.js';
import { ContactList } from '../src/modules/contacts/contact-list.entity.js';
import { CustomField } from '../src/modules/contacts/custom-field.entity.js';

/** Ids of records in account A, by name. */
export type Fixture = Record<string, string>;

export interface IsolatedRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The URL, built from account A's fixture. */
  url: (a: Fixture) => string;
  /** Form fields (browser routes) or JSON body (API routes), possibly built from the fixture. */
  body?: Record<string, unknown> | ((a: Fixture) => Record<string, unknown>);
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
    name: 'contacts',
    fixture: async (orm, a) => {
      const em = withAccount(orm.em, a.account.id);
      const contact = em.create(Contact, { account: a.account, phone: '+33612340001', firstName: 'Secret' });
      const list = em.create(ContactList, { account: a.account, name: 'A list' });
      const field = em.create(CustomField, { account: a.account, key: 'secret', label: 'Secret', type: 'text' });
      await em.flush();
      await em.getConnection().execute('insert into contact_list_member (list_id, contact_id, account_id) values (?, ?, ?)', [list.id, contact.id, a.account.id]);
      return { contactId: String(contact.id), listId: list.id, fieldId: field.id };
    },
    browser: [
      { method: 'GET', url: (a) => `/contacts/${a.contactId}` },
      { method: 'GET', url: (a) => `/contacts/${a.contactId}/edit` },
      { method: 'POST', url: (a) => `/contacts/${a.contactId}`, body: { phone: '+33612340002' } },
      { method: 'POST', url: (a) => `/contacts/${a.contactId}/opt-in`, body: { sms_opt_in: 'no' } },
      { method: 'POST', url: (a) => `/contacts/${a.contactId}/lists`, body: { list: 'none' } },
      { method: 'GET', url: (a) => `/contacts/${a.contactId}/delete` },
      { method: 'POST', url: (a) => `/contacts/${a.contactId}/delete` },
      { method: 'POST', url: (a) => `/contacts/bulk`, body: (a) => ({ ids: a.contactId, list: a.listId }) },
      { method: 'GET', url: (a) => `/contacts/lists/${a.listId}` },
      { method: 'POST', url: (a) => `/contacts/lists/${a.listId}/add`, body: { phones: '+33612340001' } },
      { method: 'POST', url: (a) => `/contacts/lists/${a.listId}/remove`, body: (a) => ({ ids: a.contactId }) },
      { method: 'POST', url: (a) => `/contacts/lists/${a.listId}/rename`, body: { name: 'Stolen' } },
      { method: 'POST', url: (a) => `/contacts/lists/${a.listId}/delete` },
      { method: 'POST', url: (a) => `/contacts/fields/${a.fieldId}/delete` },
    ],
    api: [
      { method: 'DELETE', url: (a) => `/api/v1/contacts/${a.contactId}` },
      { method: 'POST', url: (a) => `/api/v1/contact-lists/${a.listId}/contacts`, body: { phones: ['+33612340001'] } },
    ],
  },
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
