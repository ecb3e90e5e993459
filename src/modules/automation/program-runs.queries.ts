// The run engine's SQL (program-runner.ts has the steps). Runs are entered from event triggers
// and advanced in batches, set-based: a batch of runs costs a few statements per step kind, never
// one round trip per contact, so a burst of API triggers is queued in seconds.
import type pg from 'pg';
import type { StepKind, StepOutcome } from './program.entity.js';

/** Triggers read per round (each may enter several programs). */
export const ENTER_BATCH = 2000;

/**
 * Enters the contacts of unprocessed triggers into the active programs on their event, and marks
 * the triggers processed, in one statement. A contact already entered into the program within
 * its re-entry window (or twice in this batch) is entered once. Triggers without a contact, or
 * on events no active program uses, are only marked. Entering is serialised across processes by
 * an advisory lock (the re-entry check reads runs another process may be writing).
 * The re-entry check is skipped without a window, and asks for the contact's last entry (max):
 * as a NOT EXISTS anti-join, planned on statistics taken while automation_run was small, it
 * scanned the program's runs once per trigger, so entering grew with the square of a burst.
 */
export async function enterTriggeredOn(client: pg.ClientBase, limit = ENTER_BATCH): Promise<{ triggers: number; entered: number }> {
  await client.query(`select pg_advisory_xact_lock(hashtext('automation-enter'))`);
  const { rows } = await client.query<{ triggers: string; entered: string }>(
    `with claimed as (
       select t.id, t.account_id, t.event_id, t.contact_id, t.data from event_trigger t
       where t.processed_at is null order by t.id limit $1 for update skip locked
     ), marked as (
       update event_trigger t set processed_at = now() from claimed c where t.id = c.id and t.account_id = c.account_id returning t.id
     ), entered as (
       insert into automation_run (account_id, program_id, contact_id, trigger_id, event_data, status, position, due_at, entered_at)
       select distinct on (p.id, c.contact_id, case when p.reentry_minutes = 0 then c.id end) c.account_id, p.id, c.contact_id, c.id, c.data, 'running', -1, now(), now()
       from claimed c
       join automation_program p on p.account_id = c.account_id and p.event_id = c.event_id and p.status = 'active'
       join contact k on k.account_id = c.account_id and k.id = c.contact_id
       where (p.reentry_minutes = 0
              or coalesce((select max(r.entered_at) from automation_run r where r.account_id = p.account_id and r.program_id = p.id and r.contact_id = c.contact_id),
                          '-infinity') <= now() - make_interval(mins => p.reentry_minutes))
       order by p.id, c.contact_id, case when p.reentry_minutes = 0 then c.id end, c.id
       returning id
     )
     select (select count(*) from marked) as triggers, (select count(*) from entered) as entered`,
    [limit],
  );
  return { triggers: Number(rows[0]!.triggers), entered: Number(rows[0]!.entered) };
}

/** A due run, locked for this transaction. */
export interface DueRun {
  id: string;
  account_id: string;
  program_id: string;
  contact_id: string;
  event_data: Record<string, unknown>;
  attempts: number;
  /** The position after which its next step comes (its step's current position, or where that
   * step was when it was deleted). */
  after: number;
  /** The wait step it has just finished waiting in (not yet in its path), if any. */
  waiting_step_id: string | null;
}

/** Locks up to `limit` due runs of active programs (a paused program's runs wait where they are),
 * or only the run `onlyId`. */
export async function claimDueRunsOn(client: pg.ClientBase, limit: number, onlyId: string | null = null): Promise<DueRun[]> {
  const { rows } = await client.query<DueRun>(
    `select r.id, r.account_id, r.program_id, r.contact_id, r.event_data, r.attempts, coalesce(s.position, r.position) as after,
            case when s.kind = 'wait' and not exists (select 1 from automation_run_step x where x.account_id = r.account_id and x.run_id = r.id and x.step_id = s.id)
                 then s.id end as waiting_step_id
     from automation_run r
     join automation_program p on p.account_id = r.account_id and p.id = r.program_id
     left join automation_step s on s.account_id = r.account_id and s.id = r.step_id
     where r.status = 'running' and r.due_at <= now() and p.status = 'active' and ($2::bigint is null or r.id = $2)
     order by r.due_at limit $1
     for update of r skip locked`,
    [limit, onlyId],
  );
  return rows;
}

