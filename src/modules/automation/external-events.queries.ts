// External events and their triggers, in SQL: an inbound keyword records a trigger inside the
// inbound processor's transaction (one statement on its client), and an event is created once by
// name (the unique index decides between two creators).
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

/** Records one occurrence of an event for a contact (or none), with its data. */
export async function recordTriggerOn(client: pg.ClientBase, accountId: string, eventId: string, contactId: string | null, data: Record<string, unknown>): Promise<void> {
  await client.query('insert into event_trigger (account_id, event_id, contact_id, data) values ($1, $2, $3, $4)', [accountId, eventId, contactId, JSON.stringify(data)]);
}
