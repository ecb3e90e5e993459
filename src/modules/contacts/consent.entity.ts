import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { Account, ownedByAccount } from '../accounts/index.js';
import { Contact } from './contact.entity.js';
import { serialId } from '../../db/base-properties.js';

// Consent evidence: every change of a contact's SMS opt-in, append-only. It survives erasure of
// the contact (contact set null), keyed by a hash of the number instead of the number itself.
export const ConsentEvent = defineEntity({
  name: 'ConsentEvent',
  tableName: 'consent_event',
  filters: tenantFilter(),
  properties: {
    ...serialId(),
    ...ownedByAccount(),
    contact: () => p.manyToOne(Contact).nullable().deleteRule('set null'),
    phoneHash: p.string().length(64),
    optedIn: p.boolean(),
    source: p.string().length(20),
    /** Who or what: "user:<email>", "api-key:<name>", "import:<file>", "system". */
    actor: p.string().length(300),
    at: p.datetime().defaultRaw('now()'),
  },
  indexes: [{ properties: ['account', 'contact'], name: 'consent_event_account_contact_index' }],
});
export type ConsentEvent = InferEntity<typeof ConsentEvent>;

// A number that opted out and was then erased: later imports or API calls that bring the number
// back create it opted out, so it cannot be re-subscribed silently.
export const Suppression = defineEntity({
  name: 'Suppression',
  tableName: 'suppression',
  filters: tenantFilter(),
  properties: {
    account: () => p.manyToOne(Account).primary().deleteRule('cascade'),
    phoneHash: p.string().length(64).primary(),
    source: p.string().length(20),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});
export type Suppression = InferEntity<typeof Suppression>;
