// The SQL of the Inbound SMS tab's two lists: "Unsubscribed using STOP keyword" (the opt-out
// messages) and the SMS inbox (messages shown in the inbox, and those an operator must see:
// unroutable and failed ones). Both are newest first, paged by keyset on (received_at, id) over
// a partial index that holds only their rows, and exported as CSV from the same statement through
// a cursor. Each row carries its contact (by phone, as it is now), its inbound number and the
// latest campaign sent to that phone before the reply: an estimate, since a reply does not say
// which message it answers. Every statement is scoped by the account id.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { withClient } from '../../db/raw-client.js';
import { cursorBatchesOn } from '../../db/cursor.js';
import { escapeLike } from '../../db/like.js';
import { isUuid } from '../../db/find.js';

export const INBOX_STATES = ['all', 'unhandled', 'handled', 'problems'] as const;
export type InboxState = (typeof INBOX_STATES)[number];

export interface StopFilters {
  /** Replies at or after this moment (the start of the "from" day in the account's zone). */
  since: Date | null;
  /** Replies before this moment (the end of the "to" day). */
  before: Date | null;
  numberId: string | null;
}

export interface InboxFilters {
  q: string;
  state: InboxState;
}

/** What both lists show of a message. Times are PostgreSQL's text (MikroORM's connections leave
 * timestamps unparsed); formatTime and the CSV read them as they are. */
interface ListedMessage {
  id: string;
  phone: string | null;
  from_raw: string;
  contact_id: string | null;
  first_name: string | null;
  last_name: string | null;
  inbound_number: string;
  received_at: string;
  /** The latest campaign sent to the phone before the message (an estimate). */
  campaign_id: string | null;
  campaign_name: string | null;
  campaign_sent_at: string | null;
}

export interface StopRow extends ListedMessage {
  keyword: string | null;
}

export interface InboxRow extends ListedMessage {
  text: string;
  captured_email: string | null;
  status: 'received' | 'processed' | 'failed' | 'unroutable';
  error: string | null;
  handled_at: string | null;
  handled_by: string | null;
}

export interface Page<T> {
  rows: T[];
  /** The cursor of the next (older) page: the id of this page's last row. */
  next: string | null;
}

/** A statement's text with `$n` placeholders, and their values ($1 is the account). */
class Statement {
  readonly params: unknown[];
  readonly conditions: string[] = [];

  constructor(accountId: string) {
    this.params = [accountId];
  }

