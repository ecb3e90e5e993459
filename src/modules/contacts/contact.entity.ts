import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { serialId } from '../../db/base-properties.js';
import { ownedByAccount } from '../accounts/index.js';

export const OPT_OUT_SOURCES = ['manual', 'import', 'unsubscribe_link', 'stop_keyword', 'api', 'suppressed', 'gateway'] as const;
export type OptOutSource = (typeof OPT_OUT_SOURCES)[number];

// A person to text. `phone` is E.164 (or, for a contact kept with the bad-number flag, the text
// as imported). `smsOptIn` null means "not set", which counts as opted in (as in the reference
// product); false is an opt-out, with its source and time. Custom field values live in `fields`,
// keyed by the account's custom field keys, always stored in their type's canonical form.
// Ids are bigint: a million contacts per account is the expected scale.
export const Contact = defineEntity({
  name: 'Contact',
  tableName: 'contact',
  filters: tenantFilter(),
  properties: {
    ...serialId(),
    ...ownedByAccount(),
    phone: p.string().length(32),
    country: p.string().length(2).nullable(),
    /** The zone the send window is read in (phone-zone.ts); null: the country's zones together. */
    timeZone: p.string().length(64).nullable(),
    /** 'number' (derived from the phone), 'set' (chosen by a user), null (not reached by the backfill yet). */
    timeZoneSource: p.string().length(8).nullable(),
    email: p.string().length(254).nullable(),
    firstName: p.string().length(100).nullable(),
    lastName: p.string().length(100).nullable(),
    fields: p.json<Record<string, string | number | boolean>>().default('{}'),
    smsOptIn: p.boolean().nullable(),
    optOutSource: p.string().length(20).nullable(),
    optedOutAt: p.datetime().nullable(),
    badNumber: p.boolean().default(false),
    createdAt: p.datetime().onCreate(() => new Date()).defaultRaw('now()'),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()).defaultRaw('now()'),
  },
  uniques: [{ properties: ['account', 'phone'], name: 'contact_account_phone_unique' }],
  indexes: [
    { properties: ['account', 'id'], name: 'contact_account_id_id_index' },
    // Covering, so segment sizes by country, opt-in and creation date are index-only scans.
    {
      expression: 'create index "contact_account_country_segment_index" on "contact" ("account_id", "country") include ("sms_opt_in", "bad_number", "created_at")',
      name: 'contact_account_country_segment_index',
    },
    { properties: ['account', 'email'], name: 'contact_account_email_index' },
    // Contacts the time zone backfill has not reached yet (none once it is done).
    {
      expression: 'create index "contact_time_zone_pending_index" on "contact" ("account_id", "id") where "time_zone_source" is null',
      name: 'contact_time_zone_pending_index',
    },
    { expression: 'create index "contact_account_last_name_index" on "contact" ("account_id", lower("last_name"))', name: 'contact_account_last_name_index' },
    { expression: 'create index "contact_account_first_name_index" on "contact" ("account_id", lower("first_name"))', name: 'contact_account_first_name_index' },
  ],
});
export type Contact = InferEntity<typeof Contact>;

export function isOptedIn(contact: Pick<Contact, 'smsOptIn'>): boolean {
  return contact.smsOptIn !== false;
}
