// HTTP throughput of a signed-in page against the floor of a bare Fastify route.
//
// `npm run bench -- http [--duration 10] [--connections 50]`
//
// A PostgreSQL of its own (the embedded server in .bench-data on port 5545, or DATABASE_URL's
// server when set) with a fresh, migrated database; the app as main.ts builds it (logging off);
// an account and owner; a sign-in through the real login form over HTTP. Then autocannon (in a
// worker thread, so the load generator does not share the app's event loop) runs against
// GET /dashboard with the session cookie, and against GET / of a separate bare Fastify instance
// returning {}, with the same duration and connections. Every dashboard response must be a 200.
// The last line is `BENCH http page_rps=<int> empty_rps=<int> ratio=<page/empty>`.
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import autocannon from 'autocannon';
import { openBenchDatabase } from './database.js';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/app.js';
import { createAccount, createUser } from '../src/modules/accounts/accounts.service.js';
import { positiveInteger } from './args.js';
import { signIn, BENCH_PASSWORD } from './session.js';

/** Untimed warm-up before each measured run (JIT, connection pool), the same for both targets. */
const WARMUP_SECONDS = 1;

function log(line: string) {
  process.stderr.write(`bench http: ${line}\n`);
}

async function load(url: string, options: { duration: number; connections: number; headers?: Record<string, string> }) {
  return autocannon({ url, duration: options.duration, connections: options.connections, headers: options.headers, workers: 1 });
}

async function measure(label: string, url: string, options: { duration: number; connections: number; headers?: Record<string, string> }) {
  log(`${label}: ${WARMUP_SECONDS}s warm-up, then ${options.duration}s with ${options.connections} connections`);
  await load(url, { ...options, duration: WARMUP_SECONDS });
  const result = await load(url, options);
  const rps = result.requests.total / result.duration;
  const codes = Object.entries(result.statusCodeStats ?? {})
    .map(([code, stat]) => `${code}×${stat.count ?? 0}`)
    .join(' ');
  log(`${label}: ${result.requests.total} requests in ${result.duration.toFixed(1)}s, ${Math.round(rps)}/s, latency p50 ${result.latency.p50} ms p99 ${result.latency.p99} ms, status ${codes || 'none'}, errors ${result.errors}, timeouts ${result.timeouts}`);
  return { result, rps };
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { duration: { type: 'string' }, connections: { type: 'string' } }, strict: true });
  const duration = positiveInteger('duration', values.duration, 10);
  const connections = positiveInteger('connections', values.connections, 50);

  const db = await openBenchDatabase(log);
  const orm = db.orm;
  let app: FastifyInstance | undefined;
  let empty: FastifyInstance | undefined;
  try {

    const config = loadConfig({ LOG_LEVEL: 'silent' });
    app = await buildApp({ config, orm, sessionSecret: crypto.randomBytes(32).toString('hex'), logger: false });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });

    empty = Fastify();
    empty.get('/', async () => ({}));
    const emptyBase = await empty.listen({ port: 0, host: '127.0.0.1' });

    const em = orm.em.fork();
    const account = createAccount(em, { name: 'Bench', timeZone: 'Europe/Paris' });
    const owner = await createUser(em, account, { email: `bench-${crypto.randomBytes(4).toString('hex')}@example.com`, password: BENCH_PASSWORD, role: 'owner' });
    await em.flush();
    const cookie = await signIn(base, owner.email);

    const page = await measure('GET /dashboard', `${base}/dashboard`, { duration, connections, headers: { cookie } });
    const bad = page.result.non2xx + page.result.errors + page.result.timeouts;
    const not200 = Object.entries(page.result.statusCodeStats ?? {}).filter(([code, stat]) => code !== '200' && (stat.count ?? 0) > 0);
    if (bad > 0 || not200.length > 0 || page.result.requests.total === 0) {
      throw new Error(
        `GET /dashboard was not all 200: non-2xx ${page.result.non2xx}, errors ${page.result.errors}, timeouts ${page.result.timeouts}, ` +
          `other statuses ${not200.map(([code, stat]) => `${code}×${stat.count}`).join(' ') || 'none'}, requests ${page.result.requests.total}`,
      );
    }
    const floor = await measure('GET / (bare Fastify)', `${emptyBase}/`, { duration, connections });
    if (floor.result.non2xx > 0 || floor.result.requests.total === 0) throw new Error(`the empty route failed: non-2xx ${floor.result.non2xx}`);

    const pageRps = Math.round(page.rps);
    const emptyRps = Math.round(floor.rps);
    process.stdout.write(`BENCH http page_rps=${pageRps} empty_rps=${emptyRps} ratio=${(page.rps / floor.rps).toFixed(2)}\n`);
  } finally {
    await app?.close().catch((error) => log(`closing the app failed: ${error}`));
    await empty?.close().catch((error) => log(`closing the empty server failed: ${error}`));
    await db.close();
  }
}
