// A local HTTP server that behaves like Twilio's Messages API for the tests: it checks the basic
// auth of the account SID and auth token, takes a message (201 with its SID), refuses it with
// Twilio's JSON error bodies, rate-limits with 429 and Retry-After, or fails with 500, as told per
// recipient number; answers the account fetch of a connection test; and, like Twilio, posts
// status callbacks and inbound messages signed by the official `twilio` package.
import http from 'node:http';
import crypto from 'node:crypto';
import twilio from 'twilio';
import type { AddressInfo } from 'node:net';

export const ACCOUNT_SID = 'AC' + 'a1'.repeat(16);
export const AUTH_TOKEN = 'test-auth-token-' + '0'.repeat(16);

/** How the server answers messages to a number: Twilio's errors, a 429 for the first `times`
 * tries, or a 500. */
export type Behaviour = { error: 21610 | 21211 | 21614 } | { rateLimit: { retryAfter: string; times: number } } | { fail: 500 };

export interface ReceivedMessage {
  sid: string;
  To: string;
  Body: string;
  From?: string;
  MessagingServiceSid?: string;
  StatusCallback: string;
  /** The basic auth was the account's. */
  authorised: boolean;
}

const ERRORS: Record<number, string> = {
  21610: 'Attempt to send to unsubscribed recipient',
  21211: "Invalid 'To' Phone Number",
  21614: "'To' number is not a valid mobile number",
};

const errorBody = (status: number, code: number, message: string) => JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

export class TwilioServer {
  readonly messages: ReceivedMessage[] = [];
  /** Every request for a message, answered or not. */
  requests = 0;
  readonly behaviours = new Map<string, Behaviour>();
  private readonly server = http.createServer((request, response) => this.handle(request, response));
  url = '';

  static async start(): Promise<TwilioServer> {
    const server = new TwilioServer();
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    server.url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    return server;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const authorised = request.headers.authorization === `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
      const answer = (status: number, body: string, headers: Record<string, string> = {}) => response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
      const base = `/2010-04-01/Accounts/${ACCOUNT_SID}`;
      if (!authorised) return answer(401, errorBody(401, 20003, 'Authenticate'));
      if (request.method === 'GET' && request.url === `${base}.json`) return answer(200, JSON.stringify({ sid: ACCOUNT_SID, friendly_name: 'Test account', status: 'active' }));
      if (request.method !== 'POST' || request.url !== `${base}/Messages.json`) return answer(404, errorBody(404, 20404, 'The requested resource was not found'));
      this.requests++;
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const behaviour = this.behaviours.get(form.To ?? '');
      if (behaviour && 'error' in behaviour) return answer(400, errorBody(400, behaviour.error, ERRORS[behaviour.error]!));
      if (behaviour && 'fail' in behaviour) return answer(500, errorBody(500, 20500, 'Internal Server Error'));
      if (behaviour && 'rateLimit' in behaviour && behaviour.rateLimit.times-- > 0) return answer(429, errorBody(429, 20429, 'Too Many Requests'), { 'retry-after': behaviour.rateLimit.retryAfter });
      const sid = 'SM' + crypto.randomBytes(16).toString('hex');
      this.messages.push({ sid, To: form.To!, Body: form.Body!, From: form.From, MessagingServiceSid: form.MessagingServiceSid, StatusCallback: form.StatusCallback!, authorised });
      answer(201, JSON.stringify({ sid, status: 'queued', to: form.To, from: form.From ?? null, body: form.Body, account_sid: ACCOUNT_SID }));
    });
  }

  /** Posts a status callback to the message's StatusCallback, signed as Twilio signs it. */
  callback(message: ReceivedMessage, status: string, errorCode?: string, options: { token?: string } = {}) {
    const params: Record<string, string> = { AccountSid: ACCOUNT_SID, ApiVersion: '2010-04-01', From: message.From ?? '', MessageSid: message.sid, MessageStatus: status, SmsSid: message.sid, SmsStatus: status, To: message.To };
    if (errorCode) params.ErrorCode = errorCode;
    return signedPost(message.StatusCallback, params, options.token ?? AUTH_TOKEN);
  }
}

/** A form POST signed with the official package's signature (what Twilio sends). */
export async function signedPost(url: string, params: Record<string, string>, token = AUTH_TOKEN, signature = twilio.getExpectedTwilioSignature(token, url, params)) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: new URLSearchParams(params) });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

/** An inbound SMS as Twilio posts it to the number's messaging webhook. */
export function inboundParams(sms: { from: string; to: string; body: string; sid?: string }): Record<string, string> {
  const sid = sms.sid ?? 'SM' + crypto.randomBytes(16).toString('hex');
  return { AccountSid: ACCOUNT_SID, ApiVersion: '2010-04-01', Body: sms.body, From: sms.from, MessageSid: sid, NumMedia: '0', NumSegments: '1', SmsMessageSid: sid, SmsSid: sid, SmsStatus: 'received', To: sms.to };
}
