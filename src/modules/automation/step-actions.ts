// What each kind of step does for a group of runs at once (the runner groups a batch's runs by
// the step they are at): one set-based statement per group, and an outcome per run, in order.
import type pg from 'pg';
import { DateTime } from 'luxon';
import { placeholderValues, renderTemplate } from '../campaigns/index.js';
import { validateFieldValue, type CustomField } from '../contacts/index.js';
import { queueAutomationSmsOn } from '../sending/index.js';
import { queueEmailsOn } from './email.queries.js';
import type { DueRun, StepRow } from './program-runs.queries.js';
import type { StepOutcome } from './program.entity.js';

/** One run at one step. */
export interface RunAtStep {
  run: DueRun;
  step: StepRow;
}

export interface Outcome {
  outcome: StepOutcome;
  detail: string | null;
}

export interface ActionContext {
  now: Date;
  /** The account's zone, for a wait until a time of day. */
  zoneOf(accountId: string): string;
  /** The account's custom fields (update_field checks values by their type). */
  customFieldsOf(accountId: string): Promise<Map<string, CustomField>>;
  /** Called for each campaign a round queued SMS for (the runner starts its dispatch after commit). */
  queuedSms(accountId: string, campaignId: string): void;
}

/** When a wait step ends for a run entering it now: after its duration, or at the next time of
 * day (strictly later than now) in the account's zone. */
export function waitEnd(step: Pick<StepRow, 'wait_seconds' | 'wait_until'>, now: Date, zone: string): Date {
  if (step.wait_until) {
    const [hour, minute] = step.wait_until.split(':').map(Number);
    let at = DateTime.fromJSDate(now, { zone }).set({ hour, minute, second: 0, millisecond: 0 });
    if (at.toMillis() <= now.getTime()) at = at.plus({ days: 1 });
    return at.toJSDate();
  }
  return new Date(now.getTime() + (step.wait_seconds ?? 0) * 1000);
}

const SKIP_DETAILS: Readonly<Record<string, string>> = {
  opted_out: 'SMS not sent: the contact opted out of SMS',
  opted_out_of_number: 'SMS not sent: the contact opted out of this sender number',
  bad_number: 'SMS not sent: the contact has a bad number',
  erased: 'SMS not sent: the contact was erased',
  not_automation: 'SMS not sent: the campaign is not an Automation center campaign',
};

async function sendSms(client: pg.ClientBase, group: RunAtStep[], context: ActionContext): Promise<Outcome[]> {
  const answers = await queueAutomationSmsOn(
    client,
    group.map(({ run, step }) => ({ accountId: run.account_id, campaignId: step.campaign_id!, contactId: run.contact_id, runId: run.id, programId: run.program_id, eventData: run.event_data })),
  );
  return answers.map((answer, i) => {
    const { run, step } = group[i]!;
    if (answer.status === 'queued') {
      context.queuedSms(run.account_id, step.campaign_id!);
      return { outcome: 'passed', detail: `SMS queued (message ${answer.id})` };
    }
    return { outcome: 'failed', detail: SKIP_DETAILS[answer.skipReason ?? ''] ?? `SMS not sent: ${answer.skipReason ?? 'unknown reason'}` };
  });
}

async function sendEmail(client: pg.ClientBase, group: RunAtStep[]): Promise<Outcome[]> {
  const answers = await queueEmailsOn(
    client,
    group.map(({ run, step }) => ({ accountId: run.account_id, contactId: run.contact_id, templateId: step.email_template_id!, runId: run.id, programId: run.program_id, eventData: run.event_data })),
  );
  return answers.map((answer) =>
    answer.status === 'queued' ? { outcome: 'passed', detail: `Email queued (email ${answer.id})` } : { outcome: 'failed', detail: `Email not sent: ${answer.skipReason ?? 'unknown reason'}` },
  );
}

async function addToList(client: pg.ClientBase, group: RunAtStep[]): Promise<Outcome[]> {
  // The list and the contact are checked by the join: a contact erased meanwhile is not added.
  const { rows } = await client.query<{ run_id: string }>(
    `with wanted as (select * from unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[]) as v(account_id, list_id, contact_id, run_id)),
     added as (
       insert into contact_list_member (list_id, contact_id, account_id, added_at)
       select w.list_id, w.contact_id, w.account_id, now() from wanted w
       join contact_list l on l.account_id = w.account_id and l.id = w.list_id
       join contact c on c.account_id = w.account_id and c.id = w.contact_id
       on conflict do nothing)
     select w.run_id from wanted w join contact c on c.account_id = w.account_id and c.id = w.contact_id
     join contact_list l on l.account_id = w.account_id and l.id = w.list_id`,
    [group.map((g) => g.run.account_id), group.map((g) => g.step.list_id), group.map((g) => g.run.contact_id), group.map((g) => g.run.id)],
  );
  const done = new Set(rows.map((row) => row.run_id));
  return group.map(({ run }) => (done.has(run.id) ? { outcome: 'passed', detail: null } : { outcome: 'failed', detail: 'The contact or the list no longer exists' }));
}

