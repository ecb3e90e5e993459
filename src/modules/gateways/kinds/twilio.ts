// Twilio's Messages API. Each message is one POST to
// {base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json (basic auth SID:token; To, Body, From
// or MessagingServiceSid, and StatusCallback: our delivery-report webhook), sent concurrently
// within the batch. Twilio's status callbacks and inbound messages are forms signed with the auth
// token (twilio-signature.ts): the webhook URLs carry no secret.
import { gatewayRequest, TransportError, type GatewayResponse } from '../outbound-http.js';
import {
  malformed,
  MAX_INBOUND_TEXT,
  option,
  PENDING_REPORT,
  plainWebhookUrls,
  REPORT_STATUSES,
  textField,
  WebhookRejection,
  type AdapterContext,
  type GatewayAdapter,
  type GatewayKind,
  type GatewayRow,
  type DeliveryReport,
  type Headers,
  type WebhookRequest,
  type OutgoingMessage,
  type ReportStatus,
  type SendResult,
  type WebhookGatewayRow,
} from '../gateway-kind.js';
import type { Bounce } from '../bounces.js';
import { validTwilioSignature, type FormParams } from './twilio-signature.js';

const DEFAULT_BASE_URL = 'https://api.twilio.com';
/** Requests in flight at once for one batch (a batch is at most a second of the gateway's rate). */
const CONCURRENCY = 32;
const TIMEOUT_MS = 10_000;
/** The longest wait a Retry-After header is taken for. */
const MAX_RETRY_AFTER_SECONDS = 3600;

type Refused = Extract<SendResult, { accepted: false }>;

// Twilio's API errors that say something about the recipient
// (https://www.twilio.com/docs/api/errors): 21610 the recipient replied STOP to this sender
// (Twilio refuses every message until they reply START); 21211 not a valid phone number; 21614
// not a mobile number.
const CONTACT_EFFECTS: Record<string, Refused['contactEffect']> = { '21610': 'opted_out', '21211': 'bad_number', '21614': 'bad_number' };

// Twilio's delivery errors (status callback ErrorCode) as bounces: the number does not exist or
// cannot take SMS (hard), the phone is unreachable for now (soft), or nothing known of the
// recipient (carrier filtering of the content, an unknown error, the account's own limits).
const BOUNCE_BY_ERROR: Record<string, Bounce> = {
  '30001': 'soft', // queue overflow: sent too fast
  '30003': 'soft', // unreachable destination handset: off, no signal
  '30004': 'hard', // message blocked: the recipient blocks this sender or its network refuses it
  '30005': 'hard', // unknown destination handset: no such number
  '30006': 'hard', // landline or unreachable carrier: the number cannot take SMS
  '30007': 'unknown', // filtered by the carrier (content), not the recipient's doing
  '30008': 'unknown', // unknown error
  '30009': 'soft', // missing segment: a part was lost on the way
};

const INTERIM_STATUSES = ['accepted', 'scheduled', 'queued', 'sending', 'sent', 'receiving', 'received', 'read', 'partially_delivered', 'canceled'];

const baseUrl = (config: Record<string, string>) => (config.base_url || DEFAULT_BASE_URL).replace(/\/+$/, '');
const accountUrl = (config: Record<string, string>) => `${baseUrl(config)}/2010-04-01/Accounts/${encodeURIComponent(config.account_sid ?? '')}`;
const basicAuth = (config: Record<string, string>) => `Basic ${Buffer.from(`${config.account_sid ?? ''}:${config.auth_token ?? ''}`).toString('base64')}`;

/** Twilio's JSON error body ({"code": 21211, "message": "...", "status": 400}), or what we have. */
function twilioError(response: GatewayResponse): { code: string; message: string } {
  try {
    const body = JSON.parse(response.body) as { code?: unknown; message?: unknown };
    if (body && (typeof body.code === 'number' || typeof body.code === 'string')) return { code: String(body.code), message: typeof body.message === 'string' ? body.message : '' };
  } catch {
    // Not JSON (a proxy's error page): the HTTP status says enough.
  }
  return { code: `HTTP ${response.status}`, message: response.body.slice(0, 200) };
}

