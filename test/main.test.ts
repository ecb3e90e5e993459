// The real process, as an operator runs it: first start, restart, graceful shutdown, and the one
// clear line for bad configuration.
import t from 'tap';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase, freePort } from './helper.js';
import { launch, waitForHealth } from './running/helpers.js';

function start(env: Record<string, string>) {
  return launch(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { HOME: os.tmpdir(), DATA_DIR: path.join(os.tmpdir(), 'textcast-main-test'), LOG_LEVEL: 'warn', ...env },
  });
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

t.test('the first start creates the owner and prints the login once; a restart reuses the data', async (t) => {
  const databaseUrl = await createTestDatabase(t);
  const port = await freePort();
  const first = start({ DATABASE_URL: databaseUrl, PORT: String(port) });
  t.teardown(() => first.child.kill('SIGKILL'));
  const health = await waitForHealth(port, first);
  t.match(health, { status: 'ok', database: 'ok', scheduler: { status: 'running', backend: 'postgres' } });
  t.match(first.stdout(), /email: +owner@textcast\.local/);
  t.match(first.stdout(), /password: +\S{12,}/);

  // A job holds its lock while it runs; a graceful stop must leave none behind.
  await new Promise((resolve) => setTimeout(resolve, 500));
  first.child.kill('SIGTERM');
  t.equal((await first.exited).code, 0, 'a normal stop exits 0');
  t.equal(first.stderr().trim(), '', 'and prints no error');
  const locked = await query<{ name: string }>(databaseUrl, 'select name from agenda_jobs where locked_at is not null');
  t.same(locked, [], 'no Agenda job is left locked');
  t.ok((await query(databaseUrl, "select 1 from agenda_jobs where name = 'housekeeping'")).length, 'the housekeeping job is scheduled');

  const second = start({ DATABASE_URL: databaseUrl, PORT: String(port) });
  t.teardown(() => second.child.kill('SIGKILL'));
  await waitForHealth(port, second);
  t.notMatch(second.stdout(), 'password:', 'the login is not printed again');
  const users = await query<{ n: string }>(databaseUrl, 'select count(*) as n from app_user');
  t.equal(users[0].n, '1', 'exactly one owner');
  second.child.kill('SIGINT');
  t.equal((await second.exited).code, 0);
});

t.test('TEXTCAST_ADMIN_EMAIL and TEXTCAST_ADMIN_PASSWORD choose the first login', async (t) => {
  const databaseUrl = await createTestDatabase(t);
  const port = await freePort();
  const run = start({ DATABASE_URL: databaseUrl, PORT: String(port), TEXTCAST_ADMIN_EMAIL: 'boss@example.com', TEXTCAST_ADMIN_PASSWORD: 'a chosen password' });
  t.teardown(() => run.child.kill('SIGKILL'));
  await waitForHealth(port, run);
  t.match(run.stdout(), 'boss@example.com');
  t.notMatch(run.stdout(), 'a chosen password', 'a chosen password is never printed');
  run.child.kill('SIGTERM');
  t.equal((await run.exited).code, 0);
});

t.test('bad configuration ends start-up with one clear line and a non-zero exit code', async (t) => {
  const databaseUrl = await createTestDatabase(t);
  const cases: [string, Record<string, string>, RegExp][] = [
    ['a non-numeric PORT', { PORT: 'eighty', DATABASE_URL: databaseUrl }, /^textcast: PORT must be a whole number, got "eighty"$/],
    ['a malformed DATABASE_URL', { DATABASE_URL: 'not a url' }, /^textcast: DATABASE_URL is not a valid URL: "not a url"$/],
    ['a DATABASE_URL of another kind', { DATABASE_URL: 'mysql://db/x' }, /^textcast: DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//],
    ['an unknown ROLE', { ROLE: 'boss', DATABASE_URL: databaseUrl }, /^textcast: ROLE must be web, worker or all/],
    ['an unreachable database', { DATABASE_URL: 'postgres://user:hunter2@127.0.0.1:1/textcast' }, /^textcast: cannot reach the database at postgres:\/\/user:\*\*\*@127\.0\.0\.1:1\/textcast/],
  ];
  for (const [what, env, message] of cases) {
    const run = start(env);
    const { code } = await run.exited;
    t.not(code, 0, `${what}: non-zero exit`);
    const lines = run.stderr().trim().split('\n');
    t.equal(lines.length, 1, `${what}: one line`);
    t.match(lines[0], message, `${what}: says what is wrong`);
    t.notMatch(run.stderr(), 'hunter2', 'never prints a password');
  }
});

t.test('a port already in use ends start-up with one clear line', async (t) => {
  const databaseUrl = await createTestDatabase(t);
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as net.AddressInfo).port;
  const run = start({ DATABASE_URL: databaseUrl, PORT: String(port) });
  t.equal((await run.exited).code, 1);
  t.equal(run.stderr().trim(), `textcast: port ${port} is already in use (set PORT to another port)`);
});
