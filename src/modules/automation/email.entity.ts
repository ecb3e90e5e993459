import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { serialId, timestamps, uuidId } from '../../db/base-properties.js';
import { ownedByAccount } from '../accounts/index.js';

// An email template: subject, text body and optional HTML body, with the placeholders of SMS
// campaigns ({{first_name|there}}, {{event.<name>}}).
export const EmailTemplate = defineEntity({
  name: 'EmailTemplate',
  tableName: 'email_template',
  filters: tenantFilter(),
  properties: {
    ...uuidId(),
    ...ownedByAccount(),
    name: p.string().length(200),
    subject: p.string().length(300),
    textBody: p.text(),
    htmlBody: p.text().nullable(),
    ...timestamps(),
  },
  uniques: [{ properties: ['account', 'name'], name: 'email_template_account_name_unique' }],
});
export type EmailTemplate = InferEntity<typeof EmailTemplate>;

/** queued → sending → sent (SMTP accepted it) or stored (no SMTP_URL: kept in the Email outbox);
 * failed after the last retry; skipped (no address). */
export const EMAIL_STATUSES = ['queued', 'sending', 'sent', 'stored', 'failed', 'skipped'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

// The email outbox and record: one row per email, rendered when queued (the contact's data and
// the event's at that moment), sent by the email sender with retries and backoff.
export const EmailMessage = defineEntity({
  name: 'EmailMessage',
  tableName: 'email_message',
  filters: tenantFilter(),
  properties: {
    ...serialId(),
    ...ownedByAccount(),
    template: () => p.manyToOne(EmailTemplate).nullable().deleteRule('set null'),
    contactId: p.bigint('number').nullable(),
    /** The automation run that sent it, if any. */
    runId: p.bigint('number').nullable(),
    toAddress: p.string().length(254).nullable(),
    subject: p.string().length(300),
    textBody: p.text(),
    htmlBody: p.text().nullable(),
    status: p.enum([...EMAIL_STATUSES]).default('queued'),
    skipReason: p.string().length(100).nullable(),
    /** The id the SMTP server gave the email it accepted (its Message-ID), to find it in the
     * provider's logs. */
    smtpMessageId: p.string().length(300).nullable(),
    /** The last SMTP error, shown on the outbox page. */
    error: p.string().length(500).nullable(),
    attempts: p.smallint().default(0),
    notBefore: p.datetime().defaultRaw('now()'),
    claimedAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    sentAt: p.datetime().nullable(),
  },
  indexes: [
    { expression: `create index "email_message_queue_index" on "email_message" ("not_before") where "status" in ('queued', 'sending')`, name: 'email_message_queue_index' },
    { properties: ['account', 'id'], name: 'email_message_account_index' },
  ],
});
export type EmailMessage = InferEntity<typeof EmailMessage>;
