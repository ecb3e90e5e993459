import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { createdAt, serialId, uuidId } from '../../db/base-properties.js';
import { ownedByAccount } from '../accounts/index.js';

export const EXTERNAL_EVENT_SOURCES = ['inbound', 'api'] as const;

// An external event (facts.md "External events"): a named thing that happens to contacts outside
// Textcast, triggered through the API or by an inbound SMS keyword (an inbound event is also an
// external event named "SMS <number> Autoresponder: <event name>"). Automation programs start on
// them. Each occurrence is a trigger, kept with its contact and data.
export const ExternalEvent = defineEntity({
  name: 'ExternalEvent',
  tableName: 'external_event',
  filters: tenantFilter(),
  properties: {
    ...uuidId(),
    ...ownedByAccount(),
    name: p.string().length(200),
    source: p.enum([...EXTERNAL_EVENT_SOURCES]).default('api'),
    ...createdAt(),
  },
  uniques: [{ properties: ['account', 'name'], name: 'external_event_account_name_unique' }],
});
export type ExternalEvent = InferEntity<typeof ExternalEvent>;

// One occurrence of an external event for a contact (or a number not yet a contact), with its
// data (`{{event.<name>}}` in templates). Automation programs pick these up.
export const EventTrigger = defineEntity({
  name: 'EventTrigger',
  tableName: 'event_trigger',
  filters: tenantFilter(),
  properties: {
    ...serialId(),
    ...ownedByAccount(),
    event: () => p.manyToOne(ExternalEvent).deleteRule('cascade'),
    contactId: p.bigint('number').nullable(),
    data: p.json<Record<string, unknown>>().default('{}'),
    at: p.datetime().defaultRaw('now()'),
    /** Set when automation has acted on it. */
    processedAt: p.datetime().nullable(),
  },
  indexes: [
    { properties: ['account', 'event', 'at'], name: 'event_trigger_account_event_index' },
    // The automation runner's queue: triggers not yet acted on, small however many are kept.
    { expression: 'create index "event_trigger_unprocessed_index" on "event_trigger" ("id") where "processed_at" is null', name: 'event_trigger_unprocessed_index' },
  ],
});
export type EventTrigger = InferEntity<typeof EventTrigger>;