  /** A placeholder for `value`. */
  value(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  where(condition: string): void {
    this.conditions.push(condition);
  }
}

const LISTED_COLUMNS = `i.id::text, i.phone, i.from_raw, c.id::text as contact_id, c.first_name, c.last_name, coalesce(n.number, i.to_number) as inbound_number, i.received_at,
  latest.campaign_id, k.name as campaign_name, latest.sent_at as campaign_sent_at`;

/** The one rule for "which campaign does this reply answer": the latest campaign message sent to
 * the reply's phone at or before it arrived (an estimate: a reply does not say which message it
 * answers). A join for a statement over inbound_message `i`, giving `latest.campaign_id` and
 * `latest.sent_at` (null when none was sent before): one probe of
 * message_campaign_phone_sent_index per reply. The STOP list and the inbox show it; reporting
 * attributes STOP replies to campaigns by it. */
export const LATEST_CAMPAIGN_BEFORE_REPLY = `left join lateral (
    select m.campaign_id, m.sent_at from message m
    where m.account_id = i.account_id and m.phone = i.phone and m.campaign_id is not null and m.sent_at is not null and m.sent_at <= i.received_at
    order by m.sent_at desc limit 1) latest on true`;

// The contact as it is now (a contact created or erased since shows so), the number the message
// came to, and the latest campaign sent before it.
const LISTED_JOINS = `left join contact c on c.account_id = i.account_id and c.phone = i.phone
  left join inbound_number n on n.account_id = i.account_id and n.id = i.inbound_number_id
  ${LATEST_CAMPAIGN_BEFORE_REPLY}
  left join campaign k on k.account_id = i.account_id and k.id = latest.campaign_id`;

const STOP_COLUMNS = `${LISTED_COLUMNS}, i.keyword`;
const INBOX_COLUMNS = `${LISTED_COLUMNS}, coalesce(i.inbox_text, i.body) as text, i.captured_email, i.status, i.error, i.handled_at, i.handled_by`;

/** The predicates of the partial indexes (inbound_message_stop_list_index, _inbox_index). The
 * STOP list's is also reporting's "STOP replies": opt-outs by keyword. */
export const IN_STOP_LIST = `i.classification = 'opt_out'`;
const IN_INBOX = `(i.in_inbox or i.status in ('unroutable', 'failed'))`;

function stopStatement(accountId: string, filters: StopFilters): Statement {
  const statement = new Statement(accountId);
  statement.where(IN_STOP_LIST);
  if (filters.since) statement.where(`i.received_at >= ${statement.value(filters.since)}`);
  if (filters.before) statement.where(`i.received_at < ${statement.value(filters.before)}`);
  if (filters.numberId) statement.where(isUuid(filters.numberId) ? `i.inbound_number_id = ${statement.value(filters.numberId)}` : 'false');
  return statement;
}

function inboxStatement(accountId: string, filters: InboxFilters): Statement {
  const statement = new Statement(accountId);
  statement.where(IN_INBOX);
  if (filters.state === 'handled') statement.where('i.handled_at is not null');
  if (filters.state === 'unhandled') statement.where('i.handled_at is null');
  if (filters.state === 'problems') statement.where(`i.status in ('unroutable', 'failed')`);
  const q = filters.q.trim();
  if (q) {
    // Anywhere in the text, or in the sender as typed or as E.164 (a few hundred rows a day per
    // account: no index needed for a contains search).
    const pattern = statement.value(`%${escapeLike(q)}%`);
    statement.where(`(coalesce(i.inbox_text, i.body) ilike ${pattern} or i.from_raw like ${pattern} or i.phone like ${pattern})`);
  }
  return statement;
}

/** The statement's rows, newest first: a page after a cursor, or all of them (limit null). */
function selectSql(statement: Statement, columns: string, page: { after?: string | null; limit: number | null; id?: string }): string {
  const conditions = ['i.account_id = $1', ...statement.conditions];
  if (page.id) conditions.push(`i.id = ${statement.value(page.id)}`);
  if (page.after) conditions.push(`(i.received_at, i.id) < (select received_at, id from inbound_message where account_id = $1 and id = ${statement.value(page.after)})`);
  const limit = page.limit === null ? '' : ` limit ${statement.value(page.limit + 1)}`;
  return `select ${columns} from inbound_message i ${LISTED_JOINS} where ${conditions.join(' and ')} order by i.received_at desc, i.id desc${limit}`;
}

async function pageOf<T extends { id: string }>(em: EntityManager, statement: Statement, columns: string, page: { after: string | null; limit: number }): Promise<Page<T>> {
  const sql = selectSql(statement, columns, page);
  const { rows } = await withClient(em, (client) => client.query<T>(sql, statement.params));
  const more = rows.length > page.limit;
  const shown = more ? rows.slice(0, page.limit) : rows;
  return { rows: shown, next: more ? shown[shown.length - 1]!.id : null };
}

export const stopPage = (em: EntityManager, accountId: string, filters: StopFilters, page: { after: string | null; limit: number }) =>
  pageOf<StopRow>(em, stopStatement(accountId, filters), STOP_COLUMNS, page);

export const inboxPage = (em: EntityManager, accountId: string, filters: InboxFilters, page: { after: string | null; limit: number }) =>
  pageOf<InboxRow>(em, inboxStatement(accountId, filters), INBOX_COLUMNS, page);

/** One row of the inbox (after a change to it), or null when it is not in the inbox. */
export async function inboxRow(em: EntityManager, accountId: string, id: string): Promise<InboxRow | null> {
  const statement = inboxStatement(accountId, { q: '', state: 'all' });
  const sql = selectSql(statement, INBOX_COLUMNS, { id, limit: 1 });
  const { rows } = await withClient(em, (client) => client.query<InboxRow>(sql, statement.params));
  return rows[0] ?? null;
}

/** Every row of the STOP list's filters, in batches. */
export const stopBatchesOn = (client: pg.ClientBase, accountId: string, filters: StopFilters) => {
  const statement = stopStatement(accountId, filters);
  return cursorBatchesOn<StopRow>(client, selectSql(statement, STOP_COLUMNS, { limit: null }), statement.params);
};

/** Every row of the inbox's filters, in batches. */
export const inboxBatchesOn = (client: pg.ClientBase, accountId: string, filters: InboxFilters) => {
  const statement = inboxStatement(accountId, filters);
  return cursorBatchesOn<InboxRow>(client, selectSql(statement, INBOX_COLUMNS, { limit: null }), statement.params);
};

/** How many of the account's messages wait for the processor (the lists follow them until none). */
export async function countWaiting(em: EntityManager, accountId: string): Promise<number> {
  const [row] = await em.getConnection().execute<{ n: number }[]>(`select count(*)::int as n from inbound_message where account_id = ? and status = 'received'`, [accountId]);
  return row?.n ?? 0;
}

/** Marks an inbox message handled (by `actor`) or not handled. False when it is not in the inbox. */
export async function setHandled(em: EntityManager, accountId: string, id: string, handled: boolean, actor: string): Promise<boolean> {
  const changed = await em.getConnection().execute<{ id: string }[]>(
    `update inbound_message i set handled_at = case when ? then coalesce(handled_at, now()) end, handled_by = case when ? then coalesce(handled_by, ?) end
     where account_id = ? and id = ? and ${IN_INBOX} returning id`,
    [handled, handled, actor, accountId, id],
  );
  return changed.length > 0;
}

/** Gives a failed message to the processor again, from its first attempt. False when it is not failed. */
export async function retryFailed(em: EntityManager, accountId: string, id: string): Promise<boolean> {
  const changed = await em.getConnection().execute<{ id: string }[]>(
    `update inbound_message set status = 'received', attempts = 0, claimed_at = null, error = null where account_id = ? and id = ? and status = 'failed' returning id`,
    [accountId, id],
  );
  return changed.length > 0;
}
