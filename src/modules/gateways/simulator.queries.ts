// Hand-written SQL of the simulator gateway over simulator_message: what the adapter
// (kinds/simulator.ts) accepts, and the reports the reporter (simulator-reporter.ts) claims and
// settles. Every function takes a raw client (the dispatcher's connection, or one the reporter
// borrows), so every name ends in `On`.
//
// Accounts: accepting writes the gateway's account id; claiming due reports is a system job
// across accounts (like the scheduler's), and it hands back each report's account id, which the
// settling statements then filter by with the report's id.
import type pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';

/** A message the simulator accepted, with the report it will post. */
export interface SimulatedMessage {
  id: string;
  clientRef: string;
  phone: string;
  sender: string;
  body: string;
  parts: number;
  report: string;
  /** The error code the report carries (null when delivered). */
  errorCode: string | null;
}

/** Records accepted messages of a gateway, their reports due `delayMs` from now. A client
 * reference seen before keeps its first row and id (delivered once): the answer gives the id
 * kept for each client reference. */
export async function acceptMessagesOn(
  client: pg.ClientBase,
  gateway: { id: string; accountId: string },
  delayMs: number,
  messages: SimulatedMessage[],
): Promise<{ id: string; clientRef: string }[]> {
  const { rows } = await client.query<{ id: string; client_ref: string }>(
    `insert into simulator_message (id, account_id, gateway_id, client_ref, phone, sender, body, parts, report_status, error_code, report_at)
     select m.id, $1, $2, m.client_ref, m.phone, m.sender, m.body, m.parts, m.report, m.error_code,
            now() + make_interval(secs => $3::float8 / 1000)
     from jsonb_to_recordset($4::jsonb) as m(id uuid, client_ref text, phone text, sender text, body text, parts int, report text, error_code text)
     on conflict (gateway_id, client_ref) do update set client_ref = excluded.client_ref
     returning id, client_ref`,
    [
      gateway.accountId,
      gateway.id,
      delayMs,
      JSON.stringify(messages.map((m) => ({ id: m.id, client_ref: m.clientRef, phone: m.phone, sender: m.sender, body: m.body, parts: m.parts, report: m.report, error_code: m.errorCode }))),
    ],
  );
  return rows.map((row) => ({ id: row.id, clientRef: row.client_ref }));
}

export interface DueReport {
  id: string;
  account_id: string;
  gateway_id: string;
  report_status: string;
  error_code: string | null;
  secret: string;
  report_attempts: number;
}

/** Claims up to `limit` due reports, of every account, with a 30-second lease (several workers
 * may run the reporter: a report is claimed by one), counting the attempt. */
export async function claimDueReportsOn(client: pg.ClientBase, limit: number): Promise<DueReport[]> {
  const { rows } = await client.query<DueReport>(
    `update simulator_message s set report_at = now() + interval '30 seconds', report_attempts = s.report_attempts + 1
     from gateway g
     where g.id = s.gateway_id and s.id in (select id from simulator_message where report_at <= now() order by report_at limit $1 for update skip locked)
     returning s.id, s.account_id, s.gateway_id, s.report_status, s.error_code, g.secret, s.report_attempts`,
    [limit],
  );
  return rows;
}

type ClaimedReport = Pick<DueReport, 'id' | 'account_id'>;

const ids = (reports: ClaimedReport[]) => [reports.map((r) => r.id), reports.map((r) => r.account_id)];

/** The webhook took these reports (or they were given up on): nothing more to post. */
export async function markReportedOn(client: pg.ClientBase, reports: ClaimedReport[]): Promise<void> {
  await client.query(
    `update simulator_message s set report_at = null
     from unnest($1::uuid[], $2::uuid[]) as r(id, account_id) where s.id = r.id and s.account_id = r.account_id`,
    ids(reports),
  );
}

/** The webhook refused these reports: tried again after twice as many seconds as attempts made. */
export async function retryReportsLaterOn(client: pg.ClientBase, reports: ClaimedReport[]): Promise<void> {
  await client.query(
    `update simulator_message s set report_at = now() + make_interval(secs => 2 * s.report_attempts)
     from unnest($1::uuid[], $2::uuid[]) as r(id, account_id) where s.id = r.id and s.account_id = r.account_id`,
    ids(reports),
  );
}

/** Erasure: the simulator's copies of these messages lose their number and text (the rows stay,
 * so a resent message is still delivered once). */
export async function eraseGatewayCopies(em: EntityManager, accountId: string, messages: { gatewayId: string; clientRef: string }[]): Promise<void> {
  if (!messages.length) return;
  await em.getConnection().execute(
    `update simulator_message s set phone = '', body = ''
     from jsonb_to_recordset(?::jsonb) as m(gateway_id uuid, client_ref text)
     where s.account_id = ? and s.gateway_id = m.gateway_id and s.client_ref = m.client_ref`,
    [JSON.stringify(messages.map((m) => ({ gateway_id: m.gatewayId, client_ref: m.clientRef }))), accountId],
    'run',
    em.getTransactionContext(),
  );
}
