// When the custom fields that saved segments use may have changed (a segment saved or deleted, a
// field deleted), the field indexes are brought in line by the `contact-field-indexes` job: a
// concurrent index build takes seconds at a million contacts and waits for running writes (an
// import), so it never runs inside the request. The job also runs every hour, which takes up a
// build that a crash interrupted.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { syncFieldIndexes } from './field-indexes.queries.js';

export const FIELD_INDEXES_JOB = 'contact-field-indexes';

export async function queueFieldIndexSync(app: Pick<FastifyInstance, 'scheduler' | 'orm'>, log: FastifyBaseLogger): Promise<void> {
  if (app.scheduler) {
    await app.scheduler.agenda.now(FIELD_INDEXES_JOB);
    return;
  }
  // No scheduler in this process (an app built without one, as in tests): run it here.
  void syncFieldIndexes(app.orm).catch((error) => log.error({ err: error }, 'contact field indexes failed'));
}
