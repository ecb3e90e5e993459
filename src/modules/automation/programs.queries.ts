// What the program pages show, in SQL: per-step counts from the runs' paths (one grouped query,
// served by the path's (account, step, outcome) index), and recent runs with their paths.
import type { EntityManager } from '@mikro-orm/postgresql';
import { withClient } from '../../db/raw-client.js';
import { ProgramStep } from './program.entity.js';
import type { StepKind, StepOutcome, RunStatus } from './program.entity.js';

export interface StepCounts {
  entered: number;
  passed: number;
  failed: number;
  skipped: number;
  waiting: number;
}

const NO_COUNTS: StepCounts = { entered: 0, passed: 0, failed: 0, skipped: 0, waiting: 0 };

/** Per step of the program: how many runs passed, failed or skipped it, how many wait in it, and
 * how many entered it (all of those together). */
export async function stepCounts(em: EntityManager, accountId: string, programId: string): Promise<Map<string, StepCounts>> {
  const rows = await em.getConnection().execute<{ step_id: string; passed: string; failed: string; skipped: string; waiting: string }[]>(
    `select s.id as step_id,
            (select count(*) from automation_run_step x where x.account_id = s.account_id and x.step_id = s.id and x.outcome = 'passed') as passed,
            (select count(*) from automation_run_step x where x.account_id = s.account_id and x.step_id = s.id and x.outcome = 'failed') as failed,
            (select count(*) from automation_run_step x where x.account_id = s.account_id and x.step_id = s.id and x.outcome = 'skipped') as skipped,
            (select count(*) from automation_run r where r.account_id = s.account_id and r.program_id = s.program_id and r.step_id = s.id and r.status = 'running') as waiting
     from automation_step s where s.account_id = ? and s.program_id = ?`,
    [accountId, programId],
  );
  return new Map(
    rows.map((row) => {
      const counts = { passed: Number(row.passed), failed: Number(row.failed), skipped: Number(row.skipped), waiting: Number(row.waiting) };
      return [row.step_id, { ...counts, entered: counts.passed + counts.failed + counts.skipped + counts.waiting }];
    }),
  );
}

export const countsOf = (counts: Map<string, StepCounts>, stepId: string): StepCounts => counts.get(stepId) ?? NO_COUNTS;

export interface ProgramTotals {
  entered: number;
  running: number;
  completed: number;
  failed: number;
}

/** Runs of each program by status (the programs list and a program's header). */
export async function programTotals(em: EntityManager, accountId: string, programIds: string[]): Promise<Map<string, ProgramTotals>> {
  if (!programIds.length) return new Map();
  // The ids go as one array parameter (the ORM's `execute` would spread an array into a list).
  const { rows } = await withClient(em, (client) =>
    client.query<{ program_id: string; entered: string; running: string; completed: string; failed: string }>(
      `select program_id, count(*) as entered, count(*) filter (where status = 'running') as running,
              count(*) filter (where status = 'completed') as completed, count(*) filter (where status = 'failed') as failed
       from automation_run where account_id = $1 and program_id = any($2::uuid[]) group by program_id`,
      [accountId, programIds],
    ),
  );
  return new Map(rows.map((row) => [row.program_id, { entered: Number(row.entered), running: Number(row.running), completed: Number(row.completed), failed: Number(row.failed) }]));
}

export interface PathStep {
  kind: StepKind;
  outcome: StepOutcome;
  detail: string | null;
  at: string;
}

export interface RunRow {
  id: string;
  contact_id: string;
  phone: string;
  name: string | null;
  status: RunStatus;
  entered_at: Date;
  finished_at: Date | null;
  due_at: Date;
  last_error: string | null;
  /** The kind of the step it waits in, when it waits. */
  waiting_in: StepKind | null;
  path: PathStep[];
}

export const RUNS_PAGE = 25;

/** A page of the program's runs, newest first, each with its path in order. */
export async function recentRuns(em: EntityManager, accountId: string, programId: string, options: { page: number; status?: RunStatus }): Promise<{ runs: RunRow[]; total: number }> {
  const filter = options.status ? 'and r.status = ?' : '';
  const params = options.status ? [accountId, programId, options.status] : [accountId, programId];
  const runs = await em.getConnection().execute<RunRow[]>(
    `select r.id, r.contact_id, c.phone, nullif(trim(concat_ws(' ', c.first_name, c.last_name)), '') as name, r.status, r.entered_at, r.finished_at, r.due_at, r.last_error,
            case when r.status = 'running' then s.kind end as waiting_in,
            coalesce((select json_agg(json_build_object('kind', x.kind, 'outcome', x.outcome, 'detail', x.detail, 'at', x.at) order by x.id)
                      from automation_run_step x where x.account_id = r.account_id and x.run_id = r.id), '[]') as path
     from automation_run r
     join contact c on c.account_id = r.account_id and c.id = r.contact_id
     left join automation_step s on s.account_id = r.account_id and s.id = r.step_id
     where r.account_id = ? and r.program_id = ? ${filter}
     order by r.id desc limit ${RUNS_PAGE} offset ${(options.page - 1) * RUNS_PAGE}`,
    params,
  );
  const [{ total }] = await em.getConnection().execute<{ total: string }[]>(`select count(*) as total from automation_run r where r.account_id = ? and r.program_id = ? ${filter}`, params);
  return { runs, total: Number(total) };
}

/** A contacts usage check (contacts/usage.ts): the programs with a step that adds contacts to the
 * list (the step's foreign key restricts; this says which). The account's filter scopes it. */
export async function programsUsingList(em: EntityManager, used: { segmentId: string } | { listId: string }): Promise<{ name: string; program: true }[]> {
  if (!('listId' in used)) return [];
  const steps = await em.find(ProgramStep, { list: used.listId }, { populate: ['program'] });
  return [...new Set(steps.map((step) => step.program.name))].sort().map((name) => ({ name, program: true }));
}

/** A campaigns hook (campaigns/hooks.ts): the programs with a Send SMS step on the campaign. */
export async function programsSendingCampaign(em: EntityManager, campaignId: string): Promise<string[]> {
  const steps = await em.find(ProgramStep, { campaign: campaignId }, { populate: ['program'] });
  return [...new Set(steps.map((step) => step.program.name))].sort();
}