/** Retry-After in seconds (a number of seconds or an HTTP date), or undefined. */
export function retryAfterSeconds(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) : (Date.parse(value) - now) / 1000;
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return Math.min(Math.ceil(seconds), MAX_RETRY_AFTER_SECONDS);
}

/** What Twilio's answer to one message means. */
function resultOf(clientRef: string, response: GatewayResponse): SendResult {
  if (response.status >= 200 && response.status < 300) {
    const sid = (() => {
      try {
        return (JSON.parse(response.body) as { sid?: unknown }).sid;
      } catch {
        return undefined;
      }
    })();
    if (typeof sid === 'string' && sid) return { clientRef, accepted: true, gatewayMessageId: sid };
    return { clientRef, accepted: false, permanent: false, errorCode: 'no message sid' };
  }
  const { code } = twilioError(response);
  const wait = retryAfterSeconds(response.headers['retry-after']);
  const later = wait === undefined ? {} : { retryAfterSeconds: wait };
  if (response.status === 429) return { clientRef, accepted: false, permanent: false, errorCode: code, ...later };
  if (response.status >= 500) return { clientRef, accepted: false, permanent: false, errorCode: code, transport: true, ...later };
  const effect = CONTACT_EFFECTS[code];
  return { clientRef, accepted: false, permanent: true, errorCode: code, ...(effect ? { contactEffect: effect } : {}) };
}

/** Wrong credentials (401) or a refused account (403): every other message would meet the same. */
const refusesEverything = (response: GatewayResponse) => response.status === 401 || response.status === 403;

class TwilioAdapter implements GatewayAdapter {
  constructor(
    private readonly gateway: GatewayRow,
    private readonly context: AdapterContext,
  ) {}

  async send(messages: OutgoingMessage[]): Promise<SendResult[]> {
    const results: SendResult[] = new Array(messages.length);
    let next = 0;
    // Set by an answer that every message would get: the rest are not sent (no request storm).
    let refusal: Refused | null = null;
    const worker = async () => {
      while (next < messages.length) {
        const index = next++;
        const message = messages[index]!;
        if (refusal) {
          results[index] = { ...refusal, clientRef: message.clientRef };
          continue;
        }
        const { result, everyMessage } = await this.sendOne(message);
        results[index] = result;
        if (everyMessage && !result.accepted) refusal = result;
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, messages.length) }, worker));
    return results;
  }

  private async sendOne(message: OutgoingMessage): Promise<{ result: SendResult; everyMessage: boolean }> {
    const { config } = this.gateway;
    const form = new URLSearchParams({ To: message.to, Body: message.body, StatusCallback: plainWebhookUrls(this.gateway, this.context.publicUrl).dlr });
    if (config.messaging_service_sid) form.set('MessagingServiceSid', config.messaging_service_sid);
    else form.set('From', config.from || message.from);
    try {
      const response = await gatewayRequest(`${accountUrl(config)}/Messages.json`, {
        method: 'POST',
        headers: { authorization: basicAuth(config), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        timeoutMs: TIMEOUT_MS,
      });
      return { result: resultOf(message.clientRef, response), everyMessage: refusesEverything(response) };
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      // A refused address never changes by itself; a timeout or a lost connection may.
      const refused = error.code === 'refused';
      return { result: { clientRef: message.clientRef, accepted: false, permanent: refused, errorCode: error.code, transport: !refused }, everyMessage: refused };
    }
  }
}

/** GET the account: answers whether the SID and token work, and bills nothing. */
async function testConnection(gateway: GatewayRow): Promise<{ ok: boolean; message: string }> {
  const { config } = gateway;
  let response: GatewayResponse;
  try {
    response = await gatewayRequest(`${accountUrl(config)}.json`, { headers: { authorization: basicAuth(config), accept: 'application/json' }, timeoutMs: TIMEOUT_MS });
  } catch (error) {
    if (!(error instanceof TransportError)) throw error;
    return { ok: false, message: `No answer from Twilio at ${baseUrl(config)}: ${error.message}.` };
  }
  if (response.status === 200) {
    const account = (() => {
      try {
        return JSON.parse(response.body) as { friendly_name?: string; status?: string };
      } catch {
        return {};
      }
    })();
    return { ok: true, message: `Twilio accepts the account SID and auth token: account "${account.friendly_name ?? config.account_sid}" (${account.status ?? 'status unknown'}).` };
  }
  const { code, message } = twilioError(response);
  if (response.status === 401) return { ok: false, message: `Twilio refused the account SID and auth token (error ${code}): check both in the Twilio console.` };
  if (response.status === 404) return { ok: false, message: `Twilio knows no account ${config.account_sid} with this auth token (error ${code}).` };
  return { ok: false, message: `Twilio answered HTTP ${response.status} (error ${code})${message ? `: ${message}` : ''}.` };
}

