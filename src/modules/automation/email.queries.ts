// The SQL of the email outbox: queueing (the automation engine's Send email step, inside its
// transaction), and the email sender's claim, lease and outcomes. The sender works across
// accounts (a worker like the reply sender); every write it makes names the ids it claimed.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ErasedContact } from '../contacts/index.js';
import type { Recipient } from '../campaigns/index.js';
import { renderEmail, type EmailContent } from './email-render.js';

export const NO_ADDRESS = 'The contact has no email address';

export interface EmailToQueue {
  accountId: string;
  contactId: string;
  templateId: string;
  runId: string | null;
  eventData: Record<string, unknown>;
}

export interface QueuedEmail {
  id: string;
  status: 'queued' | 'skipped';
  skipReason: string | null;
}

export interface ContactRow {
  account_id: string;
  id: string;
  phone: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  fields: Record<string, unknown>;
}

interface TemplateRow {
  account_id: string;
  id: string;
  subject: string;
  text_body: string;
  html_body: string | null;
}

/** What the placeholders read: the contact's fields (none when it is gone) and the event's data. */
export const recipientOf = (contact: Omit<ContactRow, 'account_id' | 'id'> | undefined, eventData: Record<string, unknown>): Recipient => ({
  phone: contact?.phone ?? '',
  first_name: contact?.first_name,
  last_name: contact?.last_name,
  email: contact?.email,
  fields: contact?.fields,
  event_data: eventData,
});

const key = (accountId: string, id: string) => `${accountId}/${id}`;

/** The contacts of the batch, each found in its own account (one statement). */
async function contactsOn(client: pg.ClientBase, emails: EmailToQueue[]): Promise<Map<string, ContactRow>> {
  const { rows } = await client.query<ContactRow>(
    `select c.account_id, c.id::text, c.phone, c.first_name, c.last_name, c.email, c.fields
     from contact c join unnest($1::uuid[], $2::bigint[]) as k(account_id, id) on c.account_id = k.account_id and c.id = k.id`,
    [emails.map((e) => e.accountId), emails.map((e) => e.contactId)],
  );
  return new Map(rows.map((row) => [key(row.account_id, row.id), row]));
}

/** The templates of the batch, each found in its own account (one statement). */
async function templatesOn(client: pg.ClientBase, emails: EmailToQueue[]): Promise<Map<string, TemplateRow>> {
  const { rows } = await client.query<TemplateRow>(
    `select t.account_id, t.id, t.subject, t.text_body, t.html_body
     from email_template t join unnest($1::uuid[], $2::uuid[]) as k(account_id, id) on t.account_id = k.account_id and t.id = k.id`,
    [emails.map((e) => e.accountId), emails.map((e) => e.templateId)],
  );
  return new Map(rows.map((row) => [key(row.account_id, row.id), row]));
}

/** Queues emails rendered for their contacts (their data and the run's event data as they are
 * now), in one INSERT; a contact without an address (or no longer there) gets a skipped record
 * saying so. Answers one entry per email, in order. A template of another account is not found:
 * that is an error, since a program step's template cannot be deleted (its foreign key). */
export async function queueEmailsOn(client: pg.ClientBase, emails: EmailToQueue[]): Promise<QueuedEmail[]> {
  if (!emails.length) return [];
  const [contacts, templates] = await Promise.all([contactsOn(client, emails), templatesOn(client, emails)]);
  const rows = emails.map((email) => {
    const template = templates.get(key(email.accountId, email.templateId));
    if (!template) throw new Error(`There is no email template ${email.templateId} in account ${email.accountId}.`);
    const contact = contacts.get(key(email.accountId, email.contactId));
    const content = renderEmail({ subject: template.subject, textBody: template.text_body, htmlBody: template.html_body }, recipientOf(contact, email.eventData));
    const address = contact?.email?.trim() || null;
    return { email, content, address, skipReason: address ? null : NO_ADDRESS };
  });
  const { rows: inserted } = await client.query<{ id: string; status: 'queued' | 'skipped'; skip_reason: string | null }>(
    `insert into email_message (account_id, template_id, contact_id, run_id, to_address, subject, text_body, html_body, status, skip_reason)
     select v.account_id, v.template_id, v.contact_id, v.run_id, v.to_address, v.subject, v.text_body, v.html_body,
            case when v.skip_reason is null then 'queued' else 'skipped' end, v.skip_reason
     from unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
          with ordinality as v(account_id, template_id, contact_id, run_id, to_address, subject, text_body, html_body, skip_reason, position)
     order by v.position
     returning id::text, status, skip_reason`,
    [
      rows.map((r) => r.email.accountId),
      rows.map((r) => r.email.templateId),
      rows.map((r) => r.email.contactId),
      rows.map((r) => r.email.runId),
      rows.map((r) => r.address),
      rows.map((r) => r.content.subject),
      rows.map((r) => r.content.textBody),
      rows.map((r) => r.content.htmlBody),
      rows.map((r) => r.skipReason),
    ],
  );
  // The ids come from a sequence in insertion order, which is the order of the input; RETURNING
  // promises no order, so the rows are put back in id order.
  return inserted
    .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
    .map((row) => ({ id: row.id, status: row.status, skipReason: row.skip_reason }));
}

