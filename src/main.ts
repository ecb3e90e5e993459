// Entry point: configuration, database, migrations, first owner, scheduler, HTTP; and a graceful
// shutdown in the reverse order on SIGINT/SIGTERM. Start-up problems end in one clear line.
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig, type Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { openOrm, migrate } from './orm.js';
import { ensureFirstOwner } from './modules/accounts/first-owner.js';
import { startScheduler, type Scheduler } from './jobs.js';
import { buildApp } from './app.js';
import { sessionSecret } from './secrets.js';
import { loggerOptions } from './log.js';
import { setPrivateUrls } from './modules/gateways/index.js';

function fail(message: string): never {
  process.stderr.write(`textcast: ${message}\n`);
  process.exit(1);
}

let config: Config;
try {
  config = loadConfig();
  // Web and worker processes alike: the worker's dispatchers are the ones that reach gateways.
  setPrivateUrls(config.gatewayPrivateUrls);
} catch (error) {
  fail((error as Error).message);
}

const log = pino(loggerOptions(config.logLevel));
let database: Database | undefined;
let orm: MikroORM | undefined;
let scheduler: Scheduler | undefined;
let app: FastifyInstance | undefined;
let stopping = false;

async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  // Stop taking requests and let running ones finish, then let running jobs finish (or release
  // their locks), then close the ORM, and stop the embedded database last.
  let clean = true;
  const failed = (what: string) => (error: unknown) => {
    clean = false;
    log.error({ err: error }, `${what} failed`);
  };
  await app?.close().catch(failed('closing HTTP'));
  await scheduler?.stop().catch(failed('stopping the scheduler'));
  await orm?.close().catch(failed('closing the database pool'));
  await database?.stop().catch(failed('stopping the embedded database'));
  log.info(clean ? 'Textcast stopped cleanly' : 'Textcast stopped, after the errors above');
}

// `npm start` runs this file as one process (`exec node --import tsx src/main.ts`): no shell or
// tsx wrapper in between that Ctrl-C would end first, so npm waits for the drain and exits with
// our code. One Ctrl-C still reaches us twice: the terminal signals the whole process group, and
// npm forwards the signal it got. So a signal within a second of the first is the same request to
// stop; only a later one means "stop now, skip the drain".
const SAME_REQUEST_MS = 1000;
let firstSignalAt = 0;

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) {
      if (Date.now() - firstSignalAt < SAME_REQUEST_MS) return;
      process.stderr.write('textcast: second signal, exiting at once\n');
      process.exit(130);
    }
    firstSignalAt = Date.now();
    void shutdown(signal).then(() => process.exit(0));
  });
}

try {
  database = await openDatabase(config, (line) => log.info(line));
  orm = await openOrm(database.url);
  const applied = await migrate(orm);
  if (applied.length) log.info({ migrations: applied }, 'database migrated');

  const owner = await ensureFirstOwner(orm, config);
  if (owner) {
    const lines = ['', 'Textcast is ready. Sign in with:', `  email:    ${owner.email}`];
    if (owner.generatedPassword) lines.push(`  password: ${owner.generatedPassword}`, '  (shown only this once; change it under Settings → Users)');
    else lines.push('  password: the one in TEXTCAST_ADMIN_PASSWORD');
    process.stdout.write(lines.join('\n') + '\n\n');
  }

  const runsJobs = config.role !== 'web';
  const servesHttp = config.role !== 'worker';
  scheduler = await startScheduler({
    orm,
    databaseUrl: database.url,
    mongodbUrl: config.mongodbUrl,
    processJobs: runsJobs,
    log,
    sessionLimits: { idleSeconds: config.sessionIdleSeconds, maxSeconds: config.sessionMaxSeconds },
    claimLeaseSeconds: config.claimLeaseSeconds,
    publicUrl: config.publicUrl,
    email: { smtpUrl: config.smtpUrl, from: config.emailFrom },
  });

  if (servesHttp) {
    app = await buildApp({ config, orm, scheduler, sessionSecret: sessionSecret(config.sessionSecret, config.dataDir), logger: log });
    try {
      await app.listen({ port: config.port, host: config.host });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(code === 'EADDRINUSE' ? `port ${config.port} is already in use (set PORT to another port)` : (error as Error).message);
    }
    log.info(`Textcast is listening on ${config.publicUrl} (role ${config.role})`);
  } else {
    log.info('Textcast worker is running (role worker)');
  }
} catch (error) {
  const message = (error as Error).message || String(error);
  await shutdown('startup-failure');
  fail(message);
}
