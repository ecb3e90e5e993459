// The one gateway interface (DESIGN.md "Gateways"): send a batch, and verify and parse a
// delivery-report webhook. Every message carries a client reference (the message id), so a
// gateway that honours it delivers a resent message once. The simulator is built in; the kannel,
// twilio and generic adapters arrive with the real-gateway issue on this same interface.
import crypto from 'node:crypto';
import type pg from 'pg';
import type { Gateway } from './gateway.entity.js';
import { SIMULATOR_DEFAULTS } from './gateways.service.js';

export interface OutgoingMessage {
  /** Our message id: the gateway's client reference. */
  clientRef: string;
  to: string;
  from: string;
  body: string;
  parts: number;
  /** 1 for the first try; a retry sends the same client reference again. */
  attempt: number;
}

export type SendResult =
  | { clientRef: string; accepted: true; gatewayMessageId: string }
  /** `permanent`: the gateway will never take it (fail and refund); otherwise retry later. */
  | { clientRef: string; accepted: false; permanent: boolean; errorCode: string };

export interface GatewayAdapter {
  send(messages: OutgoingMessage[]): Promise<SendResult[]>;
}

export type GatewayRow = Pick<Gateway, 'id' | 'kind' | 'config' | 'secret'> & { accountId: string };

/** Whether gateways of this kind can send yet (the launch refuses the others, saying why). */
export function canSend(kind: string): boolean {
  return kind === 'simulator';
}

/** The adapter of a gateway; `client` is the dispatcher's connection (the simulator's store). */
export function adapterFor(gateway: GatewayRow, client: pg.ClientBase): GatewayAdapter {
  if (gateway.kind === 'simulator') return new SimulatorAdapter(gateway, client);
  throw new Error(sendingUnavailable(gateway.kind));
}

export function sendingUnavailable(kind: string): string {
  return `Sending through ${kind} gateways is not available yet: make the simulator (or another gateway that can send) the default under Settings → Gateways.`;
}

// ---------------------------------------------------------------------------------------------
// The simulator: accepts messages into simulator_message (one row per client reference), and a
// reporter (simulator-reporter.ts) posts each one's delivery report to the gateway's own webhook
// after `delay_ms`. Outcomes are drawn from the client reference (and attempt), so they are
// reproducible: `reject_rate` refuses for good, `soft_bounce_rate` refuses for now (retry),
// `failure_rate` accepts and later reports undelivered.

export interface SimulatorSettings {
  delayMs: number;
  failureRate: number;
  softBounceRate: number;
  rejectRate: number;
}

export function simulatorSettings(config: Record<string, string>): SimulatorSettings {
  const value = (key: keyof typeof SIMULATOR_DEFAULTS | 'reject_rate', fallback: string) => Number(config[key] ?? fallback);
  return {
    delayMs: value('delay_ms', SIMULATOR_DEFAULTS.delay_ms),
    failureRate: value('failure_rate', SIMULATOR_DEFAULTS.failure_rate),
    softBounceRate: value('soft_bounce_rate', SIMULATOR_DEFAULTS.soft_bounce_rate),
    rejectRate: value('reject_rate', '0'),
  };
}

/** A number in [0, 1) drawn from the text (the same text, the same number). */
function draw(text: string): number {
  return crypto.createHash('sha1').update(text).digest().readUInt32BE(0) / 2 ** 32;
}

class SimulatorAdapter implements GatewayAdapter {
  private readonly settings: SimulatorSettings;

  constructor(
    private readonly gateway: GatewayRow,
    private readonly client: pg.ClientBase,
  ) {
    this.settings = simulatorSettings(gateway.config);
  }

