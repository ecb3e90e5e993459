// Kannel (Debian's open-source SMS gateway: SMPP, EMI/UCP, modems) through its HTTP sendsms
// interface, in both directions:
// - out: one sendsms request per message (Kannel takes no batches), many at once over kept-alive
//   connections; a Unicode text goes as UCS-2 (coding=2), a long one is split and concatenated by
//   Kannel (its sendsms-user needs `max-messages` ≥ the parts and `concatenation = true`);
// - delivery reports: each message names its dlr-url, with the gateway secret, the report type
//   (%d) and the SMSC's answer (%A); Kannel calls it with GET;
// - inbound: the URL to set as an sms-service get-url (or post-url: the message is in the query
//   either way), with the secret and Kannel's escape codes.
// Kannel's answer to sendsms carries no id of its own: the message id (our client reference) is
// the gateway message id, and the dlr-url names it.
import { bounceOfCode } from '../bounces.js';
import {
  MAX_INBOUND_TEXT, PENDING_REPORT, WebhookRejection, option, sameSecret,
  type DeliveryReport, type GatewayAdapter, type GatewayKind, type GatewayRow, type InboundSms, type OutgoingMessage, type Query, type SendResult, type WebhookRequest,
} from '../gateway-kind.js';
import { gatewayRequest, TransportError } from '../outbound-http.js';

/** Requests in flight at once per batch (the outbound agent keeps up to 64 connections). */
export const KANNEL_CONCURRENCY = 64;
/** All report types: delivered, failed, queued at Kannel, accepted by the SMSC, rejected by it. */
const DLR_MASK = '31';
const TIMEOUT_MS = 10_000;
/** The longest error code a message keeps. */
const MAX_ERROR_CODE = 50;

const clip = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, MAX_ERROR_CODE);

/** The sendsms URL of one message (exported for the benchmark's straight requests). */
export function sendsmsUrl(gateway: GatewayRow, message: OutgoingMessage, publicUrl: string): string {
  const url = new URL(gateway.config.url!);
  const set = (name: string, value: string) => url.searchParams.set(name, value);
  set('username', gateway.config.username ?? '');
  set('password', gateway.config.password ?? '');
  if (gateway.config.smsc) set('smsc', gateway.config.smsc);
  set('to', message.to);
  set('from', message.from);
  set('text', message.body);
  // The text travels as UTF-8; Kannel recodes it to UCS-2 for the air when told coding=2.
  set('charset', 'UTF-8');
  if (message.encoding === 'UCS-2') set('coding', '2');
  set('dlr-mask', DLR_MASK);
  set('dlr-url', `${publicUrl}/webhooks/${gateway.id}/dlr?secret=${gateway.secret}&type=%d&id=${encodeURIComponent(message.clientRef)}&reply=%A`);
  return url.toString();
}

/** What Kannel's answer to one sendsms request means for the message. */
export function sendsmsResult(clientRef: string, status: number, body: string): SendResult {
  // "0: Accepted for delivery", "3: Queued for later delivery" (202); "Sent." (older versions).
  if (status >= 200 && status < 300 && /^\s*(?:[03]:|Sent\.)/.test(body)) return { clientRef, accepted: true, gatewayMessageId: clientRef };
  const errorCode = clip(`${status} ${body}`);
  // Wrong credentials, a refused sender or number: sending it again gets the same answer.
  if (status >= 400 && status < 500) return { clientRef, accepted: false, permanent: true, errorCode };
  // 503 (Kannel's queue is full, the bearerbox is away) and anything else: later.
  return { clientRef, accepted: false, permanent: false, errorCode, transport: status >= 500 };
}

function transportResult(clientRef: string, error: TransportError): SendResult {
  // A refused address stays refused; a timeout or a dropped connection may pass later.
  return { clientRef, accepted: false, permanent: error.code === 'refused', errorCode: clip(`kannel ${error.code}: ${error.message}`), transport: error.code !== 'refused' };
}

const isAuthFailure = (result: SendResult) => !result.accepted && /^40[13] /.test(result.errorCode);

class KannelAdapter implements GatewayAdapter {
  constructor(
    private readonly gateway: GatewayRow,
    private readonly publicUrl: string,
  ) {}