/** A webhook's form parameters, after its signature is checked (403 when it is not Twilio's). */
function signedForm(gateway: WebhookGatewayRow, headers: Headers, body: unknown, url: string): Record<string, unknown> {
  const form = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  const formParams = form && Object.values(form).every((v) => typeof v === 'string' || (Array.isArray(v) && v.every((one) => typeof one === 'string'))) ? (form as FormParams) : null;
  const signature = headers['x-twilio-signature'];
  const token = gateway.config.auth_token;
  if (!token || typeof signature !== 'string' || !validTwilioSignature(token, signature, url, formParams ?? {})) {
    throw new WebhookRejection(403, 'forbidden', "Missing or wrong X-Twilio-Signature: the request is not signed with this gateway's auth token for this URL.");
  }
  if (!formParams) throw malformed('The body must be a form (application/x-www-form-urlencoded) of text parameters.');
  return formParams;
}

function parseDeliveryReport(gateway: WebhookGatewayRow, headers: Headers, body: unknown, { url }: WebhookRequest): DeliveryReport {
  const form = signedForm(gateway, headers, body, url);
  const gatewayMessageId = textField(form, 'MessageSid', 100, 'the message SID');
  const status = textField(form, 'MessageStatus', 30, "the message's status");
  if (INTERIM_STATUSES.includes(status)) return { gatewayMessageId, status: PENDING_REPORT, errorCode: null, bounce: null };
  if (!REPORT_STATUSES.includes(status as ReportStatus)) throw malformed(`"MessageStatus" must be one of ${[...REPORT_STATUSES, ...INTERIM_STATUSES].join(', ')}.`);
  const errorCode = form.ErrorCode === undefined || form.ErrorCode === '' ? null : textField(form, 'ErrorCode', 50, "Twilio's error code");
  return {
    gatewayMessageId,
    status: status as ReportStatus,
    errorCode,
    bounce: status === 'delivered' ? null : (BOUNCE_BY_ERROR[errorCode ?? ''] ?? 'unknown'),
  };
}

function parseInbound(gateway: WebhookGatewayRow, headers: Headers, body: unknown, { url }: WebhookRequest) {
  const form = signedForm(gateway, headers, body, url);
  const text = form.Body ?? '';
  if (typeof text !== 'string' || text.length > MAX_INBOUND_TEXT) throw malformed(`"Body" must be the message text (at most ${MAX_INBOUND_TEXT} characters).`);
  return {
    gatewayMessageId: textField(form, 'MessageSid', 100, 'the message SID'),
    from: textField(form, 'From', 40, 'the sender number'),
    to: textField(form, 'To', 40, 'the number it was sent to'),
    text,
    receivedAt: new Date(),
  };
}

export const twilio: GatewayKind = {
  kind: 'twilio',
  label: 'Twilio',
  options: [
    option('account_sid', 'Account SID', { required: true }),
    option('auth_token', 'Auth token', { required: true, secret: true }),
    option('from', 'From number'),
    option('messaging_service_sid', 'Messaging service SID'),
    option('base_url', 'API base URL', { type: 'url' }),
  ],
  defaults: {},
  adapter: (gateway, _client, context) => new TwilioAdapter(gateway, context),
  testConnection,
  parseDeliveryReport,
  parseInbound,
  // An empty TwiML answer: Twilio sends nothing of its own (replies go out through the outbox).
  inboundAnswer: { contentType: 'text/xml', body: '<?xml version="1.0" encoding="UTF-8"?><Response/>' },
  webhookUrls: plainWebhookUrls,
};
