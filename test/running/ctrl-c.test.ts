// Ctrl-C on `npm start` in a terminal: the terminal signals the whole process group, npm forwards
// the signal too, and Textcast must take all that as one request to stop gracefully.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, eventually } from '../helper.js';
import { npmStart, pressCtrlC, killGroup, waitForHealth, requestInFlight, clusterOf, postgresRunsOn, stopLeftoverPostgres, type Launched } from './helpers.js';

// One DATA_DIR for the file: the first start initialises the cluster, the second reuses it.
// Readable by all, so that as root the server's `postgres` user keeps the cluster inside it.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'textcast-ctrl-c-'));
fs.chmodSync(dataDir, 0o755);
const pgData = () => clusterOf(dataDir);
t.teardown(async () => {
  await stopLeftoverPostgres(pgData());
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function started(t: Test): Promise<{ run: Launched; port: number }> {
  const port = await freePort();
  const run = npmStart(process.cwd(), { DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(await freePort()), HOME: dataDir });
  t.teardown(() => killGroup(run));
  await waitForHealth(port, run, 60_000);
  return { run, port };
}

t.test('Ctrl-C on npm start lets the request in flight finish, stops the database and exits 0', async (t) => {
  const { run, port } = await started(t);
  t.ok(postgresRunsOn(pgData()), 'the embedded PostgreSQL runs');
  const signIn = await requestInFlight(port, run);

  pressCtrlC(run);
  await eventually('the shutdown to begin', () => run.stdout().includes('shutting down'));
  const answer = await signIn.finish();
  t.match(answer, /^HTTP\/1\.1 \d{3} /, 'the sign-in begun before Ctrl-C still gets its answer');
  t.notMatch(answer, / 503 /, 'not a refusal');

  t.same(await run.exited, { code: 0, signal: null }, 'npm start exits 0');
  t.match(run.stdout(), 'Textcast stopped cleanly');
  t.notMatch(run.stderr(), 'second signal', 'the signals of one Ctrl-C count once');
  t.notOk(postgresRunsOn(pgData()), 'the embedded PostgreSQL is stopped');
  t.notOk(fs.existsSync(path.join(pgData(), 'postmaster.pid')), 'and left no pid file');
});

t.test('a second Ctrl-C more than a second after the first stops at once, without waiting for the drain', async (t) => {
  const { run, port } = await started(t);
  await requestInFlight(port, run); // never finished: the drain waits for it

  pressCtrlC(run);
  await eventually('the shutdown to begin', () => run.stdout().includes('shutting down'));
  // The rule under test is about time: a signal within a second is the same Ctrl-C.
  await sleep(1200);
  t.ok(run.child.exitCode === null && run.child.signalCode === null, 'a second after Ctrl-C it is still draining');

  pressCtrlC(run);
  const { code } = await run.exited;
  t.equal(code, 130, 'exits 130 at once');
  t.match(run.stderr(), 'textcast: second signal, exiting at once');
  t.notMatch(run.stdout(), 'stopped cleanly');
});