export interface ClaimedEmail extends EmailContent {
  id: string;
  account_id: string;
  to_address: string;
  attempts: number;
}

/** Takes up to `limit` due emails of every account for sending (marked `sending`, so a sender
 * that dies leaves them to the lease). */
export async function claimDueEmailsOn(client: pg.ClientBase, limit: number): Promise<ClaimedEmail[]> {
  const { rows } = await client.query<ClaimedEmail>(
    `update email_message m set status = 'sending', claimed_at = now()
     from (select id from email_message where status = 'queued' and not_before <= now() order by not_before limit $1 for update skip locked) due
     where m.id = due.id
     returning m.id::text, m.account_id, m.to_address, m.subject, m.text_body as "textBody", m.html_body as "htmlBody", m.attempts`,
    [limit],
  );
  return rows;
}

/** Without SMTP_URL: the due emails of every account are kept in the Email outbox, to be read
 * there. Answers how many. */
export async function storeDueEmailsOn(client: pg.ClientBase, limit: number): Promise<number> {
  const result = await client.query(
    `update email_message m set status = 'stored', sent_at = now(), claimed_at = null, attempts = m.attempts + 1
     from (select id from email_message where status = 'queued' and not_before <= now() order by not_before limit $1 for update skip locked) due
     where m.id = due.id`,
    [limit],
  );
  return result.rowCount ?? 0;
}

/** Queues again the emails whose sender died mid-send. */
export async function reclaimStaleEmailsOn(client: pg.ClientBase, leaseSeconds: number): Promise<number> {
  const result = await client.query(
    `update email_message set status = 'queued', claimed_at = null where status = 'sending' and claimed_at < now() - make_interval(secs => $1)`,
    [leaseSeconds],
  );
  return result.rowCount ?? 0;
}

/** The SMTP server accepted it. */
export async function markEmailSentOn(client: pg.ClientBase, id: string, smtpMessageId: string | null): Promise<void> {
  await client.query(
    `update email_message set status = 'sent', sent_at = now(), smtp_message_id = $2, error = null, attempts = attempts + 1, claimed_at = null where id = $1 and status = 'sending'`,
    [id, smtpMessageId],
  );
}

/** The SMTP server (or the way to it) failed: the error is kept, and the email is tried again
 * after `retryInSeconds`, or fails for good when that is null. */
export async function markEmailRefusedOn(client: pg.ClientBase, id: string, error: string, retryInSeconds: number | null): Promise<void> {
  await client.query(
    `update email_message set error = $2, attempts = attempts + 1, claimed_at = null,
            status = case when $3::int is null then 'failed' else 'queued' end,
            not_before = case when $3::int is null then not_before else now() + make_interval(secs => $3::int) end
     where id = $1 and status = 'sending'`,
    [id, error, retryInSeconds],
  );
}

/** Erasing a contact (a contacts erasure step, src/wiring.ts): its emails stay as records without
 * the address or the text, and what had not left yet never will. */
export async function eraseFromEmails(em: EntityManager, contact: ErasedContact): Promise<void> {
  await em.getConnection().execute(
    `update email_message set contact_id = null, to_address = null, subject = '', text_body = '', html_body = null, error = null,
            skip_reason = case when status in ('queued', 'sending') then 'The contact was erased' else skip_reason end,
            status = case when status in ('queued', 'sending') then 'skipped' else status end
     where account_id = ? and contact_id = ?`,
    [contact.accountId, contact.contactId],
    'run',
    em.getTransactionContext(),
  );
}
