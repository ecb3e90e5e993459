import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { Segment, ContactList } from '../contacts/index.js';
import { Gateway, InboundNumber } from '../gateways/index.js';
import { timestamps, uuidId } from '../../db/base-properties.js';
import { ownedByAccount } from '../accounts/index.js';

export const CAMPAIGN_KINDS = ['batch', 'automation'] as const;
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];

export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'sending', 'sent', 'paused', 'cancelled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const RECIPIENT_SOURCES = ['segment', 'list', 'automation'] as const;
export type RecipientSource = (typeof RECIPIENT_SOURCES)[number];

// An SMS campaign: its message settings (name, sender, body) and its recipients and schedule.
// A batch campaign goes to a segment or a contact list at a time; an automation campaign
// ("For Automation Center") is sent one contact at a time by automation programs.
// Status changes go through campaign-status.ts, which refuses invalid moves.
export const Campaign = defineEntity({
  name: 'Campaign',
  tableName: 'campaign',
  filters: tenantFilter(),
  properties: {
    ...uuidId(),
    ...ownedByAccount(),
    name: p.string().length(100),
    kind: p.enum([...CAMPAIGN_KINDS]).default('batch'),
    status: p.enum([...CAMPAIGN_STATUSES]).default('draft'),
    /** An alphanumeric sender ID (3 to 11 GSM characters) or an E.164 number. */
    sender: p.string().length(16),
    body: p.text(),
    /** Links in the text are shortened and counted per link. */
    trackLinks: p.boolean().default(true),
    /** The campaign's own words on its unsubscribe landing page (/u/<token>); may change after launch. */
    unsubscribePageText: p.text().nullable(),
    recipientSource: p.enum([...RECIPIENT_SOURCES]).nullable(),
    // A launched campaign lets go of its segment or list when it is deleted (its recipients are in
    // its messages); one still to launch keeps it (check campaign_unlaunched_keeps_recipients).
    segment: () => p.manyToOne(Segment).nullable().deleteRule('set null'),
    list: () => p.manyToOne(ContactList).nullable().deleteRule('set null'),
    /** When a scheduled batch campaign launches; null for "send now" until it launches. */
    scheduledAt: p.datetime().nullable(),
    /** Figures computed when it was scheduled: recipients who will receive it, parts in all. */
    estimatedRecipients: p.integer().nullable(),
    estimatedParts: p.integer().nullable(),
    copiedFrom: () => p.manyToOne(Campaign).nullable().deleteRule('set null'),
    createdBy: p.string().length(300),
    ...timestamps(),
    launchedAt: p.datetime().nullable(),
    /** Set when the first message goes out: from then on the content is locked. */
    firstSentAt: p.datetime().nullable(),
    /** The gateway it goes out through: the account's default when it launched. */
    gateway: () => p.manyToOne(Gateway).nullable().deleteRule('set null'),
    /** Why it did not launch or stopped on its own ("Not launched: insufficient credit …"). */
    problem: p.string().length(300).nullable(),
    /** When its last message was dispatched (status sent) or it was cancelled. */
    finishedAt: p.datetime().nullable(),
    /** The token of the step-1 form that created it: a double-submitted form finds this campaign
     * instead of creating a second one. Ids themselves are always made by the server. */
    formToken: p.uuid().nullable(),
    /** The inbound number it is sent from, when its sender is one: replies and STOP reach it. */
    inboundNumber: () => p.manyToOne(InboundNumber).nullable().deleteRule('set null'),
  },
  uniques: [{ properties: ['account', 'formToken'], name: 'campaign_account_form_token_unique' }],
  // A campaign still to launch keeps its segment or list (written as PostgreSQL writes it back, so
  // the schema comparison of test/accounts/isolation.test.ts finds it equal).
  checks: [
    {
      name: 'campaign_unlaunched_keeps_recipients',
      expression: `status <> all (array['draft', 'scheduled']) or ((recipient_source is distinct from 'segment' or segment_id is not null) and (recipient_source is distinct from 'list' or list_id is not null))`,
    },
  ],
  indexes: [{ properties: ['account', 'status'], name: 'campaign_account_status_index' }],
});
export type Campaign = InferEntity<typeof Campaign>;
