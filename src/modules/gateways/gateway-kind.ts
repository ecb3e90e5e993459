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
import { BOUNCES, bounceOfCode, type Bounce } from './bounces.js';

export interface OutgoingMessage {
  /** Our message id: the gateway's client reference. */
  clientRef: string;
  to: string;
  from: string;
  body: string;
  parts: number;
  /** How the text is encoded on the air (the dispatcher's count): a UCS-2 text must be sent as
   * such where the gateway asks (Kannel's coding=2). */
  encoding: 'GSM-7' | 'UCS-2';
  /** 1 for the first try; a retry sends the same client reference again. */
  attempt: number;
}

export type SendResult =
  | { clientRef: string; accepted: true; gatewayMessageId: string }
  /** `permanent`: the gateway will never take it (fail and refund); otherwise retry later. */
  | {
      clientRef: string;
      accepted: false;
      permanent: boolean;
      errorCode: string;
      /** The provider asked to wait (Retry-After): the retry waits at least that. */
      retryAfterSeconds?: number;
      /** The provider says the recipient unsubscribed (the contact is opted out with source
       * "gateway") or the number is invalid (the contact is flagged bad number). */
      contactEffect?: 'opted_out' | 'bad_number';
      /** No HTTP answer or a 5xx: counts toward pausing the gateway. */
      transport?: boolean;
    };

/** What an adapter may need beyond its gateway: the public URL its webhooks are reached at
 * (a provider told where to post delivery reports with each message). */
export interface AdapterContext {
  publicUrl: string;
}

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

/** What a webhook's verification needs of its gateway: the webhook secret, and the options
 * (a provider that signs its requests with a credential, such as Twilio's auth token). */