  async send(messages: OutgoingMessage[]): Promise<SendResult[]> {
    const results = new Map<string, SendResult>();
    const queue = [...messages];
    let refusedCredentials: SendResult | null = null;
    const worker = async () => {
      for (let message = queue.shift(); message; message = queue.shift()) {
        // Kannel refused our username or password: the rest of the batch would be refused the
        // same way, so it is not asked again (no storm of doomed requests).
        if (refusedCredentials) {
          results.set(message.clientRef, { ...refusedCredentials, clientRef: message.clientRef });
          continue;
        }
        const result = await this.sendOne(message);
        if (isAuthFailure(result)) refusedCredentials = result;
        results.set(message.clientRef, result);
      }
    };
    await Promise.all(Array.from({ length: Math.min(KANNEL_CONCURRENCY, messages.length) }, worker));
    return messages.map((message) => results.get(message.clientRef)!);
  }

  private async sendOne(message: OutgoingMessage): Promise<SendResult> {
    try {
      const answer = await gatewayRequest(sendsmsUrl(this.gateway, message, this.publicUrl), { timeoutMs: TIMEOUT_MS });
      return sendsmsResult(message.clientRef, answer.status, answer.body);
    } catch (error) {
      if (error instanceof TransportError) return transportResult(message.clientRef, error);
      throw error;
    }
  }
}

const malformed = (message: string) => new WebhookRejection(400, 'malformed', message);

