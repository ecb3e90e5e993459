// Automation Center programs: a trigger (an external event) and ordered steps. The rules for
// saving them, for their steps and for activating; the runner (program-runner.ts) does the rest.
// A change applies to the contacts not yet at the changed step: runs point at the step they are
// at (by id, with its position kept as a fallback), so moving, adding or deleting steps leaves
// every run a well-defined next step.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inTransaction } from '../../db/raw-client.js';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { ConflictError, ValidationError } from '../../errors.js';
import { isUuid } from '../../db/find.js';
import type { Account } from '../accounts/index.js';
import { Campaign, knownPlaceholders, placeholderError } from '../campaigns/index.js';
import { ContactList, customFieldsOf, WRITABLE_BUILT_IN_FIELDS } from '../contacts/index.js';
import { ExternalEvent } from './external-event.entity.js';
import { EmailTemplate } from './email.entity.js';
import { Program, ProgramStep, STEP_KINDS, type ProgramStatus, type StepKind } from './program.entity.js';

export const MAX_PROGRAM_NAME = 200;
/** A re-entry window of at most a year, in minutes. */
export const MAX_REENTRY_MINUTES = 525_600;
export const MAX_STEPS = 50;
export const MAX_WAIT_SECONDS = 365 * 86_400;
export const MAX_FIELD_VALUE = 500;

export const STEP_LABELS: Readonly<Record<StepKind, string>> = {
  send_sms: 'Send SMS',
  send_email: 'Send email',
  wait: 'Wait',
  add_to_list: 'Add to contact list',
  update_field: 'Update contact field',
};

export const WAIT_UNITS = { minutes: 60, hours: 3600, days: 86_400 } as const;

/** The program form's fields, as typed. */
export interface ProgramInput {
  name?: string;
  event?: string;
  reentry_minutes?: string;
}

/** The step form's fields, as typed. */
export interface StepInput {
  kind?: string;
  enabled?: string;
  campaign?: string;
  email_template?: string;
  list?: string;
  wait_mode?: string;
  wait_amount?: string;
  wait_unit?: string;
  wait_until?: string;
  field_key?: string;
  field_value?: string;
}

function integerIn(text: string | undefined, min: number, max: number): number | null {
  if (!text || !/^\d{1,9}$/.test(text.trim())) return null;
  const value = Number(text.trim());
  return value >= min && value <= max ? value : null;
}

async function validProgram(em: EntityManager, input: ProgramInput): Promise<{ name: string; event: ExternalEvent; reentryMinutes: number }> {
  const errors: Record<string, string> = {};
  const name = (input.name ?? '').trim();
  if (!name) errors.name = 'Give the program a name.';
  else if ([...name].length > MAX_PROGRAM_NAME) errors.name = `A program name can have at most ${MAX_PROGRAM_NAME} characters.`;
  const event = isUuid(input.event) ? await em.findOne(ExternalEvent, { id: input.event }) : null;
  if (!event) errors.event = 'Choose the external event that starts the program.';
  const reentry = (input.reentry_minutes ?? '').trim() === '' ? 0 : integerIn(input.reentry_minutes, 0, MAX_REENTRY_MINUTES);
  if (reentry === null) errors.reentry_minutes = `Give a whole number of minutes from 0 to ${MAX_REENTRY_MINUTES} (a year).`;
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return { name, event: event!, reentryMinutes: reentry! };
}

async function saved<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw new ValidationError({ name: 'Another program has this name.' });
    throw error;
  }
}

export async function createProgram(em: EntityManager, account: Account, input: ProgramInput): Promise<Program> {
  const values = await validProgram(em, input);
  const program = em.create(Program, { account, ...values });
  await saved(() => em.persist(program).flush());
  return program;
}

export async function updateProgram(em: EntityManager, program: Program, input: ProgramInput): Promise<void> {
  Object.assign(program, await validProgram(em, input));
  await saved(() => em.flush());
}

export async function stepsOf(em: EntityManager, program: Program): Promise<ProgramStep[]> {
  return em.find(ProgramStep, { program }, { orderBy: { position: 'asc' }, populate: ['campaign', 'emailTemplate', 'list'] });
}

/** Why the program cannot run as it is (activation refuses), or null. */
export async function activationProblem(em: EntityManager, program: Program): Promise<string | null> {
  const steps = await stepsOf(em, program);
  if (!steps.some((step) => step.enabled)) return 'Add at least one enabled step before activating the program.';
  return null;
}

