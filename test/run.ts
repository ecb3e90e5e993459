// `npm test` after the type check: one PostgreSQL for the whole run (the embedded server in
// .test-data, or DATABASE_URL's server when set), a migrated template database that each test
// file clones into a fresh database of its own, then tap over every test file.
// Ends with the plain line "N passed, M failed" (CI counts tests from it).
import path from 'node:path';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { openOrm, migrate } from '../src/orm.js';

// Names carry this run's pid, so two runs on one server (a developer's and an editor's) do not
// drop each other's databases; databases of runs that are no longer alive are cleaned up.
const TEMPLATE = `tc_tpl_${process.pid}`;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function serverUrl(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.DATABASE_URL) {
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = '/postgres';
    return { url: url.toString(), stop: async () => {} };
  }
  const server = await startEmbeddedPostgres(path.resolve(process.env.TEST_DATA_DIR ?? '.test-data'), Number(process.env.TEST_PG_PORT ?? 5544), (line) => console.log(line), 'test');
  return { url: server.serverUrl, stop: server.stop };
}

async function prepareTemplate(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Databases left behind by an interrupted earlier run.
  const leftovers = await client.query(`select datname from pg_database where datname ~ '^tc_(tpl_|t)[0-9]+'`);
  for (const { datname } of leftovers.rows as { datname: string }[]) {
    const pid = Number(/^tc_(?:tpl_|t)(\d+)/.exec(datname)![1]);
    if (pid === process.pid || !alive(pid)) await client.query(`drop database if exists "${datname}" with (force)`);
  }
  await client.query(`create database "${TEMPLATE}"`);
  await client.end();
  const templateUrl = new URL(url);
  templateUrl.pathname = '/' + TEMPLATE;
  const orm = await openOrm(templateUrl.toString(), 2);
  await migrate(orm);
  await orm.close();
}

const server = await serverUrl();
let code = 1;
try {
  await prepareTemplate(server.url);
  const args = process.argv.slice(2);
  const tap = spawn('npx', ['tap', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TEST_SERVER_URL: server.url, TEST_TEMPLATE_DB: TEMPLATE, TEST_RUN_ID: String(process.pid) },
  });
  let output = '';
  tap.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  });
  code = await new Promise<number>((resolve) => tap.on('close', (exit) => resolve(exit ?? 1)));
  const summary = /# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?(?:, skip: (\d+))?/.exec(output);
  if (summary) {
    const [, , pass, fail = '0', skip] = summary;
    console.log(`${pass} passed, ${fail} failed${skip ? `, ${skip} skipped` : ''}`);
  }
} finally {
  await server.stop();
}
process.exit(code);
