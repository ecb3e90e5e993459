// The backfill of contacts' time zones: contacts written before zones existed (or by a path that
// writes SQL only, the demo seed) have no time_zone_source yet. A poller in every job-running
// process gives them the zone of their number, a batch of 5,000 at a time, each batch one
// transaction that claims its rows with SKIP LOCKED: processes share the work, and a restart
// (or a crash mid-way) simply goes on with the rows still without a source. Until a contact is
// reached its messages use the window open across its country's zones: the safe side.
import type pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Poller } from '../../poller.js';
import { inTransaction } from '../../db/raw-client.js';
import { numberZone } from './time-zones.js';

export const BACKFILL_BATCH = 5_000;

/** Gives up to `limit` contacts without a zone source the zone of their number; answers how many.
 * A number kept as written (bad number) tells no zone. */
export async function backfillTimeZonesOn(client: pg.ClientBase, limit: number = BACKFILL_BATCH): Promise<number> {
  const { rows } = await client.query<{ account_id: string; id: string; phone: string; bad_number: boolean }>(
    `select account_id, id, phone, bad_number from contact where time_zone_source is null limit $1 for update skip locked`,
    [limit],
  );
  if (!rows.length) return 0;
  await client.query(
    `update contact c set time_zone = v.zone, time_zone_source = 'number'
     from unnest($1::uuid[], $2::bigint[], $3::text[]) as v(account_id, id, zone)
     where c.account_id = v.account_id and c.id = v.id and c.time_zone_source is null`,
    [rows.map((r) => r.account_id), rows.map((r) => r.id), rows.map((r) => numberZone(r.bad_number ? null : r.phone))],
  );
  return rows.length;
}

/** How many of an account's contacts still wait for the backfill (the Contacts page says so). */
export async function contactsWithoutZone(em: EntityManager, accountId: string): Promise<number> {
  const rows = await em.getConnection().execute<{ count: string }[]>(`select count(*) from contact where account_id = ? and time_zone_source is null`, [accountId]);
  return Number(rows[0]!.count);
}

/** Looks for contacts without a zone every 30 s, and goes on at once while it finds full batches. */
export class TimeZoneBackfill extends Poller {
  private done = 0;

  constructor(
    private readonly orm: MikroORM,
    log: FastifyBaseLogger,
    private readonly batch: number = BACKFILL_BATCH,
    pollMs = 30_000,
  ) {
    super(log, { what: 'time zone backfill', batch, pollMs });
  }

  async tick(): Promise<number> {
    const count = await inTransaction(this.orm.em.fork(), (client) => backfillTimeZonesOn(client, this.batch));
    if (count) {
      this.done += count;
      // Progress in the log every 100,000 contacts, and when a run of batches ends.
      if (count < this.batch || this.done % 100_000 < count) this.log.info({ contacts: this.done }, 'time zones given to existing contacts');
    }
    return count;
  }
}