const MOVES: Readonly<Record<string, { from: ProgramStatus[]; to: ProgramStatus }>> = {
  activate: { from: ['draft', 'paused'], to: 'active' },
  pause: { from: ['active'], to: 'paused' },
};

/** Activates (or resumes) or pauses a program. */
export async function changeProgramStatus(em: EntityManager, program: Program, action: 'activate' | 'pause'): Promise<void> {
  const move = MOVES[action]!;
  if (!move.from.includes(program.status)) throw new ConflictError(`The program is ${program.status}; it cannot be ${action === 'activate' ? 'activated' : 'paused'} now.`);
  if (action === 'activate') {
    const problem = await activationProblem(em, program);
    if (problem) throw new ConflictError(problem);
    program.activatedAt = new Date();
  }
  program.status = move.to;
  await em.flush();
}

export async function deleteProgram(em: EntityManager, program: Program): Promise<void> {
  await em.remove(program).flush();
}

/** What the step form offers: only Automation center campaigns for Send SMS. */
export async function stepChoices(em: EntityManager) {
  const [campaigns, templates, lists, customFields] = await Promise.all([
    em.find(Campaign, { kind: 'automation' }, { orderBy: { name: 'asc' } }),
    em.find(EmailTemplate, {}, { orderBy: { name: 'asc' } }),
    em.find(ContactList, {}, { orderBy: { name: 'asc' } }),
    customFieldsOf(em),
  ]);
  const fields = [
    ...WRITABLE_BUILT_IN_FIELDS.map((key) => ({ key, label: key === 'email' ? 'Email' : key === 'first_name' ? 'First name' : 'Last name' })),
    ...[...customFields.values()].map((field) => ({ key: field.key, label: field.label })),
  ];
  return { campaigns, templates, lists, fields };
}

type StepValues = Pick<ProgramStep, 'kind' | 'enabled' | 'campaign' | 'emailTemplate' | 'list' | 'waitSeconds' | 'waitUntil' | 'fieldKey' | 'fieldValue'>;

async function validStep(em: EntityManager, input: StepInput): Promise<StepValues> {
  const errors: Record<string, string> = {};
  const kind = input.kind as StepKind;
  const values: StepValues = { kind, enabled: input.enabled !== 'off', campaign: null, emailTemplate: null, list: null, waitSeconds: null, waitUntil: null, fieldKey: null, fieldValue: null };
  if (!(STEP_KINDS as readonly string[]).includes(kind)) throw new ValidationError({ kind: 'Choose what the step does.' });
  if (kind === 'send_sms') {
    const campaign = isUuid(input.campaign) ? await em.findOne(Campaign, { id: input.campaign, kind: 'automation' }) : null;
    if (!campaign) errors.campaign = 'Choose an Automation center campaign (create one on the Create tab with "New automation campaign").';
    values.campaign = campaign;
  } else if (kind === 'send_email') {
    const template = isUuid(input.email_template) ? await em.findOne(EmailTemplate, { id: input.email_template }) : null;
    if (!template) errors.email_template = 'Choose an email template.';
    values.emailTemplate = template;
  } else if (kind === 'add_to_list') {
    const list = isUuid(input.list) ? await em.findOne(ContactList, { id: input.list }) : null;
    if (!list) errors.list = 'Choose a contact list.';
    values.list = list;
  } else if (kind === 'wait') {
    if (input.wait_mode === 'until') {
      const until = (input.wait_until ?? '').trim();
      if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(until)) errors.wait_until = 'Give a time of day as HH:MM (24-hour), for example 09:00.';
      values.waitUntil = until;
    } else {
      const unit = WAIT_UNITS[input.wait_unit as keyof typeof WAIT_UNITS];
      const amount = integerIn(input.wait_amount, 1, MAX_WAIT_SECONDS);
      if (!unit || amount === null || amount * unit > MAX_WAIT_SECONDS) errors.wait_amount = 'Give a whole number of minutes, hours or days, up to a year.';
      else values.waitSeconds = amount * unit;
    }
  } else if (kind === 'update_field') {
    const fields = (await stepChoices(em)).fields;
    const key = (input.field_key ?? '').trim();
    if (!fields.some((field) => field.key === key)) errors.field_key = 'Choose the field to update.';
    const value = input.field_value ?? '';
    if ([...value].length > MAX_FIELD_VALUE) errors.field_value = `A value can have at most ${MAX_FIELD_VALUE} characters.`;
    else {
      const problem = placeholderError(value, await knownPlaceholders(em), { eventData: true });
      if (problem) errors.field_value = problem;
    }
    values.fieldKey = key;
    values.fieldValue = value;
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return values;
}

