// The one table of Agenda jobs. Jobs are one-liners that take ids and call their module.
import type { Agenda } from 'agenda';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import type { SessionLimits } from './modules/accounts/sessions.js';
import { housekeeping } from './modules/accounts/housekeeping.js';
import { runContactImport, type ContactImportJobData } from './modules/contacts/contact-import.jobs.js';
import { defineSendingJobs } from './modules/sending/sending.jobs.js';
import { markUnknownDeliveries } from './modules/sending/delivery-reports.js';

export interface JobContext {
  orm: MikroORM;
  log: FastifyBaseLogger;
  sessionLimits: SessionLimits;
  publicUrl: string;
  /** True once the process is shutting down: long jobs stop between batches. */
  stopping: () => boolean;
}

export function defineJobs(agenda: Agenda, context: JobContext): void {
  // A short job gets a short lock, so a crashed worker's lock expires soon.
  agenda.define(
    'housekeeping',
    async () => {
      await housekeeping(context.orm.em.fork(), context.sessionLimits);
      await markUnknownDeliveries(context.orm.em.fork());
    },
    { lockLifetime: 10_000 },
  );
  defineSendingJobs(agenda, context);
  // An import touches its lock every 10 s while it runs: a crashed worker's import is taken up again soon.
  agenda.define<ContactImportJobData>('contact-import', async (job) => runContactImport(context.orm, job.attrs.data, { touch: () => job.touch(), log: context.log }), { lockLifetime: 30_000, concurrency: 2 });
}
