// What tests of the real process need: start it (as `npm start` from a terminal, or plain node),
// wait until it answers, press Ctrl-C, and see whether its embedded PostgreSQL still runs.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { eventually } from '../helper.js';

export interface Launched {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function launch(command: string, args: string[], options: { env: Record<string, string>; cwd?: string; detached?: boolean }): Launched {
  let stdout = '';
  let stderr = '';
  const child = spawn(command, args, { cwd: options.cwd, detached: options.detached, env: { PATH: process.env.PATH!, HOST: '127.0.0.1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** `npm start` in `cwd`, in a process group of its own, as a terminal starts a command. */
export function npmStart(cwd: string, env: Record<string, string>): Launched {
  return launch('npm', ['start'], { cwd, env: { LOG_LEVEL: 'info', ...env }, detached: true });
}

/** Ctrl-C in that terminal: SIGINT to every process of the group (npm and the app alike). */
export function pressCtrlC(run: Launched) {
  process.kill(-run.child.pid!, 'SIGINT');
}

/** For teardowns: whatever is left of the group dies. */
export function killGroup(run: Launched) {
  try {
    process.kill(-run.child.pid!, 'SIGKILL');
  } catch {
    // gone already
  }
}

export async function waitForHealth(port: number, run: Launched, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  return eventually(
    'the server to become healthy',
    async () => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (response.ok) return (await response.json()) as Record<string, unknown>;
      } catch {
        // not listening yet
      }
      if (run.child.exitCode !== null) throw new Error(`exited early: ${run.stdout()} ${run.stderr()}`);
      return null;
    },
    { timeoutMs },
  );
}

/** A sign-in the server has begun to read but not finished: its form body is half sent. The
 * server logs it as an incoming request; `finish()` sends the rest and resolves with the status
 * line of the answer ('' when the connection closes without one). */
export async function requestInFlight(port: number, run: Launched): Promise<{ finish: () => Promise<string> }> {
  const body = 'email=nobody%40example.com&password=not+this+one';
  const socket = net.connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(
    `POST /login HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`,
  );
  await eventually('the server to begin the request', () => /"url":"\/login".*"msg":"incoming request"/.test(run.stdout()));
  return {
    finish: async () => {
      socket.end(body.slice(10));
      await closed;
      return answer.split('\r\n')[0];
    },
  };
}

/** Where the embedded server keeps DATA_DIR's cluster (see src/db/embedded-postgres.ts). */
export function clusterOf(dataDir: string): string {
  const record = path.join(dataDir, 'pg-location');
  return fs.existsSync(record) ? fs.readFileSync(record, 'utf8').trim() : path.join(dataDir, 'pg');
}

/** The pid of the PostgreSQL server running on that cluster, if any (from /proc: no `ps` needed). */
function postmasterOf(pgData: string): number | undefined {
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (path.basename(args[0]) === 'postgres' && args[args.indexOf('-D') + 1] === pgData) return Number(pid);
    } catch {
      // ended meanwhile
    }
  }
  return undefined;
}

export function postgresRunsOn(pgData: string): boolean {
  return postmasterOf(pgData) !== undefined;
}

/** For teardowns: a server a failed test left running gets a fast shutdown. */
export async function stopLeftoverPostgres(pgData: string) {
  const pid = postmasterOf(pgData);
  if (pid === undefined) return;
  process.kill(pid, 'SIGINT');
  await eventually('the left-over PostgreSQL server to stop', () => !postgresRunsOn(pgData));
}
