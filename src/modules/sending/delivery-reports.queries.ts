// Delivery reports in SQL: applying a micro-batch of them, and marking messages whose report
// never came as unknown (delivery-reports.ts has the batching and the rules).
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { DeliveryReport } from '../gateways/index.js';

export const UNKNOWN_AFTER_HOURS = 72;

// Reports of many webhook requests, applied in one prepared statement: each is stored, and each
// message takes the first final status reported in the batch (an earlier batch's stands), with
// its bounce class (null when delivered, so a late report replacing "unknown" clears it too).
// A pending report (PENDING_REPORT: queued, accepted by the SMSC) is stored and changes nothing.
const APPLY_BATCH = {
  name: 'apply-delivery-reports',
  text: `with input as (
      select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::text[])
        with ordinality as r(account_id, gateway_id, gid, status, code, raw, bounce, pos)),
    target as (
      select r.pos, r.account_id, r.gateway_id, r.status, r.code, r.raw, r.bounce, m.id as message_id
      from input r join message m on m.account_id = r.account_id and m.gateway_id = r.gateway_id and m.gateway_message_id = r.gid),
    stored as (
      insert into message_event (account_id, gateway_id, message_id, status, error_code, raw)
      select account_id, gateway_id, message_id, status, code, raw from target order by pos),
    first as (
      select distinct on (message_id) message_id, account_id, status, code, bounce, pos from target where status <> 'pending' order by message_id, pos),
    changed as (
      update message m set status = f.status, error_code = f.code, bounce = f.bounce, reported_at = now()
      from first f where m.account_id = f.account_id and m.id = f.message_id and m.status in ('sending', 'sent', 'unknown')
      returning f.pos)
    select t.pos, c.pos is not null as changed from target t left join changed c on c.pos = t.pos`,
};

/** Applies a batch of reports; answers, by position in the batch (from 1), whether each found
 * its message and changed it (absent: no message of that gateway has the id). */
export async function applyReportsOn(client: pg.ClientBase, batch: { accountId: string; gatewayId: string; report: DeliveryReport; raw: unknown }[]): Promise<Map<number, boolean>> {
  const { rows } = await client.query<{ pos: string; changed: boolean }>({
    ...APPLY_BATCH,
    values: [
      batch.map((p) => p.accountId),
      batch.map((p) => p.gatewayId),
      batch.map((p) => p.report.gatewayMessageId),
      batch.map((p) => p.report.status),
      batch.map((p) => p.report.errorCode),
      batch.map((p) => JSON.stringify(p.raw)),
      batch.map((p) => p.report.bounce),
    ],
  });
  return new Map(rows.map((row) => [Number(row.pos), row.changed]));
}

/** Sent messages of campaigns that went out in the last 30 days with no final report after 72 h,
 * in every account (the hourly housekeeping job). */
export async function markUnknownDeliveries(em: EntityManager): Promise<number> {
  const rows = await em.getConnection().execute<{ count: string }[]>(
    `with marked as (
       update message m set status = 'unknown', reported_at = now()
       from campaign c
       where m.account_id = c.account_id and m.campaign_id = c.id
         and c.launched_at > now() - interval '30 days' and c.first_sent_at < now() - make_interval(hours => ?)
         and m.status = 'sent' and m.sent_at < now() - make_interval(hours => ?)
       returning 1)
     select count(*) from marked`,
    [UNKNOWN_AFTER_HOURS, UNKNOWN_AFTER_HOURS],
  );
  return Number(rows[0]!.count);
}
