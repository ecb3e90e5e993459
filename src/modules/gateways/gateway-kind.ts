// The one gateway interface (DESIGN.md "Gateways"). A kind of gateway (simulator, kannel, twilio,
// generic) is one object in one file under kinds/, listed once in registry.ts: it declares its
// options, checks their values, sends a batch, verifies and parses its delivery-report webhook,
// and builds its webhook URLs. Settings → Gateways, the CLI and the launch check read the kinds
// from the registry only.
//
// Every message carries a client reference (our message id), so a gateway that honours it
// delivers a resent message once.
import crypto from 'node:crypto';
import type pg from 'pg';

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

/** What an adapter needs of a gateway row. */
export interface GatewayRow {
  id: string;
  accountId: string;
  kind: string;
  config: Record<string, string>;
  secret: string;
}

export interface GatewayOption {
  name: string;
  label: string;
  required: boolean;
  /** Shown masked and never echoed back (passwords, tokens). */
  secret: boolean;
  /** A value to check beyond being present: an http(s) URL, a rate in [0, 1], whole milliseconds. */
  type: 'text' | 'url' | 'rate' | 'milliseconds';
}

export const REPORT_STATUSES = ['delivered', 'undelivered', 'failed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export interface DeliveryReport {
  gatewayMessageId: string;
  status: ReportStatus;
  errorCode: string | null;
}

/** A webhook request refused before anything is stored: its status and a message for the caller. */
export class WebhookRejection extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Headers = Record<string, string | string[] | undefined>;

export interface GatewayKind {
  kind: string;
  /** How Settings → Gateways names it. */
  label: string;
  options: GatewayOption[];
  /** Options a new gateway of this kind starts with. */
  defaults: Record<string, string>;
  /** The adapter that sends; null while this kind cannot send yet (launches say so). */
  adapter: ((gateway: GatewayRow, client: pg.ClientBase) => GatewayAdapter) | null;
  /** Verifies and parses a delivery-report webhook; throws WebhookRejection. */
  parseDeliveryReport(gateway: { secret: string }, headers: Headers, body: unknown): DeliveryReport;
  /** The URLs the operator pastes into the gateway, for inbound messages and delivery reports. */
  webhookUrls(gateway: { id: string; secret: string }, publicUrl: string): { inbound: string; dlr: string };
}

/** An option declaration with the usual defaults. */
export function option(name: string, label: string, more: Partial<Omit<GatewayOption, 'name' | 'label'>> = {}): GatewayOption {
  return { name, label, required: false, secret: false, type: 'text', ...more };
}

/** The webhook URLs of the kinds that need nothing in them (the secret travels in a header). */
export function plainWebhookUrls(gateway: { id: string }, publicUrl: string): { inbound: string; dlr: string } {
  const base = `${publicUrl}/webhooks/${gateway.id}`;
  return { inbound: `${base}/inbound`, dlr: `${base}/dlr` };
}

export function verifyBearer(header: string | string[] | undefined, secret: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(typeof header === 'string' ? header : '')?.[1] ?? '');
  const expected = Buffer.from(secret);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

/** Textcast's own JSON delivery report (the simulator's and the generic gateway's):
 * {"id": "<gateway message id>", "status": "delivered|undelivered|failed", "error_code": "..."}
 * with `Authorization: Bearer <gateway secret>`. */
export function parseJsonDeliveryReport(gateway: { secret: string }, headers: Headers, body: unknown): DeliveryReport {
  if (!verifyBearer(headers.authorization, gateway.secret)) throw new WebhookRejection(401, 'unauthorized', 'Wrong or missing gateway secret (Authorization: Bearer <secret>).');
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

/** For kinds whose delivery reports are not taken yet. */
export function reportsNotTaken(kind: string): GatewayKind['parseDeliveryReport'] {
  return () => {
    throw new WebhookRejection(404, 'not_supported', `Delivery reports from ${kind} gateways are not taken yet.`);
  };
}
