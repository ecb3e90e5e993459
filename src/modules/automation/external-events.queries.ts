// External events and their triggers, in SQL: inbound keywords record their triggers inside the
// inbound processor's transaction (one statement on its client for a batch of messages), and an
// event is created once by name (the unique index decides between two creators).
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';

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
