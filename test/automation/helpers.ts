// Fixtures for automation tests: an external event, a program with steps (made through the
// service, as the pages make them), triggers recorded as the API and inbound keywords record
// them, and the runner run by hand (one tick at a time), so a test sees each step happen.
import pino from 'pino';
import type { MikroORM } from '@mikro-orm/postgresql';
import { withAccount } from '../../src/db/tenant.js';
import { withClient } from '../../src/db/raw-client.js';
import { Account } from '../../src/modules/accounts/account.entity.js';
import { ensureExternalEvent, recordTriggersOn } from '../../src/modules/automation/external-events.queries.js';
import { addStep, changeProgramStatus, createProgram, type StepInput } from '../../src/modules/automation/programs.service.js';
import { Program } from '../../src/modules/automation/program.entity.js';
import { ProgramRunner, type SmsQueuedListener } from '../../src/modules/automation/program-runner.js';
import { contact as emailContact } from './email-helpers.js';
import { query } from '../sending/helpers.js';

export async function externalEvent(orm: MikroORM, account: Account, name = 'Signed up'): Promise<string> {
  return ensureExternalEvent(withAccount(orm.em.fork(), account.id), account.id, name, 'api');
}

/** A program on the event with these steps, active unless told otherwise. */
export async function program(orm: MikroORM, account: Account, eventId: string, steps: StepInput[], options: { name?: string; reentryMinutes?: number; active?: boolean } = {}): Promise<Program> {
  const em = withAccount(orm.em.fork(), account.id);
  const created = await createProgram(em, await em.findOneOrFail(Account, account.id), {
    name: options.name ?? `Program ${Math.random().toString(36).slice(2, 8)}`,
    event: eventId,
    reentry_minutes: String(options.reentryMinutes ?? 1440),
  });
  for (const step of steps) await addStep(em, created, step);
  if (options.active !== false) await changeProgramStatus(em, created, 'activate');
  return created;
}

/** A French contact with this phone (and a name, an email, fields). */
export const contact = (orm: MikroORM, account: Account, phone: string, values: { firstName?: string; email?: string; fields?: Record<string, string> } = {}) => emailContact(orm, account, { phone, ...values });

/** Triggers the event for these contacts, as the API does. */
export async function trigger(orm: MikroORM, account: Account, eventId: string, contacts: { id: string | number }[], data: Record<string, unknown> = {}): Promise<void> {
  await withClient(orm.em.fork(), (client) => recordTriggersOn(client, contacts.map((c) => ({ accountId: account.id, eventId, contactId: String(c.id), data }))));
}

/** The runner, run by hand; `queued` lists the campaigns it asked to dispatch. */
export function runner(orm: MikroORM) {
  const queued: string[] = [];
  const listener: SmsQueuedListener = async (_accountId, campaignId) => void queued.push(campaignId);
  const instance = new ProgramRunner(orm, pino({ level: 'silent' }), listener);
  return { tick: () => instance.tick(), queued };
}

export interface RunInfo {
  id: string;
  contact_id: string;
  status: string;
  path: string;
  due_at: Date;
}

/** The runs of a program, oldest first, with their paths as "kind:outcome" joined by " > ". */
export const runsOf = (orm: MikroORM, programId: string) =>
  query<RunInfo>(
    orm,
    `select r.id, r.contact_id, r.status, r.due_at,
            coalesce((select string_agg(x.kind || ':' || x.outcome, ' > ' order by x.id) from automation_run_step x where x.run_id = r.id), '') as path
     from automation_run r where r.program_id = ? order by r.id`,
    [programId],
  );

/** Makes every waiting run of the program due now (time passing, without waiting). */
export const endWaits = (orm: MikroORM, programId: string) => query(orm, `update automation_run set due_at = now() - interval '1 second' where program_id = ? and status = 'running'`, [programId]);
