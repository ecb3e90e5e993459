import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { Account, ownedByAccount } from '../accounts/index.js';
import { Campaign } from '../campaigns/index.js';
import { BOUNCES } from '../gateways/index.js';
import { serialId } from '../../db/base-properties.js';

export const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'skipped', 'unknown'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Why a recipient got no message. */
export const SKIP_REASONS = ['opted_out', 'opted_out_of_number', 'bad_number', 'duplicate', 'cancelled', 'erased', 'insufficient_credit'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** Why a queued message waits past its time. */
export const WAIT_REASONS = ['quiet_hours', 'retry'] as const;

// The outbox and the record: one row per recipient per campaign (plus test sends), written by
// the launch in one INSERT … SELECT and moved along by the dispatcher and delivery reports in
// set-based statements (sending/*.queries.ts), never one ORM entity at a time. The entity exists
// for the schema and for small reads. `contact_id` has no foreign key: the record outlives the
// contact.
export const Message = defineEntity({
  name: 'Message',
  tableName: 'message',
  filters: tenantFilter(),
  properties: {
    ...serialId(),
    // No foreign key of its own: the campaign's (which cascades from the account) covers it, and
    // each foreign key is a lookup per row when a launch writes a million of them.
    account: () => p.manyToOne(Account).createForeignKeyConstraint(false),
    /** Null for a reply (transactional): it answers an inbound message, in no campaign's figures. */
    campaign: () => p.manyToOne(Campaign).nullable().deleteRule('cascade'),
    contactId: p.bigint('number').nullable(),
    phone: p.string().length(16),
    country: p.string().length(2).nullable(),
    /** The recipient's time zone at launch (contact.time_zone); null: its country's zones together. */
    timeZone: p.string().length(64).nullable(),
    status: p.enum([...MESSAGE_STATUSES]).default('queued'),
    skipReason: p.enum([...SKIP_REASONS]).nullable(),
    /** A test send from the wizard: billed, not counted in the campaign's figures. */
    isTest: p.boolean().default(false),
    /** The text as sent, personalised; set when the message is dispatched. */
    body: p.text().nullable(),
    encoding: p.string().length(5).nullable(),
    parts: p.smallint().nullable(),
    priceMicros: p.bigint('number').nullable(),
    /** What was debited for it (parts × price); set once, so a retry is not billed again. */
    costMicros: p.bigint('number').nullable(),
    gatewayId: p.uuid().nullable(),
    gatewayMessageId: p.string().length(100).nullable(),
    /** The per-message token of `/u/<token>` and `/l/<token><link>`, when the text needs one. */
    token: p.string().length(12).nullable(),
    attempts: p.smallint().default(0),
    /** Not dispatched before this time (the quiet-hours window or a retry's backoff). */
    notBefore: p.datetime().defaultRaw('now()'),
    waiting: p.enum([...WAIT_REASONS]).nullable(),
    errorCode: p.string().length(50).nullable(),
    /** How an undelivered or failed message bounced, as its gateway kind classified the delivery
     * report that made it so (null otherwise). */
    bounce: p.enum([...BOUNCES]).nullable(),
    /** When a dispatcher took it (status sending); a stale claim is a crashed dispatcher's. */
    claimedAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    sentAt: p.datetime().nullable(),
    /** When the last delivery report changed its status. */
    reportedAt: p.datetime().nullable(),
    unsubscribedAt: p.datetime().nullable(),
    /** When a queued message was skipped after launch (its contact opted out meanwhile); null for
     * the skips written at launch. */
    skippedAt: p.datetime().nullable(),
    /** The inbound message a reply answers. */
    replyToId: p.bigint('number').nullable(),
    /** The one opt-out confirmation: the only message that may go to an opted-out contact. */
    isConfirmation: p.boolean().default(false),
    /** The automation run that queued it (an automation campaign's message), its program, and the
     * data of the event that started the run, for `{{event.<name>}}`. */
    runId: p.bigint('number').nullable(),
    programId: p.uuid().nullable(),
    eventData: p.json<Record<string, unknown>>().nullable(),
  },
  indexes: [
    {
      // Once per recipient of a batch campaign; an automation campaign reaches a contact once per run.
      expression: 'create unique index "message_campaign_contact_unique" on "message" ("account_id", "campaign_id", "contact_id") where not "is_test" and "run_id" is null',
      name: 'message_campaign_contact_unique',
    },
    {
      // An automation campaign's messages (its figures, its newest messages, its re-sends): the
      // unique index above holds a batch campaign's.
      expression: 'create index "message_automation_campaign_index" on "message" ("account_id", "campaign_id", "id") where "run_id" is not null',
      name: 'message_automation_campaign_index',
    },
    {
      // The dispatcher's queue: small, because rows leave it once sent.
      expression: `create index "message_queue_index" on "message" ("account_id", "campaign_id", "status", "not_before") where "status" in ('queued', 'sending')`,
      name: 'message_queue_index',
    },
    {
      expression: 'create unique index "message_gateway_message_unique" on "message" ("account_id", "gateway_id", "gateway_message_id") where "gateway_message_id" is not null',
      name: 'message_gateway_message_unique',
    },
    { expression: 'create unique index "message_token_unique" on "message" ("token") where "token" is not null', name: 'message_token_unique' },
    {
      // The zones a campaign's waiting messages wait for, and until when (its page).
      expression: `create index "message_waiting_index" on "message" ("account_id", "campaign_id", "not_before") include ("time_zone", "country") where "status" = 'queued' and "waiting" = 'quiet_hours'`,
      name: 'message_waiting_index',
    },
    {
      expression: `create index "message_reply_queue_index" on "message" ("account_id", "not_before") where "campaign_id" is null and "status" in ('queued', 'sending')`,
      name: 'message_reply_queue_index',
    },
    // The messages sent in a time range (reconciling a day of the dashboard's rollup).
    { expression: 'create index "message_account_sent_index" on "message" ("account_id", "sent_at") where "sent_at" is not null', name: 'message_account_sent_index' },
    // A contact's messages, newest first (its page; erasure).
    {
      expression: 'create index "message_account_contact_index" on "message" ("account_id", "contact_id", "id") where "contact_id" is not null',
      name: 'message_account_contact_index',
    },
    {
      // "The latest campaign sent before this reply" (the Inbound SMS tab): sent campaign messages
      // of a phone by time. Queued rows stay out of it until they are sent.
      expression: 'create index "message_campaign_phone_sent_index" on "message" ("account_id", "phone", "sent_at") where "campaign_id" is not null and "sent_at" is not null',
      name: 'message_campaign_phone_sent_index',
    },
  ],
});
export type Message = InferEntity<typeof Message>;

// Every delivery report received, raw and append-only, whether or not it changed the message.
export const MessageEvent = defineEntity({
  name: 'MessageEvent',
  tableName: 'message_event',
  filters: tenantFilter(),
  properties: {
    ...serialId(),
    ...ownedByAccount(),
    gatewayId: p.uuid(),
    messageId: p.bigint('number'),
    status: p.string().length(20),
    errorCode: p.string().length(50).nullable(),
    raw: p.json<unknown>(),
    receivedAt: p.datetime().defaultRaw('now()'),
  },
  indexes: [{ properties: ['account', 'messageId'], name: 'message_event_account_message_index' }],
});
export type MessageEvent = InferEntity<typeof MessageEvent>;

// The links of a tracked campaign, numbered in text order; a click is recorded per message and link.
export const Link = defineEntity({
  name: 'Link',
  tableName: 'link',
  filters: tenantFilter(),
  properties: {
    ...serialId(),
    ...ownedByAccount(),
    campaign: () => p.manyToOne(Campaign).deleteRule('cascade'),
    position: p.smallint(),
    url: p.text(),
  },
  uniques: [{ properties: ['account', 'campaign', 'position'], name: 'link_campaign_position_unique' }],
});
export type Link = InferEntity<typeof Link>;

export const Click = defineEntity({
  name: 'Click',
  tableName: 'click',
  filters: tenantFilter(),
  properties: {
    ...serialId(),
    ...ownedByAccount(),
    link: () => p.manyToOne(Link).deleteRule('cascade'),
    messageId: p.bigint('number'),
    at: p.datetime().defaultRaw('now()'),
  },
  // Counting a link's clicks, and finding a message's last click on it (one click a minute counts).
  indexes: [{ properties: ['account', 'link', 'messageId', 'at'], name: 'click_account_link_message_index' }],
});
export type Click = InferEntity<typeof Click>;
