// Fixtures for external events: an account with an API key and contacts made in one statement,
// events and programs made as the pages and the program editor would leave them, and the triggers
// as stored.
import type { FastifyInstance } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import { withAccount } from '../../src/db/tenant.js';
import type { Account } from '../../src/modules/accounts/account.entity.js';
import { ExternalEvent } from '../../src/modules/automation/external-event.entity.js';
import { Program } from '../../src/modules/automation/program.entity.js';
import { query } from '../sending/helpers.js';

/** The phone of the n-th contact made by `addContacts` (n from 1). */
export const phoneOf = (n: number) => `+3361${String(n).padStart(7, '0')}`;

/** `count` contacts, n = 1..count: phone phoneOf(n), email contact<n>@example.com, custom field
 * customer_no "C<n>"; their ids by n. */
export async function addContacts(orm: MikroORM, account: Account, count: number): Promise<string[]> {
  const rows = await query<{ id: string }>(
    orm,
    `insert into contact (account_id, phone, country, email, fields, first_name)
     select ?, '+3361' || lpad(g::text, 7, '0'), 'FR', 'contact' || g || '@example.com', jsonb_build_object('customer_no', 'C' || g), 'Contact' || g
     from generate_series(1, ?) g order by g returning id::text`,
    [account.id, count],
  );
  return rows.map((row) => row.id);
}

export async function addEvent(orm: MikroORM, account: Account, name: string, source: 'api' | 'inbound' = 'api'): Promise<ExternalEvent> {
  const em = withAccount(orm.em.fork(), account.id);
  const event = em.create(ExternalEvent, { account: account.id, name, source });
  await em.flush();
  return event;
}

/** A program that starts on the event, as the program editor would save it. */
export async function addProgram(orm: MikroORM, account: Account, event: ExternalEvent, name: string): Promise<Program> {
  const em = withAccount(orm.em.fork(), account.id);
  const program = em.create(Program, { account: account.id, name, event: event.id });
  await em.flush();
  return program;
}

export interface StoredTrigger {
  contact_id: string | null;
  data: Record<string, unknown>;
  processed_at: string | null;
}

/** The event's triggers as stored, in the order they were recorded. */
export const triggersOf = (orm: MikroORM, eventId: string) =>
  query<StoredTrigger>(orm, 'select contact_id::text, data, processed_at from event_trigger where event_id = ? order by id', [eventId]);

/** An API v2 call with a Bearer key; `payload` as a value, or text written by hand. */
export function apiCall(app: FastifyInstance, key: string) {
  return (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
}