/** One query parameter as text (the first when repeated), or undefined. */
function param(query: Query, name: string): string | undefined {
  const value = query[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A required query parameter of 1 to `max` characters. */
function requiredParam(query: Query, name: string, max: number, what: string): string {
  const value = param(query, name);
  if (!value || !value.trim() || value.length > max) throw malformed(`"${name}" must be ${what} (1 to ${max} characters).`);
  return value;
}

function checkSecret(gateway: { secret: string }, query: Query): void {
  if (!sameSecret(param(query, 'secret'), gateway.secret)) throw new WebhookRejection(401, 'unauthorized', 'Wrong or missing gateway secret (?secret= in the URL).');
}

/** The error a failed report carries: the SMSC's error code when its answer has one
 * ("… stat:UNDELIV err:001 …"), else its answer ("NACK/0x0000000b/Invalid Destination Address"),
 * else the report type. */
function reportError(reply: string | undefined, type: number): string {
  const err = reply && /\berr:(\w+)/.exec(reply)?.[1];
  if (err) return `err:${err}`;
  return reply?.trim() ? clip(reply) : `kannel dlr ${type}`;
}

/** Kannel's report types (%d): 1 delivered, 2 failed, 4 queued at Kannel, 8 accepted by the SMSC,
 * 16 rejected by the SMSC. */
function parseKannelReport(gateway: { secret: string }, _headers: unknown, _body: unknown, { query }: WebhookRequest): DeliveryReport {
  checkSecret(gateway, query);
  const gatewayMessageId = requiredParam(query, 'id', 100, 'the message id');
  const type = Number(param(query, 'type'));
  const reply = param(query, 'reply');
  if (type === 1) return { gatewayMessageId, status: 'delivered', errorCode: null, bounce: null };
  if (type === 4 || type === 8) return { gatewayMessageId, status: PENDING_REPORT, errorCode: null, bounce: null };
  if (type === 2 || type === 16) {
    const errorCode = reportError(reply, type);
    return { gatewayMessageId, status: type === 2 ? 'undelivered' : 'failed', errorCode, bounce: bounceOfCode(errorCode) };
  }
  throw malformed('"type" must be a Kannel report type: 1, 2, 4, 8 or 16 (%d).');
}

/** An inbound message from an sms-service get-url or post-url: from %p, to %P, text %a, time %T
 * (Unix seconds), id %I (Kannel's unique id of the message). */
function parseKannelInbound(gateway: { secret: string }, _headers: unknown, _body: unknown, { query }: WebhookRequest): InboundSms {
  checkSecret(gateway, query);
  const gatewayMessageId = requiredParam(query, 'id', 100, "Kannel's message id (%I)");
  const from = requiredParam(query, 'from', 40, 'the sender number (%p)');
  const to = requiredParam(query, 'to', 40, 'the number it was sent to (%P)');
  const text = param(query, 'text') ?? '';
  if (text.length > MAX_INBOUND_TEXT) throw malformed(`"text" must be the message text (%a, at most ${MAX_INBOUND_TEXT} characters).`);
  const time = param(query, 'time');
  if (time !== undefined && !/^\d{1,12}$/.test(time)) throw malformed('"time" must be the Unix time the message arrived (%T).');
  return { gatewayMessageId, from, to, text, receivedAt: time === undefined ? new Date() : new Date(Number(time) * 1000) };
}

/** Asks a URL, answering either its response or why none came. */
async function ask(url: string): Promise<{ status: number; body: string } | { error: string }> {
  try {
    return await gatewayRequest(url, { timeoutMs: TIMEOUT_MS });
  } catch (error) {
    if (error instanceof TransportError) return { error: error.message };
    throw error;
  }
}

/** Checks the credentials with a sendsms request that names no recipient (Kannel checks the
 * username and password first, then refuses the request: nothing is sent), then, when
 * `status_url` is set, reads Kannel's status page (its admin port) for the bearerbox's state. */
async function testKannel(gateway: GatewayRow): Promise<{ ok: boolean; message: string }> {
  const url = new URL(gateway.config.url!);
  url.searchParams.set('username', gateway.config.username ?? '');
  url.searchParams.set('password', gateway.config.password ?? '');
  const sendsms = await ask(url.toString());
  if ('error' in sendsms) return { ok: false, message: `Kannel's sendsms did not answer: ${sendsms.error}` };
  if (sendsms.status === 403 || sendsms.status === 401) return { ok: false, message: `Kannel refused the username or password (${sendsms.status} ${clip(sendsms.body)}).` };
  if (!/receiver/i.test(sendsms.body)) return { ok: false, message: `Kannel's sendsms answered unexpectedly (${sendsms.status} ${clip(sendsms.body)}): is the URL its /cgi-bin/sendsms?` };
  if (!gateway.config.status_url) return { ok: true, message: 'Kannel accepted the username and password (nothing was sent).' };
  const statusUrl = new URL(gateway.config.status_url);
  if (gateway.config.status_password) statusUrl.searchParams.set('password', gateway.config.status_password);
  const status = await ask(statusUrl.toString());
  if ('error' in status) return { ok: false, message: `Kannel accepted the username and password, but its status page did not answer: ${status.error}` };
  const state = /^Status: (.+)$/m.exec(status.body)?.[1];
  if (status.status !== 200 || !state) return { ok: false, message: `Kannel accepted the username and password, but its status page answered ${status.status} ${clip(status.body)} (status password?).` };
  return { ok: true, message: `Kannel accepted the username and password (nothing was sent); bearerbox: ${state.trim()}.` };
}

export const kannel: GatewayKind = {
  kind: 'kannel',
  label: 'Kannel',
  options: [
    option('url', 'sendsms URL', { required: true, type: 'url' }),
    option('username', 'Username', { required: true }),
    option('password', 'Password', { required: true, secret: true }),
    option('smsc', 'SMSC id'),
    option('status_url', 'Status page URL (admin port, e.g. http://kannel:13000/status.txt)', { type: 'url' }),
    option('status_password', 'Status page password', { secret: true }),
  ],
  defaults: {},
  adapter: (gateway, _client, context) => new KannelAdapter(gateway, context.publicUrl),
  testConnection: testKannel,
  parseDeliveryReport: parseKannelReport,
  parseInbound: parseKannelInbound,
  // Kannel cannot send headers: the secret travels in the URL, with Kannel's escape codes
  // (%p from, %P to, %a text, %T Unix time, %I message id; %d the report type, %A the SMSC's
  // answer), ready to paste as an sms-service get-url (or post-url). Textcast names the dlr-url
  // with each message it sends (the message id in place of <message id>): it is shown for reference.
  webhookUrls(gateway, publicUrl) {
    // The secret is base64url (URL-safe as it is), or the page's mask for those who may not see it.
    const base = `${publicUrl}/webhooks/${gateway.id}`;
    return {
      inbound: `${base}/inbound?secret=${gateway.secret}&from=%p&to=%P&text=%a&time=%T&id=%I`,
      dlr: `${base}/dlr?secret=${gateway.secret}&type=%d&id=<message id>&reply=%A`,
    };
  },
};
