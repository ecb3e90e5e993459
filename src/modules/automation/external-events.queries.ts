// External events and their triggers, in SQL: inbound keywords record their triggers inside the
// inbound processor's transaction (one statement on its client for a batch of messages), the
// trigger API records a batch of up to 1,000 in one statement too, and an event is created once by
// name (the unique index decides between two creators). The events page's lists are keyset pages.
// Every statement is scoped by the account id.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { withClient } from '../../db/raw-client.js';
import { cursorBatchesOn } from '../../db/cursor.js';
import { escapeLike } from '../../db/like.js';

/** The id of the account's external event of this name, created when missing (inside the
 * caller's transaction when `em` is in one, so a refused inbound event leaves none behind). */
export async function ensureExternalEvent(em: EntityManager, accountId: string, name: string, source: 'inbound' | 'api'): Promise<string> {
  const rows = await em.getConnection().execute<{ id: string }[]>(
    `insert into external_event (id, account_id, name, source, created_at) values (gen_random_uuid(), ?, ?, ?, now())
     on conflict (account_id, name) do update set name = excluded.name returning id`,
    [accountId, name, source],
    'all',
    em.getTransactionContext(),
  );
  return rows[0]!.id;
}

/** One occurrence of an event for a contact (or none), with its data. */
export interface Trigger {
  accountId: string;
  eventId: string;
  contactId: string | null;
  data: Record<string, unknown>;
}

/** Records occurrences of events (one statement for the lot, in order). */
export async function recordTriggersOn(client: pg.ClientBase, triggers: Trigger[]): Promise<void> {
  if (!triggers.length) return;
  await client.query({
    name: 'event-triggers-record',
    text: `insert into event_trigger (account_id, event_id, contact_id, data)
     select v.account_id, v.event_id, v.contact_id, v.data from unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::jsonb[]) with ordinality as v(account_id, event_id, contact_id, data, position)
     order by v.position`,
    values: [triggers.map((t) => t.accountId), triggers.map((t) => t.eventId), triggers.map((t) => t.contactId), triggers.map((t) => JSON.stringify(t.data))],
  });
}

// --- The external events page ------------------------------------------------------------------

/** An event as the events list shows it, with its trigger count and latest trigger. Times are
 * PostgreSQL's text (MikroORM's connections leave timestamps unparsed). */
export interface ListedEvent {
  id: string;
  name: string;
  source: 'inbound' | 'api';
  created_at: string;
  trigger_count: number;
  last_trigger_at: string | null;
}

export interface Page<T> {
  rows: T[];
  /** The cursor of the next page: the id of this page's last row. */
  next: string | null;
}

function pageOf<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const shown = rows.slice(0, limit);
  return { rows: shown, next: rows.length > limit ? shown[shown.length - 1]!.id : null };
}

/** The account's events by name (a name search matches anywhere, not case-sensitive), a page after
 * the event `after`. Counting a busy event's triggers reads only the (account, event, at) index. */
export async function eventsPage(em: EntityManager, accountId: string, filters: { q: string; after: string | null; limit: number }): Promise<Page<ListedEvent>> {
  const params: unknown[] = [accountId];
  const value = (v: unknown) => `$${params.push(v)}`;
  const conditions = ['e.account_id = $1'];
  if (filters.q) conditions.push(`e.name ilike ${value(`%${escapeLike(filters.q)}%`)}`);
  if (filters.after) conditions.push(`(e.name, e.id) > (select name, id from external_event where account_id = $1 and id = ${value(filters.after)})`);
  const { rows } = await withClient(em, (client) =>
    client.query<ListedEvent>(
      `select e.id, e.name, e.source, e.created_at, t.trigger_count, t.last_trigger_at from external_event e
       cross join lateral (select count(*)::int as trigger_count, max(at) as last_trigger_at from event_trigger where account_id = e.account_id and event_id = e.id) t
       where ${conditions.join(' and ')} order by e.name, e.id limit ${value(filters.limit + 1)}`,
      params,
    ),
  );
  return pageOf(rows, filters.limit);
}

/** A trigger as the event page and its CSV show it, with its contact as it is now (null once
 * erased or never known). */
export interface ListedTrigger {
  id: string;
  contact_id: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  data: Record<string, unknown>;
  at: string;
  processed_at: string | null;
}

/** The triggers of one event, newest first, after the trigger `after` (all of them: limit null). */
function triggersSql(page: { after: string | null; limit: number | null }): string {
  const after = page.after ? ' and (t.at, t.id) < (select at, id from event_trigger where account_id = $1 and id = $3)' : '';
  const limit = page.limit === null ? '' : ` limit ${page.limit + 1}`;
  return `select t.id::text, t.contact_id::text, c.phone, c.first_name, c.last_name, t.data, t.at, t.processed_at from event_trigger t
    left join contact c on c.account_id = t.account_id and c.id = t.contact_id
    where t.account_id = $1 and t.event_id = $2${after} order by t.at desc, t.id desc${limit}`;
}

export async function triggersPage(em: EntityManager, accountId: string, eventId: string, page: { after: string | null; limit: number }): Promise<Page<ListedTrigger>> {
  const params = page.after ? [accountId, eventId, page.after] : [accountId, eventId];
  const { rows } = await withClient(em, (client) => client.query<ListedTrigger>(triggersSql(page), params));
  return pageOf(rows, page.limit);
}

/** Every trigger of one event, newest first, in batches (the CSV download). */
export const triggerBatchesOn = (client: pg.ClientBase, accountId: string, eventId: string) =>
  cursorBatchesOn<ListedTrigger>(client, triggersSql({ after: null, limit: null }), [accountId, eventId]);
