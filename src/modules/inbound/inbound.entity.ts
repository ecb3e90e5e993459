import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { serialId, timestamps, uuidId } from '../../db/base-properties.js';
import { Account, ownedByAccount } from '../accounts/index.js';
import { InboundNumber } from '../gateways/index.js';
import { ExternalEvent } from '../automation/index.js';

/** received: stored, not processed yet; processed: classified and acted on; failed: processing
 * kept failing (the error is kept, an operator can retry); unroutable: sent to a number that is
 * none of the gateway's account's inbound numbers. */
export const INBOUND_STATUSES = ['received', 'processed', 'failed', 'unroutable'] as const;
/** What the text was taken for (DESIGN.md "Inbound", in this order). */
export const CLASSIFICATIONS = ['opt_out', 'opt_in', 'help', 'event', 'email', 'inbox'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export const INBOUND_EVENT_TYPES = ['inboundResponder', 'inboundJoinResponder', 'inboundEmailHandler', 'inboundInboxHandler', 'inboundUnsubscribeHandler'] as const;
export type InboundEventType = (typeof INBOUND_EVENT_TYPES)[number];

// Every SMS that reached one of the account's gateways, stored before anything else happens
// (unique on the gateway's message id, so a message delivered twice is processed once), then
// classified by the inbound processor. Nothing is ever lost: a failure stays visible here.
export const InboundMessage = defineEntity({
  name: 'InboundMessage',
  tableName: 'inbound_message',
  filters: tenantFilter(),
  properties: {
    ...serialId(),
    ...ownedByAccount(),
    gatewayId: p.uuid(),
    gatewayMessageId: p.string().length(100),
    inboundNumber: () => p.manyToOne(InboundNumber).nullable().deleteRule('set null'),
    /** The sender as the gateway gave it, and as E.164 when it parses. */
    fromRaw: p.string().length(40),
    phone: p.string().length(16).nullable(),
    toNumber: p.string().length(40),
    body: p.text(),
    receivedAt: p.datetime(),
    createdAt: p.datetime().defaultRaw('now()'),
    status: p.enum([...INBOUND_STATUSES]).default('received'),
    attempts: p.smallint().default(0),
    error: p.string().length(300).nullable(),
    claimedAt: p.datetime().nullable(),
    processedAt: p.datetime().nullable(),
    classification: p.enum([...CLASSIFICATIONS]).nullable(),
    keyword: p.string().length(30).nullable(),
    contactId: p.bigint('number').nullable(),
    eventId: p.uuid().nullable(),
    /** An email address found in the text and saved on the contact. */
    capturedEmail: p.string().length(254).nullable(),
    /** Shown in the SMS inbox (not a keyword), with the text to show. */
    inInbox: p.boolean().default(false),
    inboxText: p.text().nullable(),
    handledAt: p.datetime().nullable(),
    handledBy: p.string().length(300).nullable(),
  },
  uniques: [{ properties: ['account', 'gatewayId', 'gatewayMessageId'], name: 'inbound_message_gateway_message_unique' }],
  indexes: [
    { expression: `create index "inbound_message_due_index" on "inbound_message" ("created_at") where "status" = 'received'`, name: 'inbound_message_due_index' },
    { properties: ['account', 'receivedAt'], name: 'inbound_message_account_received_index' },
    { properties: ['account', 'phone', 'receivedAt'], name: 'inbound_message_account_phone_index' },
    // The STOP list and the SMS inbox, newest first, each on the few rows it shows.
    {
      expression: `create index "inbound_message_stop_list_index" on "inbound_message" ("account_id", "received_at", "id") where "classification" = 'opt_out'`,
      name: 'inbound_message_stop_list_index',
    },
    {
      expression: `create index "inbound_message_inbox_index" on "inbound_message" ("account_id", "received_at", "id") where "in_inbox" or "status" in ('unroutable', 'failed')`,
      name: 'inbound_message_inbox_index',
    },
  ],
});
export type InboundMessage = InferEntity<typeof InboundMessage>;

// A keyword-triggered action on one inbound number (the reference's "Inbound event setup"). It
// is also the external event named `SMS <number> Autoresponder: <name>`, which records a trigger
// for each match.
export const InboundEvent = defineEntity({
  name: 'InboundEvent',
  tableName: 'inbound_event',
  filters: tenantFilter(),
  properties: {
    ...uuidId(),
    ...ownedByAccount(),
    inboundNumber: () => p.manyToOne(InboundNumber).deleteRule('cascade'),
    name: p.string().length(100),
    type: p.enum([...INBOUND_EVENT_TYPES]),
    /** Upper case; also in inbound_event_keyword, whose unique index keeps them apart per number. */
    keywords: p.array().default('{}'),
    replyText: p.string().length(480).nullable(),
    externalEvent: () => p.manyToOne(ExternalEvent).deleteRule('restrict'),
    ...timestamps(),
  },
  uniques: [{ properties: ['account', 'inboundNumber', 'name'], name: 'inbound_event_number_name_unique' }],
});
export type InboundEvent = InferEntity<typeof InboundEvent>;

// One keyword of one event: the database keeps keywords unique per inbound number.
export const InboundEventKeyword = defineEntity({
  name: 'InboundEventKeyword',
  tableName: 'inbound_event_keyword',
  filters: tenantFilter(),
  properties: {
    account: () => p.manyToOne(Account).primary().deleteRule('cascade'),
    inboundNumber: () => p.manyToOne(InboundNumber).primary().deleteRule('cascade'),
    keyword: p.string().length(30).primary(),
    event: () => p.manyToOne(InboundEvent).deleteRule('cascade'),
  },
});
export type InboundEventKeyword = InferEntity<typeof InboundEventKeyword>;