/** Keeps each running run's fallback position equal to its step's position (after a reorder). */
async function syncRunPositionsOn(client: pg.ClientBase, program: Program): Promise<void> {
  await client.query(
    `update automation_run r set position = s.position from automation_step s
     where s.account_id = r.account_id and s.id = r.step_id and r.account_id = $1 and r.program_id = $2 and r.status = 'running' and r.position <> s.position`,
    [program.account.id, program.id],
  );
}

export async function addStep(em: EntityManager, program: Program, input: StepInput): Promise<ProgramStep> {
  const values = await validStep(em, input);
  const steps = await stepsOf(em, program);
  if (steps.length >= MAX_STEPS) throw new ValidationError({ kind: `A program can have at most ${MAX_STEPS} steps.` });
  const step = em.create(ProgramStep, { account: program.account, program, position: (steps.at(-1)?.position ?? -1) + 1, ...values });
  await em.persist(step).flush();
  return step;
}

/** Edits a step: runs already past it are not affected; runs waiting in it keep their due time. */
export async function updateStep(em: EntityManager, step: ProgramStep, input: StepInput): Promise<void> {
  const values = await validStep(em, { ...input, kind: step.kind });
  Object.assign(step, values);
  await em.flush();
}

export async function setStepEnabled(em: EntityManager, step: ProgramStep, enabled: boolean): Promise<void> {
  step.enabled = enabled;
  await em.flush();
}

/** Swaps a step with its neighbour above or below. */
export async function moveStep(em: EntityManager, program: Program, step: ProgramStep, direction: 'up' | 'down'): Promise<void> {
  const steps = await stepsOf(em, program);
  const index = steps.findIndex((s) => s.id === step.id);
  const other = steps[direction === 'up' ? index - 1 : index + 1];
  if (!other) return;
  await inTransaction(em, async (client) => {
    const swap = `update automation_step set position = $4 where account_id = $1 and program_id = $2 and id = $3`;
    await client.query(swap, [program.account.id, program.id, step.id, other.position]);
    await client.query(swap, [program.account.id, program.id, other.id, step.position]);
    await syncRunPositionsOn(client, program);
  });
}

/** Deletes a step; runs at it (waiting in a wait step) go on with the step that followed it. */
export async function deleteStep(em: EntityManager, program: Program, step: ProgramStep): Promise<void> {
  await inTransaction(em, async (client) => {
    const values = [program.account.id, program.id, step.position, step.id];
    // Runs at this step (waiting in it: they go on at once), or whose step is gone and who stand
    // past it, move back one place: after the renumbering below they come to the step that followed.
    await client.query(
      `update automation_run set position = position - 1, step_id = case when step_id = $4 then null else step_id end,
              due_at = case when step_id = $4 then least(due_at, now()) else due_at end
       where account_id = $1 and program_id = $2 and status = 'running' and (step_id = $4 or (step_id is null and position >= $3))`,
      values,
    );
    await client.query(`delete from automation_step where account_id = $1 and program_id = $2 and id = $4 and position = $3`, values);
    await client.query(`update automation_step set position = position - 1 where account_id = $1 and program_id = $2 and position > $3`, values.slice(0, 3));
    await syncRunPositionsOn(client, program);
  });
  em.getUnitOfWork().unsetIdentity(step);
}

function duration(seconds: number): string {
  for (const [unit, size] of [['day', 86_400], ['hour', 3600], ['minute', 60]] as const) {
    if (seconds % size === 0) return `${seconds / size} ${unit}${seconds / size === 1 ? '' : 's'}`;
  }
  return `${seconds} seconds`;
}

/** A step in one line, as the program page lists it. */
export function describeStep(step: ProgramStep, timeZone: string): string {
  switch (step.kind) {
    case 'send_sms':
      return `Send the SMS campaign "${step.campaign?.name ?? '(deleted)'}"`;
    case 'send_email':
      return `Send the email "${step.emailTemplate?.name ?? '(deleted)'}"`;
    case 'wait':
      return step.waitUntil ? `Wait until ${step.waitUntil} (${timeZone})` : `Wait ${duration(step.waitSeconds ?? 0)}`;
    case 'add_to_list':
      return `Add to the contact list "${step.list?.name ?? '(deleted)'}"`;
    case 'update_field':
      return step.fieldValue ? `Set ${step.fieldKey} to "${step.fieldValue}"` : `Clear ${step.fieldKey}`;
  }
}
