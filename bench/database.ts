// A fresh, migrated database for one benchmark run: on the embedded server in .bench-data
// (port 5545), or on DATABASE_URL's server when set. close() drops it and stops the server.
import crypto from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { startEmbeddedPostgres, type RunningDatabase } from '../src/db/embedded-postgres.js';
import { openOrm, migrate } from '../src/orm.js';

export interface BenchDatabase {
  url: string;
  orm: MikroORM;
  close(): Promise<void>;
}

async function startServer(log: (line: string) => void): Promise<RunningDatabase> {
  if (process.env.DATABASE_URL) {
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = '/postgres';
    return { serverUrl: url.toString(), stop: async () => {} };
  }
  return startEmbeddedPostgres(path.resolve('.bench-data'), Number(process.env.BENCH_PG_PORT ?? 5545), log);
}

async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function openBenchDatabase(log: (line: string) => void, poolMax?: number): Promise<BenchDatabase> {
  const server = await startServer(log);
  const name = `tc_bench_${crypto.randomBytes(6).toString('hex')}`;
  const url = new URL(server.serverUrl);
  url.pathname = '/' + name;
  let created = false;
  let orm: MikroORM | undefined;
  const close = async () => {
    await orm?.close().catch((error) => log(`closing the ORM failed: ${error}`));
    if (created) await admin(server.serverUrl, `drop database if exists "${name}" with (force)`).catch((error) => log(`dropping ${name} failed: ${error}`));
    await server.stop();
  };
  try {
    await admin(server.serverUrl, `create database "${name}"`);
    created = true;
    orm = await openOrm(url.toString(), poolMax);
    await migrate(orm);
    return { url: url.toString(), orm, close };
  } catch (error) {
    await close();
    throw error;
  }
}
