import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/tenant.js';
import { serialId, timestamps, uuidId } from '../../db/base-properties.js';
import { ownedByAccount } from '../accounts/index.js';
import { Contact, ContactList } from '../contacts/index.js';
import { Campaign } from '../campaigns/index.js';
import { ExternalEvent } from './external-event.entity.js';
import { EmailTemplate } from './email.entity.js';

export const PROGRAM_STATUSES = ['draft', 'active', 'paused'] as const;
export type ProgramStatus = (typeof PROGRAM_STATUSES)[number];

export const STEP_KINDS = ['send_sms', 'send_email', 'wait', 'add_to_list', 'update_field'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** Where a contact's run stands: `running` (due at `due_at`, now or after a wait) or ended. */
export const RUN_STATUSES = ['running', 'completed', 'failed', 'stopped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** What a step did for one run: passed, failed, or skipped (the step is disabled). */
export const STEP_OUTCOMES = ['passed', 'failed', 'skipped'] as const;
export type StepOutcome = (typeof STEP_OUTCOMES)[number];

// An Automation Center program: one trigger (an external event) and ordered steps. Drafted,
// activated and paused; only an active program enters contacts. The event cannot be deleted while
// a program starts on it (the foreign key restricts).
export const Program = defineEntity({
  name: 'Program',
  tableName: 'automation_program',
  filters: tenantFilter(),
  properties: {
    ...uuidId(),
    ...ownedByAccount(),
    name: p.string().length(200),
    event: () => p.manyToOne(ExternalEvent).deleteRule('restrict'),
    status: p.enum([...PROGRAM_STATUSES]).default('draft'),
    /** A contact triggering the program again within this many minutes of entering is not entered
     * again (0: every trigger enters). */
    reentryMinutes: p.integer().default(1440),
    activatedAt: p.datetime().nullable(),
    ...timestamps(),
  },
  uniques: [{ properties: ['account', 'name'], name: 'automation_program_account_name_unique' }],
  indexes: [{ properties: ['account', 'event', 'status'], name: 'automation_program_account_event_index' }],
});
export type Program = InferEntity<typeof Program>;

// One step of a program, at its position. What it uses is a restricting foreign key, so the
// campaign, template or list cannot be deleted from under an active program.
export const ProgramStep = defineEntity({
  name: 'ProgramStep',
  tableName: 'automation_step',
  filters: tenantFilter(),
  properties: {
    ...uuidId(),
    ...ownedByAccount(),
    program: () => p.manyToOne(Program).deleteRule('cascade'),
    position: p.smallint(),
    kind: p.enum([...STEP_KINDS]),
    /** A disabled step lets contacts pass through without acting. */
    enabled: p.boolean().default(true),
    /** send_sms: an "Automation center campaign". */
    campaign: () => p.manyToOne(Campaign).nullable().deleteRule('restrict'),
    /** send_email */
    emailTemplate: () => p.manyToOne(EmailTemplate).nullable().deleteRule('restrict'),
    /** add_to_list */
    list: () => p.manyToOne(ContactList).nullable().deleteRule('restrict'),
    /** wait: a duration in seconds, or until a time of day ("HH:MM") in the account's zone. */
    waitSeconds: p.integer().nullable(),
    waitUntil: p.string().length(5).nullable(),
    /** update_field: a built-in field (first_name, last_name, email) or a custom field's key, and
     * the value to write (placeholders allowed). */
    fieldKey: p.string().length(100).nullable(),
    fieldValue: p.text().nullable(),
    ...timestamps(),
  },
  indexes: [{ properties: ['account', 'program', 'position'], name: 'automation_step_program_position_index' }],
});
export type ProgramStep = InferEntity<typeof ProgramStep>;

// A contact's run through a program: stored, so it survives restarts, and advanced by the runner
// (a wait is a due time here, not one Agenda job per contact). `position` is the position of the
// step it is at, so a step deleted or moved under it still leaves it a next step.
export const ProgramRun = defineEntity({
  name: 'ProgramRun',
  tableName: 'automation_run',
  filters: tenantFilter(),
  properties: {
    ...serialId(),
    ...ownedByAccount(),
    program: () => p.manyToOne(Program).deleteRule('cascade'),
    // An erased contact's runs go with it.
    contact: () => p.manyToOne(Contact).deleteRule('cascade'),
    triggerId: p.bigint('number').nullable(),
    /** The event's data, for `{{event.<name>}}` in the SMS and email steps. */
    eventData: p.json<Record<string, unknown>>().default('{}'),
    status: p.enum([...RUN_STATUSES]).default('running'),
    step: () => p.manyToOne(ProgramStep).nullable().deleteRule('set null'),
    position: p.smallint().default(0),
    /** When the runner takes it up next (after a wait, or a retry's backoff). */
    dueAt: p.datetime().defaultRaw('now()'),
    /** Set while a runner works on it; a stale claim is a crashed runner's. */
    claimedAt: p.datetime().nullable(),
    attempts: p.smallint().default(0),
    lastError: p.string().length(300).nullable(),
    enteredAt: p.datetime().defaultRaw('now()'),
    finishedAt: p.datetime().nullable(),
  },
  indexes: [
    // The runner's queue, across accounts: small, since runs leave it when they end.
    { expression: `create index "automation_run_due_index" on "automation_run" ("due_at") where "status" = 'running'`, name: 'automation_run_due_index' },
    // "Entered within the re-entry window?" and a contact's runs.
    { properties: ['account', 'program', 'contact', 'enteredAt'], name: 'automation_run_program_contact_index' },
    { properties: ['account', 'program', 'id'], name: 'automation_run_program_index' },
  ],
});
export type ProgramRun = InferEntity<typeof ProgramRun>;

// The path of a run: what each step did, in order (the program page's counts and recent runs).
export const RunStep = defineEntity({
  name: 'RunStep',
  tableName: 'automation_run_step',
  filters: tenantFilter(),
  properties: {
    ...serialId(),
    ...ownedByAccount(),
    run: () => p.manyToOne(ProgramRun).deleteRule('cascade'),
    step: () => p.manyToOne(ProgramStep).nullable().deleteRule('set null'),
    kind: p.enum([...STEP_KINDS]),
    outcome: p.enum([...STEP_OUTCOMES]),
    /** What happened, for people: "queued SMS 123", "no email address", the error. */
    detail: p.string().length(300).nullable(),
    at: p.datetime().defaultRaw('now()'),
  },
  indexes: [
    { properties: ['account', 'run', 'id'], name: 'automation_run_step_run_index' },
    { properties: ['account', 'step', 'outcome'], name: 'automation_run_step_step_index' },
  ],
});
export type RunStep = InferEntity<typeof RunStep>;
