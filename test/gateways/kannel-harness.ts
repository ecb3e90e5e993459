// The real Kannel for tests and the benchmark: a kannel.conf with free loopback ports in a temp
// dir, bearerbox and smsbox started from it, and Kannel's fake SMSC (/usr/lib/kannel/test/fakesmsc,
// package kannel-extras) connected as the operator. What fakesmsc receives is read from its log
// ("Got message N: <from to type data>"); what it is given on stdin ("from to text words…") goes
// to Kannel as an SMS from a phone. Without Kannel installed the tests skip, saying so; with
// CI=true they fail (CI installs it: .ci/run).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helper.js';

const BEARERBOX = '/usr/sbin/bearerbox';
const SMSBOX = '/usr/sbin/smsbox';
const FAKESMSC = '/usr/lib/kannel/test/fakesmsc';

export const KANNEL_USER = { username: 'textcast', password: 'kannel-test-pw' };
const STATUS_PASSWORD = 'kannel-status-pw';

/** Why the real Kannel cannot run here, or null when it can. */
export function kannelMissing(): string | null {
  const missing = [BEARERBOX, SMSBOX, FAKESMSC].filter((file) => !fs.existsSync(file));
  return missing.length ? `Kannel is not installed (${missing.join(', ')} missing: apt-get install kannel kannel-extras)` : null;
}

/** tap's `skip` option for a Kannel test: a visible reason without Kannel, none with CI=true
 * (the test then runs and fails, since CI must run it). */
export function skipWithoutKannel(): string | false {
  const missing = kannelMissing();
  return missing && process.env.CI !== 'true' ? `SKIP: ${missing}` : false;
}

/** One message as fakesmsc received it. */
export interface Received {
  from: string;
  to: string;
  /** text, data, ucs-2 or udh (a part of a long message). */
  type: string;
  /** The text: UCS-2 and 8-bit data decoded; for a part, its own text. */
  text: string;
  /** A part's user data header, hex (e.g. 0500030a0301: concatenated, ref 0a, part 1 of 3). */
  udh: string | null;
}

export interface Kannel {
  /** The sendsms URL for a gateway's `url` option. */
  sendsmsUrl: string;
  /** The status page, and its password. */
  statusUrl: string;
  statusPassword: string;
  /** Messages fakesmsc received so far. */
  received(): Received[];
  /** Sends an SMS from a phone through fakesmsc to Kannel. */
  inject(from: string, to: string, text: string): void;
  /** The tail of the boxes' logs, to explain a failure. */
  logs(): string;
  stop(): Promise<void>;
}

export interface KannelOptions {
  /** The sms-service get-url (Kannel's escape codes); none: the service answers nothing. */
  getUrl?: string;
  /** `sink`: fakesmsc only receives (as fast as it can; nothing is recorded or injected). */
  mode?: 'record' | 'sink';
}

function config(ports: { admin: number; smsbox: number; smsc: number; sendsms: number }, getUrl: string | undefined): string {
  // Kannel's configuration is groups of "key = value" lines, separated by blank lines.
  const groups = [
    ['group = core', `admin-port = ${ports.admin}`, 'admin-interface = 127.0.0.1', 'admin-password = kannel-admin-pw', `status-password = ${STATUS_PASSWORD}`, `smsbox-port = ${ports.smsbox}`, 'box-allow-ip = 127.0.0.1', 'dlr-storage = internal', 'log-level = 2'],
    ['group = smsc', 'smsc = fake', 'smsc-id = fake', `port = ${ports.smsc}`, 'connect-allow-ip = 127.0.0.1'],
    // A report that arrives before Textcast has recorded the send (404) is tried again a second later.
    ['group = smsbox', 'bearerbox-host = 127.0.0.1', `bearerbox-port = ${ports.smsbox}`, `sendsms-port = ${ports.sendsms}`, 'sendsms-interface = 127.0.0.1', 'log-level = 2', 'http-request-retry = 5', 'http-queue-delay = 1'],
    ['group = sendsms-user', `username = ${KANNEL_USER.username}`, `password = ${KANNEL_USER.password}`, 'concatenation = true', 'max-messages = 10'],
    getUrl
      ? ['group = sms-service', 'keyword = default', 'catch-all = true', 'max-messages = 0', `get-url = "${getUrl}"`]
      : ['group = sms-service', 'keyword = default', 'catch-all = true', 'max-messages = 0', 'text = ""'],
  ];
  return groups.map((lines) => lines.join('\n')).join('\n\n') + '\n';
}