export interface WebhookGatewayRow {
  secret: string;
  config: Record<string, string>;
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

/** A report that is not final (queued at the gateway, accepted by the SMSC): it is recorded with
 * the message's events, and the message stays `sent`. */
export const PENDING_REPORT = 'pending';

export interface DeliveryReport {
  gatewayMessageId: string;
  status: ReportStatus | typeof PENDING_REPORT;
  errorCode: string | null;
  /** How an undelivered or failed message bounced (bounces.ts); null when delivered. */
  bounce: Bounce | null;
}

/** An SMS that arrived: the gateway's id for it, the sender as given, the number it was sent to,
 * the text, and when the gateway received it. */
export interface InboundSms {
  gatewayMessageId: string;
  from: string;
  to: string;
  text: string;
  receivedAt: Date;
}

/** The longest text an inbound SMS can have: 10 concatenated parts of 160 characters, with room. */
export const MAX_INBOUND_TEXT = 2_000;

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
/** A webhook's query string, as parsed (a repeated name gives an array). */
export type Query = Record<string, string | string[] | undefined>;

/** Where a webhook request came: the public URL it was made to (PUBLIC_URL and the path with its
 * query: what a provider signs, as Twilio does), and its query parameters (Kannel's GET). */
export interface WebhookRequest {
  url: string;
  query: Query;
}

export interface GatewayKind {
  kind: string;
  /** How Settings → Gateways names it. */
  label: string;
  options: GatewayOption[];
  /** Options a new gateway of this kind starts with. */
  defaults: Record<string, string>;
  /** The adapter that sends; null while this kind cannot send yet (launches say so). */
  adapter: ((gateway: GatewayRow, client: pg.ClientBase, context: AdapterContext) => GatewayAdapter) | null;
  /** Checks the provider answers with these settings, sending nothing billable; null when the kind has no such check. */
  testConnection: ((gateway: GatewayRow) => Promise<{ ok: boolean; message: string }>) | null;
  /** Verifies and parses a delivery-report webhook (a POST body, or a GET's query only); throws
   * WebhookRejection. An interim status (queued, accepted by the SMSC) is a PENDING_REPORT. */
  parseDeliveryReport(gateway: WebhookGatewayRow, headers: Headers, body: unknown, request: WebhookRequest): DeliveryReport;
  /** Verifies and parses an inbound-message webhook (a POST body, or a GET's query only); throws
   * WebhookRejection. */
  parseInbound(gateway: WebhookGatewayRow, headers: Headers, body: unknown, request: WebhookRequest): InboundSms;
  /** What the provider expects in answer to an inbound message, when not Textcast's JSON
   * (Twilio: an empty TwiML document, so that it sends no reply of its own). */
  inboundAnswer?: { contentType: string; body: string };
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

/** Whether a given secret is the gateway's, compared in constant time. */
export function sameSecret(given: unknown, secret: string): boolean {
  const a = Buffer.from(typeof given === 'string' ? given : '');
  const b = Buffer.from(secret);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

export function verifyBearer(header: string | string[] | undefined, secret: string): boolean {
  return sameSecret(/^Bearer (.+)$/.exec(typeof header === 'string' ? header : '')?.[1] ?? '', secret);
}

/** Textcast's own JSON delivery report (the simulator's and the generic gateway's):
 * {"id": "<gateway message id>", "status": "delivered|undelivered|failed", "error_code": "...",
 * "bounce": "hard|soft|unknown"} with `Authorization: Bearer <gateway secret>`. Without "bounce",
 * an undelivered or failed message's class comes from its error code (bounces.ts). */
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
  const bounce = report.bounce ?? null;
  if (bounce !== null && !BOUNCES.includes(bounce as Bounce)) throw new WebhookRejection(400, 'malformed', `"bounce" must be one of ${BOUNCES.join(', ')}.`);
  return {
    gatewayMessageId: id,
    status: status as ReportStatus,
    errorCode: errorCode as string | null,
    // A delivered message did not bounce, whatever else the report says.
    bounce: status === 'delivered' ? null : ((bounce as Bounce | null) ?? bounceOfCode(errorCode as string | null)),
  };
}

export const malformed = (message: string) => new WebhookRejection(400, 'malformed', message);

/** A string field of a JSON or form body, present, non-empty and at most `max` characters. */
export function textField(body: Record<string, unknown>, name: string, max: number, what: string): string {
  const value = body[name];
  if (typeof value !== 'string' || !value.trim() || value.length > max) throw malformed(`"${name}" must be ${what} (a string of 1 to ${max} characters).`);
  return value;
}

/** Textcast's own JSON inbound message (the simulator's and the generic gateway's):
 * {"id": "<unique>", "from": "+E164", "to": "+E164", "text": "...", "received_at": "ISO-8601"}
 * with `Authorization: Bearer <gateway secret>`. The text may be empty (an empty SMS is still a
 * message); "received_at" may be left out (now). */
export function parseJsonInbound(gateway: { secret: string }, headers: Headers, body: unknown): InboundSms {
  if (!verifyBearer(headers.authorization, gateway.secret)) throw new WebhookRejection(401, 'unauthorized', 'Wrong or missing gateway secret (Authorization: Bearer <secret>).');
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw malformed('The body must be a JSON object.');
  const message = body as Record<string, unknown>;
  const gatewayMessageId = textField(message, 'id', 100, 'the gateway message id');
  const from = textField(message, 'from', 40, 'the sender number');
  const to = textField(message, 'to', 40, 'the number it was sent to');
  const text = message.text ?? '';
  if (typeof text !== 'string' || text.length > MAX_INBOUND_TEXT) throw malformed(`"text" must be the message text (a string of at most ${MAX_INBOUND_TEXT} characters).`);
  let receivedAt = new Date();
  if (message.received_at !== undefined) {
    const at = typeof message.received_at === 'string' && message.received_at.length <= 40 ? new Date(message.received_at) : new Date(NaN);
    if (Number.isNaN(at.getTime()) || at.getUTCFullYear() < 2000 || at.getUTCFullYear() > 9999) throw malformed('"received_at" must be an ISO-8601 time such as 2026-12-02T10:15:00Z.');
    receivedAt = at;
  }
  return { gatewayMessageId, from, to, text, receivedAt };
}
