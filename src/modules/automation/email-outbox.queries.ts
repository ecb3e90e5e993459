// The SQL of the email pages: the Email outbox (newest first, by status, paged by keyset on the
// id, which follows creation: a bigserial), one email, its CSV through a cursor, the contact a
// template is previewed for, and the programs whose steps use a template. Every statement names
// the account.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { withClient } from '../../db/raw-client.js';
import { cursorBatchesOn } from '../../db/cursor.js';
import type { EmailStatus } from './email.entity.js';
import type { ContactRow } from './email.queries.js';

/** One email as the outbox lists it. Times are PostgreSQL's text, as formatTime reads them. */
export interface OutboxRow {
  id: string;
  to_address: string | null;
  subject: string;
  status: EmailStatus;
  skip_reason: string | null;
  error: string | null;
  attempts: number;
  not_before: string;
  created_at: string;
  sent_at: string | null;
  contact_id: string | null;
  first_name: string | null;
  last_name: string | null;
  template_name: string | null;
  run_id: string | null;
}

/** The whole email, for its page. */
export interface OutboxEmail extends OutboxRow {
  text_body: string;
  html_body: string | null;
  smtp_message_id: string | null;
}

const ROW_COLUMNS = `m.id::text, m.to_address, m.subject, m.status, m.skip_reason, m.error, m.attempts, m.not_before, m.created_at, m.sent_at,
  m.contact_id::text, c.first_name, c.last_name, t.name as template_name, m.run_id::text`;

const JOINS = `left join contact c on c.account_id = m.account_id and c.id = m.contact_id
  left join email_template t on t.account_id = m.account_id and t.id = m.template_id`;

/** The outbox's statement, newest first: a status ('' for all), a page after a cursor, or all
 * rows (limit null). */
function outboxSql(status: string, page: { after: string | null; limit: number | null }): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const conditions = ['m.account_id = $1'];
  const value = (v: unknown) => `$${params.push(v) + 1}`;
  if (status) conditions.push(`m.status = ${value(status)}`);
  if (page.after) conditions.push(`m.id < ${value(page.after)}`);
  const limit = page.limit === null ? '' : ` limit ${value(page.limit + 1)}`;
  return { sql: `select ${ROW_COLUMNS} from email_message m ${JOINS} where ${conditions.join(' and ')} order by m.id desc${limit}`, params };
}

export async function outboxPage(em: EntityManager, accountId: string, status: string, page: { after: string | null; limit: number }): Promise<{ rows: OutboxRow[]; next: string | null }> {
  const { sql, params } = outboxSql(status, page);
  const { rows } = await withClient(em, (client) => client.query<OutboxRow>(sql, [accountId, ...params]));
  const more = rows.length > page.limit;
  const shown = more ? rows.slice(0, page.limit) : rows;
  return { rows: shown, next: more ? shown[shown.length - 1]!.id : null };
}

/** Every email of a status ('' for all), newest first, in batches. */
export function outboxBatchesOn(client: pg.ClientBase, accountId: string, status: string): AsyncGenerator<OutboxRow[]> {
  const { sql, params } = outboxSql(status, { after: null, limit: null });
  return cursorBatchesOn<OutboxRow>(client, sql, [accountId, ...params]);
}

export async function outboxEmail(em: EntityManager, accountId: string, id: string): Promise<OutboxEmail | null> {
  const { rows } = await withClient(em, (client) =>
    client.query<OutboxEmail>(`select ${ROW_COLUMNS}, m.text_body, m.html_body, m.smtp_message_id from email_message m ${JOINS} where m.account_id = $1 and m.id = $2`, [accountId, id]),
  );
  return rows[0] ?? null;
}

/** The contact a template is previewed for: the one whose id, phone (E.164) or email (stored in
 * lower case) was typed, or without one the newest contact with an email address (else the
 * newest contact). */
export async function previewContact(em: EntityManager, accountId: string, typed: { id: string | null; phone: string | null; email: string | null }): Promise<ContactRow | null> {
  const columns = `c.id::text, c.account_id, c.phone, c.first_name, c.last_name, c.email, c.fields`;
  const given = typed.id || typed.phone || typed.email;
  const sql = given
    ? `select ${columns} from contact c where c.account_id = $1 and (c.id = $2::bigint or c.phone = $3 or c.email = lower($4)) order by c.id = $2::bigint desc, c.id desc limit 1`
    : `(select ${columns} from contact c where c.account_id = $1 and c.email is not null order by c.id desc limit 1)
       union all (select ${columns} from contact c where c.account_id = $1 order by c.id desc limit 1) limit 1`;
  const params = given ? [accountId, typed.id, typed.phone, typed.email] : [accountId];
  const { rows } = await withClient(em, (client) => client.query<ContactRow>(sql, params));
  return rows[0] ?? null;
}

/** The names of the programs with a step that sends this template (which keeps it from being
 * deleted). */
export async function programsUsingTemplate(em: EntityManager, accountId: string, templateId: string): Promise<string[]> {
  const rows = await em.getConnection().execute<{ name: string }[]>(
    `select distinct p.name from automation_step s join automation_program p on p.account_id = s.account_id and p.id = s.program_id
     where s.account_id = ? and s.email_template_id = ? order by p.name`,
    [accountId, templateId],
  );
  return rows.map((row) => row.name);
}
