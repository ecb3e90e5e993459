import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { Contact } from './contact.entity.js';
import { createdAt, uuidId } from '../../db/base-properties.js';
import { ownedByAccount } from '../accounts/index.js';

export const ContactList = defineEntity({
  name: 'ContactList',
  tableName: 'contact_list',
  filters: tenantFilter(),
  properties: {
    ...uuidId(),
    ...ownedByAccount(),
    name: p.string().length(100),
    ...createdAt(),
  },
  uniques: [{ properties: ['account', 'name'], name: 'contact_list_account_name_unique' }],
});
export type ContactList = InferEntity<typeof ContactList>;

// Membership is written and read with set-based SQL (contact-lists.queries.ts); the entity exists
// so the schema is declared in one place.
export const ContactListMember = defineEntity({
  name: 'ContactListMember',
  tableName: 'contact_list_member',
  filters: tenantFilter(),
  properties: {
    list: () => p.manyToOne(ContactList).primary().deleteRule('cascade'),
    contact: () => p.manyToOne(Contact).primary().deleteRule('cascade'),
    ...ownedByAccount(),
    addedAt: p.datetime().defaultRaw('now()'),
  },
  indexes: [{ properties: ['account', 'contact'], name: 'contact_list_member_account_contact_index' }],
});
export type ContactListMember = InferEntity<typeof ContactListMember>;
