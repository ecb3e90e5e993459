// A raw node-postgres client from the ORM's own pool, for the set-based work the ORM is not made
// for: COPY, temporary staging tables, multi-statement transactions over millions of rows.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';

interface KnexClient {
  acquireConnection(): Promise<pg.Client>;
  releaseConnection(connection: pg.Client): Promise<void>;
}

export async function withClient<T>(em: EntityManager, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const knexClient = em.getConnection().getKnex().client as KnexClient;
  const client = await knexClient.acquireConnection();
  try {
    return await fn(client);
  } finally {
    await knexClient.releaseConnection(client);
  }
}

/** Runs `fn` on the connection of `em`'s transaction, so its SQL commits (or rolls back) with the
 * entity work around it; outside a transaction, on a connection of the pool. */
export async function withTransactionClient<T>(em: EntityManager, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const transaction = em.getTransactionContext<{ client: KnexClient }>();
  return transaction ? fn(await transaction.client.acquireConnection()) : withClient(em, fn);
}

/** Runs `fn` in one transaction on a raw client: all of it happens, or none of it. */
export async function inTransaction<T>(em: EntityManager, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(em, async (client) => {
    await client.query('begin');
    try {
      const result = await fn(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    }
  });
}