/** Decodes fakesmsc's url-encoded data (bytes; `+` is a space). */
const bytesOf = (data: string) => {
  const bytes: number[] = [];
  for (let i = 0; i < data.length; i++) {
    if (data[i] === '%') {
      bytes.push(parseInt(data.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(data[i] === '+' ? 0x20 : data.charCodeAt(i));
  }
  return Buffer.from(bytes);
};

/** A fakesmsc log line's message: "from to text words…", "from to ucs-2 <data>", "from to udh <udh> <data>". */
export function parseReceived(line: string): Received {
  const [from = '', to = '', type = '', ...rest] = line.split(' ');
  if (type === 'text') return { from, to, type, text: rest.join(' '), udh: null };
  if (type === 'ucs-2') return { from, to, type, text: bytesOf(rest[0] ?? '').swap16().toString('utf16le'), udh: null };
  if (type === 'udh') {
    // A part of a UCS-2 message says so in the fakesmsc version that knows it; else the data is GSM text as bytes.
    return { from, to, type, text: bytesOf(rest.slice(1).join(' ').replace(/^data /, '')).toString('latin1'), udh: bytesOf(rest[0] ?? '').toString('hex') };
  }
  return { from, to, type, text: bytesOf(rest[0] ?? '').toString('latin1'), udh: null };
}

function startProcess(command: string, args: string[], logFile: string, stdin: 'pipe' | 'ignore' = 'ignore'): ChildProcess {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: [stdin, log, log] });
  fs.closeSync(log);
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the status page shows the fake SMSC online and an smsbox connected. */
async function untilReady(statusUrl: string, what: () => string): Promise<void> {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    const status = await fetch(`${statusUrl}?password=${STATUS_PASSWORD}`).then((r) => r.text(), () => '');
    if (/fake\[fake\]\s+FAKE:\d+ \(online/.test(status) && /smsbox:\S*, IP 127\.0\.0\.1/.test(status)) return;
    await sleep(100);
  }
  throw new Error(`Kannel did not come up within 20 s:\n${what()}`);
}

/** Starts Kannel with fakesmsc; stop() ends them (call it in the test's teardown). */
export async function startKannel(options: KannelOptions = {}): Promise<Kannel> {
  const missing = kannelMissing();
  if (missing) throw new Error(missing);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textcast-kannel-'));
  const ports = { admin: await freePort(), smsbox: await freePort(), smsc: await freePort(), sendsms: await freePort() };
  const file = path.join(dir, 'kannel.conf');
  fs.writeFileSync(file, config(ports, options.getUrl));
  const logOf = (name: string) => path.join(dir, `${name}.log`);
  const children: ChildProcess[] = [];
  const logs = () => ['bearerbox', 'smsbox', 'fakesmsc'].map((name) => `--- ${name}\n${fs.existsSync(logOf(name)) ? fs.readFileSync(logOf(name), 'utf8').split('\n').slice(-30).join('\n') : ''}`).join('\n');
  const statusUrl = `http://127.0.0.1:${ports.admin}/status.txt`;
  const stop = async () => {
    for (const child of children.reverse()) await stopProcess(child);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    children.push(startProcess(BEARERBOX, [file], logOf('bearerbox')));
    await sleep(300);
    children.push(startProcess(SMSBOX, [file], logOf('smsbox')));
    // `record`: interactive fakesmsc (reads MO lines from stdin) with its debug log (what it got);
    // `sink`: sends nothing (-m 0) and reads as fast as Kannel sends, logging only warnings.
    const fakeArgs = options.mode === 'sink' ? ['-H', '127.0.0.1', '-r', String(ports.smsc), '-m', '0', '-v', '2', '0 0 text unused'] : ['-H', '127.0.0.1', '-r', String(ports.smsc), '-i', '0.1'];
    const fakesmsc = startProcess(FAKESMSC, fakeArgs, logOf('fakesmsc'), options.mode === 'sink' ? 'ignore' : 'pipe');
    children.push(fakesmsc);
    await untilReady(statusUrl, logs);
    return {
      sendsmsUrl: `http://127.0.0.1:${ports.sendsms}/cgi-bin/sendsms`,
      statusUrl,
      statusPassword: STATUS_PASSWORD,
      received: () =>
        [...fs.readFileSync(logOf('fakesmsc'), 'utf8').matchAll(/Got message \d+: <(.*)>$/gm)].map((match) => parseReceived(match[1]!)),
      inject: (from, to, text) => fakesmsc.stdin!.write(`${from} ${to} text ${text}\n`),
      logs,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
