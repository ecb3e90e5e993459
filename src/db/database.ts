// Where the data lives: DATABASE_URL when set, otherwise the embedded server in DATA_DIR with a
// `textcast` database on it. Either way the caller gets one URL and one stop function.
import pg from 'pg';
import type { Config } from '../config.js';
import { ConfigError, redact } from '../config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface Database {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export const EMBEDDED_DATABASE_NAME = 'textcast';

/** Connect once to prove the database answers; turns driver errors into one clear line. */
export async function checkReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new ConfigError(`cannot reach the database at ${redact(url)}: ${(error as Error).message || (error as { code?: string }).code}`);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`create database "${name.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = '/' + name;
  return url.toString();
}

export async function openDatabase(config: Config, log: (line: string) => void): Promise<Database> {
  if (config.databaseUrl) {
    await checkReachable(config.databaseUrl);
    return { url: config.databaseUrl, embedded: false, stop: async () => {} };
  }
  const server = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, log);
  const url = await ensureDatabase(server.serverUrl, EMBEDDED_DATABASE_NAME);
  return { url, embedded: true, stop: server.stop };
}
