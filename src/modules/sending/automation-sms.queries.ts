// The Send SMS step of automation programs: each run queues one message of an automation campaign
// to its contact, in the outbox the dispatcher works on (DESIGN.md "Sending"). One statement for
// any number of runs, in the engine's own transaction; who is not texted, and why, is decided as
// at a launch (launch.queries.ts).
import type pg from 'pg';
import { RECIPIENT_STATUS_SQL, SKIP_REASON_SQL } from './launch.queries.js';

export interface AutomationSms {
  accountId: string;
  campaignId: string;
  contactId: string;
  /** The automation run that sends it: a contact receives the campaign once per run. */
  runId: string;
  /** The program of the run (the campaign's figures per program). */
  programId: string;
  /** The data of the event that started the run, for `{{event.<name>}}`. */
  eventData: Record<string, unknown>;
}

export interface QueuedAutomationSms {
  /** The message written (null when none was: see skipReason). */
  id: string | null;
  status: 'queued' | 'skipped';
  /** A skipped message's reason (opted_out, opted_out_of_number, bad_number), or why none was
   * written: `erased` (the contact is gone), `cancelled` (the campaign was cancelled),
   * `not_automation` (no automation campaign of the account has this id). */
  skipReason: string | null;
}

/** Queues one message per entry (its contact's phone and country, the run and the event data), or
 * writes it skipped with the reason; answers one outcome per entry, in order. Dispatch starts with
 * dispatchAutomationSoon once the caller's transaction has committed. */
export async function queueAutomationSmsOn(client: pg.ClientBase, sms: AutomationSms[]): Promise<QueuedAutomationSms[]> {
  if (!sms.length) return [];
  // Message ids are drawn beforehand, so that each answer finds its entry (the same contact may
  // appear twice). Only the account's own campaigns and contacts are joined.
  const { rows } = await client.query<{ id: string | null; status: 'queued' | 'skipped' | null; skip_reason: string | null; reason: string }>(
    `with input as (
       select * from unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[], $5::jsonb[], $6::uuid[]) with ordinality as i(account_id, campaign_id, contact_id, run_id, event_data, program_id, pos)),
     target as (
       select i.*, c.phone, c.country, c.time_zone, c.sms_opt_in, c.bad_number,
              exists (select 1 from number_opt_out x where x.account_id = i.account_id and x.contact_id = c.id and x.inbound_number_id = k.inbound_number_id) as out_of_number,
              case when k.id is null then 'not_automation' when k.status = 'cancelled' then 'cancelled' when c.id is null then 'erased' end as reason
       from input i
       left join campaign k on k.account_id = i.account_id and k.id = i.campaign_id and k.kind = 'automation'
       left join contact c on c.account_id = i.account_id and c.id = i.contact_id),
     planned as (
       select t.*, case when t.reason is null then nextval(pg_get_serial_sequence('message', 'id')) end as id from target t order by t.pos),
     written as (
       insert into message (id, account_id, campaign_id, contact_id, phone, country, time_zone, status, skip_reason, run_id, event_data, program_id)
       select c.id, c.account_id, c.campaign_id, c.contact_id, c.phone, c.country, c.time_zone, ${RECIPIENT_STATUS_SQL}, ${SKIP_REASON_SQL}, c.run_id, c.event_data, c.program_id
       from planned c where c.id is not null
       returning id, status, skip_reason)
     select w.id, w.status, w.skip_reason, p.reason from planned p left join written w on w.id = p.id order by p.pos`,
    [sms.map((s) => s.accountId), sms.map((s) => s.campaignId), sms.map((s) => s.contactId), sms.map((s) => s.runId), sms.map((s) => JSON.stringify(s.eventData ?? {})), sms.map((s) => s.programId)],
  );
  return rows.map((row) => (row.id ? { id: String(row.id), status: row.status!, skipReason: row.skip_reason } : { id: null, status: 'skipped', skipReason: row.reason }));
}
