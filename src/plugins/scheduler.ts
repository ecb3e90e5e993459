// Agenda 6 in-process: PostgreSQL backend on the application database by default (LISTEN/NOTIFY),
// or MongoDB when MONGODB_URL is set (for those who already run MongoDB). The jobs come from the
// entry's job table (src/jobs.ts), passed in; a process with ROLE=web schedules jobs but does not
// run them.
import { Agenda } from 'agenda';
import pg from 'pg';
import { PostgresBackend } from '@agendajs/postgres-backend';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';

/** What every job gets: the ORM, a logger, the public URL (webhooks, short links), and whether
 * the process is stopping (long jobs stop between batches). */
export interface JobContext {
  orm: MikroORM;
  log: FastifyBaseLogger;
  publicUrl: string;
  stopping: () => boolean;
}

/** Something a job-running process keeps going beside Agenda (a poller), stopped first. */
export interface BackgroundWorker {
  stop(): Promise<void>;
}

/** The jobs of the application: defined in every process, started where jobs run. */
export interface JobTable {
  define(agenda: Agenda, context: JobContext): void;
  /** Recurring jobs and background workers, in processes that run jobs. */
  start(agenda: Agenda, context: JobContext): Promise<BackgroundWorker[]>;
}

export interface Scheduler {
  agenda: Agenda;
  backend: 'postgres' | 'mongodb';
  /** True once started (worker roles) or connected (web role). */
  running: boolean;
  stop(timeoutMs?: number): Promise<void>;
}

async function createBackend(databaseUrl: string, mongodbUrl: string | undefined, log: FastifyBaseLogger) {
  if (mongodbUrl) {
    // Loaded only when asked for: most installations never touch MongoDB.
    const { MongoBackend } = await import('@agendajs/mongo-backend');
    return { kind: 'mongodb' as const, backend: new MongoBackend({ address: mongodbUrl, collection: 'agenda_jobs' }), close: async () => {} };
  }
  // Our own pool, so it has an 'error' listener: without one, an idle connection dropped by a
  // database restart (57P01) is an unhandled 'error' event that ends the process.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  pool.on('error', (error) => log.warn({ err: error }, 'scheduler database connection lost'));
  return { kind: 'postgres' as const, backend: new PostgresBackend({ pool, tableName: 'agenda_jobs' }), close: () => pool.end() };
}

export async function startScheduler(options: {
  orm: MikroORM;
  databaseUrl: string;
  mongodbUrl?: string;
  processJobs: boolean;
  log: FastifyBaseLogger;
  /** Base of the webhook URLs the simulator posts its delivery reports to, and of short links. */
  publicUrl: string;
  jobs: JobTable;
}): Promise<Scheduler> {
  const { kind, backend, close } = await createBackend(options.databaseUrl, options.mongodbUrl, options.log);
  const agenda = new Agenda({ backend, name: `textcast-${process.pid}`, processEvery: '5 seconds', defaultLockLifetime: 10 * 60_000 });
  // Without a listener an 'error' event (a dropped LISTEN connection, say) would crash the
  // process; with one, the channel reconnects by itself.
  agenda.on('error', (error) => options.log.warn({ err: error }, 'scheduler error'));
  const channel = (backend as { notificationChannel?: { on?: (event: string, fn: (e: Error) => void) => void } }).notificationChannel;
  channel?.on?.('error', (error) => options.log.warn({ err: error }, 'scheduler notification channel error'));
  agenda.on('fail', (error, job) => options.log.error({ err: error, job: job.attrs.name }, 'job failed'));

  let stopping = false;
  const context: JobContext = { orm: options.orm, log: options.log, publicUrl: options.publicUrl, stopping: () => stopping };
  options.jobs.define(agenda, context);
  await agenda.ready;
  let workers: BackgroundWorker[] = [];
  if (options.processJobs) {
    await agenda.start();
    workers = await options.jobs.start(agenda, context);
  }
  const scheduler: Scheduler = {
    agenda,
    backend: kind,
    running: true,
    async stop(timeoutMs = 15_000) {
      if (!scheduler.running) return;
      scheduler.running = false;
      stopping = true;
      for (const worker of workers) await worker.stop();
      // drain() waits for running jobs (stop() would unlock them mid-way), then disconnects the
      // notification channel and the backend's pool.
      await agenda.drain({ timeout: timeoutMs, closeConnection: true });
      await close();
    },
  };
  return scheduler;
}