/** A contact as placeholders need it. */
interface ContactValues {
  id: string;
  phone: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  fields: Record<string, unknown> | null;
}

/** Splits items into waves in which each key appears once, keeping each key's items in order. */
function waves<T>(items: T[], keyOf: (item: T) => string): T[][] {
  const result: T[][] = [];
  const seen = new Map<string, number>();
  for (const item of items) {
    const index = seen.get(keyOf(item)) ?? 0;
    seen.set(keyOf(item), index + 1);
    (result[index] ??= []).push(item);
  }
  return result;
}

async function updateField(client: pg.ClientBase, group: RunAtStep[], context: ActionContext): Promise<Outcome[]> {
  const { rows } = await client.query<ContactValues & { account_id: string }>(
    `select c.account_id, c.id, c.phone, c.first_name, c.last_name, c.email, c.fields from contact c
     join unnest($1::uuid[], $2::bigint[]) as v(account_id, id) on c.account_id = v.account_id and c.id = v.id`,
    [group.map((g) => g.run.account_id), group.map((g) => g.run.contact_id)],
  );
  const contacts = new Map(rows.map((row) => [`${row.account_id}/${row.id}`, row]));
  const outcomes: Outcome[] = [];
  const writes: { accountId: string; contactId: string; key: string; value: string | null; custom: boolean }[] = [];
  for (const { run, step } of group) {
    const contact = contacts.get(`${run.account_id}/${run.contact_id}`);
    if (!contact) {
      outcomes.push({ outcome: 'failed', detail: 'The contact no longer exists' });
      continue;
    }
    const key = step.field_key!;
    const customFields = await context.customFieldsOf(run.account_id);
    const raw = renderTemplate(step.field_value ?? '', placeholderValues({ ...contact, event_data: run.event_data }));
    const checked = validateFieldValue(key, raw, customFields);
    if (!checked.ok) {
      outcomes.push({ outcome: 'failed', detail: checked.reason });
      continue;
    }
    writes.push({ accountId: run.account_id, contactId: run.contact_id, key, value: checked.value === null ? null : JSON.stringify(checked.value), custom: customFields.has(key) });
    outcomes.push({ outcome: 'passed', detail: checked.value === null ? `${key} cleared` : `${key} set to ${String(checked.value)}` });
  }
  // One statement per wave: an UPDATE … FROM applies only one source row to a target row, so two
  // writes to the same contact in a round (two programs, two fields) go in successive waves, in order.
  for (const wave of waves(writes, (w) => `${w.accountId}/${w.contactId}`)) {
    // A built-in column by name (a fixed list), a custom field in the jsonb.
    await client.query(
      `update contact c set
         email = case when v.key = 'email' then v.value #>> '{}' else c.email end,
         first_name = case when v.key = 'first_name' then v.value #>> '{}' else c.first_name end,
         last_name = case when v.key = 'last_name' then v.value #>> '{}' else c.last_name end,
         fields = case when not v.custom then c.fields when v.value is null then c.fields - v.key else jsonb_set(c.fields, array[v.key], v.value) end,
         updated_at = now()
       from unnest($1::uuid[], $2::bigint[], $3::text[], $4::jsonb[], $5::boolean[]) as v(account_id, contact_id, key, value, custom)
       where c.account_id = v.account_id and c.id = v.contact_id`,
      [wave.map((w) => w.accountId), wave.map((w) => w.contactId), wave.map((w) => w.key), wave.map((w) => w.value), wave.map((w) => w.custom)],
    );
  }
  return outcomes;
}

/** The actions of the kinds that act at once (a wait is the runner's: it ends the round). */
export const STEP_ACTIONS: Readonly<Record<'send_sms' | 'send_email' | 'add_to_list' | 'update_field', (client: pg.ClientBase, group: RunAtStep[], context: ActionContext) => Promise<Outcome[]>>> = {
  send_sms: sendSms,
  send_email: sendEmail,
  add_to_list: addToList,
  update_field: updateField,
};