  async send(messages: OutgoingMessage[]): Promise<SendResult[]> {
    const { rejectRate, softBounceRate, failureRate, delayMs } = this.settings;
    const results = new Map<string, SendResult>();
    const accepted: (OutgoingMessage & { id: string; report: string })[] = [];
    for (const message of messages) {
      if (draw(`reject:${message.clientRef}`) < rejectRate) {
        results.set(message.clientRef, { clientRef: message.clientRef, accepted: false, permanent: true, errorCode: 'SIM-REJECTED' });
      } else if (draw(`bounce:${message.clientRef}:${message.attempt}`) < softBounceRate) {
        results.set(message.clientRef, { clientRef: message.clientRef, accepted: false, permanent: false, errorCode: 'SIM-THROTTLED' });
      } else {
        const report = draw(`report:${message.clientRef}`) < failureRate ? 'undelivered' : 'delivered';
        accepted.push({ ...message, id: crypto.randomUUID(), report });
      }
    }
    if (accepted.length) {
      // A client reference seen before keeps its first row and id: delivered once.
      const { rows } = await this.client.query<{ id: string; client_ref: string }>(
        `insert into simulator_message (id, account_id, gateway_id, client_ref, phone, sender, body, parts, report_status, error_code, report_at)
         select m.id, $1, $2, m.client_ref, m.phone, m.sender, m.body, m.parts, m.report, case when m.report = 'delivered' then null else 'SIM-UNREACHABLE' end,
                now() + make_interval(secs => $3::float8 / 1000)
         from jsonb_to_recordset($4::jsonb) as m(id uuid, client_ref text, phone text, sender text, body text, parts int, report text)
         on conflict (gateway_id, client_ref) do update set client_ref = excluded.client_ref
         returning id, client_ref`,
        [
          this.gateway.accountId,
          this.gateway.id,
          delayMs,
          JSON.stringify(accepted.map((m) => ({ id: m.id, client_ref: m.clientRef, phone: m.to, sender: m.from, body: m.body, parts: m.parts, report: m.report }))),
        ],
      );
      for (const row of rows) results.set(row.client_ref, { clientRef: row.client_ref, accepted: true, gatewayMessageId: row.id });
    }
    return messages.map((message) => results.get(message.clientRef)!);
  }
}

// ---------------------------------------------------------------------------------------------
// Delivery reports. The simulator's (and the generic gateway's) webhook: JSON
// {"id": "<gateway message id>", "status": "delivered|undelivered|failed", "error_code": "..."}
// with `Authorization: Bearer <gateway secret>`.

export const REPORT_STATUSES = ['delivered', 'undelivered', 'failed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export interface DeliveryReport {
  gatewayMessageId: string;
  status: ReportStatus;
  errorCode: string | null;
}

export class WebhookRejection extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function verifyBearer(header: string | undefined, secret: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(secret);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

export function parseDeliveryReport(gateway: { kind: string; secret: string }, headers: Record<string, string | string[] | undefined>, body: unknown): DeliveryReport {
  if (gateway.kind !== 'simulator' && gateway.kind !== 'generic') {
    throw new WebhookRejection(404, 'not_supported', `Delivery reports from ${gateway.kind} gateways are not taken yet.`);
  }
  if (!verifyBearer(headers.authorization as string | undefined, gateway.secret)) throw new WebhookRejection(401, 'unauthorized', 'Wrong or missing gateway secret (Authorization: Bearer <secret>).');
  const report = body as Record<string, unknown> | null;
  if (!report || typeof report !== 'object' || Array.isArray(report)) throw new WebhookRejection(400, 'malformed', 'The body must be a JSON object.');
  const id = report.id;
  const status = report.status;
  const errorCode = report.error_code ?? null;
  if (typeof id !== 'string' || !id || id.length > 100) throw new WebhookRejection(400, 'malformed', '"id" must be the gateway message id (a string of at most 100 characters).');
  if (!REPORT_STATUSES.includes(status as ReportStatus)) throw new WebhookRejection(400, 'malformed', `"status" must be one of ${REPORT_STATUSES.join(', ')}.`);
  if (errorCode !== null && (typeof errorCode !== 'string' || errorCode.length > 50)) throw new WebhookRejection(400, 'malformed', '"error_code" must be a string of at most 50 characters.');
  return { gatewayMessageId: id, status: status as ReportStatus, errorCode: errorCode as string | null };
}