/** A step as the runner acts on it. */
export interface StepRow {
  id: string;
  program_id: string;
  position: number;
  kind: StepKind;
  enabled: boolean;
  campaign_id: string | null;
  email_template_id: string | null;
  list_id: string | null;
  wait_seconds: number | null;
  wait_until: string | null;
  field_key: string | null;
  field_value: string | null;
}

/** The current steps of these programs, in order (what a run does next is read at that moment, so
 * an edit applies to every contact not yet past the changed step). */
export async function stepsOfOn(client: pg.ClientBase, programIds: string[]): Promise<Map<string, StepRow[]>> {
  const { rows } = await client.query<StepRow>(
    `select id, program_id, position, kind, enabled, campaign_id, email_template_id, list_id, wait_seconds, wait_until, field_key, field_value
     from automation_step where program_id = any($1::uuid[]) order by program_id, position`,
    [programIds],
  );
  const byProgram = new Map<string, StepRow[]>();
  for (const row of rows) byProgram.set(row.program_id, [...(byProgram.get(row.program_id) ?? []), row]);
  return byProgram;
}

/** What one step did for one run. */
export interface StepRecord {
  accountId: string;
  runId: string;
  stepId: string;
  kind: StepKind;
  outcome: StepOutcome;
  detail: string | null;
}

/** Appends steps to the runs' paths (in the order given). */
export async function recordStepsOn(client: pg.ClientBase, records: StepRecord[]): Promise<void> {
  if (!records.length) return;
  await client.query(
    `insert into automation_run_step (account_id, run_id, step_id, kind, outcome, detail)
     select v.account_id, v.run_id, v.step_id, v.kind, v.outcome, v.detail
     from unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::text[]) with ordinality as v(account_id, run_id, step_id, kind, outcome, detail, n)
     order by v.n`,
    [records.map((r) => r.accountId), records.map((r) => r.runId), records.map((r) => r.stepId), records.map((r) => r.kind), records.map((r) => r.outcome), records.map((r) => r.detail?.slice(0, 300) ?? null)],
  );
}

/** Where a run stands after a round: at a step (waiting until `dueAt`), or ended. */
export interface RunUpdate {
  id: string;
  accountId: string;
  status: 'running' | 'completed' | 'failed';
  stepId: string | null;
  position: number;
  dueAt: Date;
  attempts: number;
  lastError: string | null;
}

export async function updateRunsOn(client: pg.ClientBase, updates: RunUpdate[]): Promise<void> {
  if (!updates.length) return;
  await client.query(
    `update automation_run r set status = v.status, step_id = v.step_id, position = v.position, due_at = v.due_at, attempts = v.attempts, last_error = v.last_error,
            finished_at = case when v.status = 'running' then null else now() end
     from unnest($1::bigint[], $2::uuid[], $3::text[], $4::uuid[], $5::smallint[], $6::timestamptz[], $7::smallint[], $8::text[])
       as v(id, account_id, status, step_id, position, due_at, attempts, last_error)
     where r.account_id = v.account_id and r.id = v.id`,
    [
      updates.map((u) => u.id),
      updates.map((u) => u.accountId),
      updates.map((u) => u.status),
      updates.map((u) => u.stepId),
      updates.map((u) => u.position),
      updates.map((u) => u.dueAt),
      updates.map((u) => u.attempts),
      updates.map((u) => u.lastError?.slice(0, 300) ?? null),
    ],
  );
}

/** The account zones of these accounts (a wait "until 09:00" is in the account's zone). */
export async function accountZonesOn(client: pg.ClientBase, accountIds: string[]): Promise<Map<string, string>> {
  const { rows } = await client.query<{ id: string; time_zone: string }>(`select id, time_zone from account where id = any($1::uuid[])`, [accountIds]);
  return new Map(rows.map((row) => [row.id, row.time_zone]));
}
