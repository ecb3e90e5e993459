// The one table of Agenda jobs. Jobs are one-liners that take ids and call their module.
import type { Agenda } from 'agenda';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import type { SessionLimits } from './modules/accounts/sessions.js';
import { housekeeping } from './modules/accounts/housekeeping.js';
import { runContactImport, type ContactImportJobData } from './modules/contacts/contact-import.jobs.js';

export interface JobContext {
  orm: MikroORM;
  log: FastifyBaseLogger;
  sessionLimits: SessionLimits;
}

export function defineJobs(agenda: Agenda, context: JobContext): void {
  // A short job gets a short lock, so a crashed worker's lock expires soon.
  agenda.define('housekeeping', async () => housekeeping(context.orm.em.fork(), context.sessionLimits), { lockLifetime: 10_000 });
  // An import touches its lock every 10 s while it runs: a crashed worker's import is taken up again soon.
  agenda.define<ContactImportJobData>('contact-import', async (job) => runContactImport(context.orm, job.attrs.data, { touch: () => job.touch(), log: context.log }), { lockLifetime: 30_000, concurrency: 2 });
}
