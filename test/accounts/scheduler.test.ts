import t from 'tap';
import pg from 'pg';
import pino from 'pino';
import { createTestDatabase } from '../helper.js';
import { openOrm } from '../../src/orm.js';
import { startScheduler } from '../../src/jobs.js';

t.test('stopping the scheduler lets a running job finish and leaves no lock behind', async (t) => {
  const url = await createTestDatabase(t);
  const orm = await openOrm(url, 2);
  t.teardown(() => orm.close());
  const scheduler = await startScheduler({ orm, databaseUrl: url, processJobs: true, log: pino({ level: 'silent' }), sessionLimits: { idleSeconds: 60, maxSeconds: 60 }, publicUrl: 'http://localhost' });
  let finished = false;
  scheduler.agenda.define('slow-test-job', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    finished = true;
  // Agenda keeps a lockLifetime/2 "still alive" timer per job that drain() does not clear; a short
  // lock lifetime keeps it from holding this test process open for minutes.
  }, { lockLifetime: 2000 });
  const started = new Promise((resolve) => scheduler.agenda.once('start:slow-test-job', resolve));
  await scheduler.agenda.now('slow-test-job');
  await started;
  await scheduler.stop();
  t.ok(finished, 'the running job was allowed to finish');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const locked = await client.query('select name from agenda_jobs where locked_at is not null');
  await client.end();
  t.same(locked.rows, [], 'no job is left locked');
});
