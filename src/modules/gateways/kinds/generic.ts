// A generic HTTP gateway for providers without an adapter of their own. Outbound, each batch is
// one JSON POST to the configured `url` with `Authorization: Bearer <token>`:
//   {"messages": [{"id": "<our message id>", "to": "+E164", "from": "…", "text": "…", "parts": 1}]}
// and the provider answers 2xx with one result per message:
//   {"results": [{"id": "…", "accepted": true, "gateway_id": "…"}
//              | {"id": "…", "accepted": false, "permanent": true|false, "error_code": "…"}]}
// No answer, or a 5xx, retries the whole batch (counted toward pausing the gateway); another
// status (a wrong token: 401), or an answer that is not that format, refuses the batch for now
// (retried with backoff, never failed unseen). Delivery reports and
// inbound messages use Textcast's own JSON format (the simulator's).
import { option, parseJsonDeliveryReport, plainWebhookUrls, type GatewayKind, parseJsonInbound, type GatewayRow, type OutgoingMessage, type SendResult } from '../gateway-kind.js';
import { gatewayRequest, TransportError } from '../outbound-http.js';

/** How long a provider may take to answer a batch (the `timeout_ms` option). */
const DEFAULT_TIMEOUT_MS = 10_000;
const timeoutOf = (gateway: GatewayRow) => Number(gateway.config.timeout_ms || DEFAULT_TIMEOUT_MS);

const headersOf = (gateway: GatewayRow): Record<string, string> => ({
  'content-type': 'application/json',
  accept: 'application/json',
  ...(gateway.config.token ? { authorization: `Bearer ${gateway.config.token}` } : {}),
});

/** Every message of the batch refused with the same code. */
const allRefused = (messages: OutgoingMessage[], errorCode: string, transport = false): SendResult[] =>
  messages.map((m) => ({ clientRef: m.clientRef, accepted: false, permanent: false, errorCode, ...(transport ? { transport } : {}) }));

/** One provider result as a SendResult; null when it is not in the documented format. */
function resultOf(raw: unknown): SendResult | null {
  const r = raw as Record<string, unknown> | null;
  if (!r || typeof r !== 'object' || typeof r.id !== 'string') return null;
  if (r.accepted === true && typeof r.gateway_id === 'string' && r.gateway_id && r.gateway_id.length <= 100) return { clientRef: r.id, accepted: true, gatewayMessageId: r.gateway_id };
  if (r.accepted === false) return { clientRef: r.id, accepted: false, permanent: r.permanent === true, errorCode: String(r.error_code ?? 'refused').slice(0, 50) };
  return null;
}

/** The provider's answer read as one result per message of the batch. A message it did not
 * answer for is retried ("no_result"). */
function readResults(messages: OutgoingMessage[], body: string): SendResult[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return allRefused(messages, 'bad_answer');
  }
  const list = (parsed as { results?: unknown } | null)?.results;
  if (!Array.isArray(list)) return allRefused(messages, 'bad_answer');
  const byRef = new Map<string, SendResult>();
  for (const raw of list) {
    const result = resultOf(raw);
    if (result) byRef.set(result.clientRef, result);
  }
  return messages.map((m) => byRef.get(m.clientRef) ?? { clientRef: m.clientRef, accepted: false, permanent: false, errorCode: 'no_result' });
}

async function sendBatch(gateway: GatewayRow, messages: OutgoingMessage[]): Promise<SendResult[]> {
  const body = JSON.stringify({ messages: messages.map((m) => ({ id: m.clientRef, to: m.to, from: m.from, text: m.body, parts: m.parts })) });
  // A TransportError (no answer) goes up: the sender retries the whole batch.
  const answer = await gatewayRequest(gateway.config.url!, { method: 'POST', headers: headersOf(gateway), body, timeoutMs: timeoutOf(gateway) });
  if (answer.status >= 500) return allRefused(messages, `http_${answer.status}`, true);
  if (answer.status < 200 || answer.status > 299) return allRefused(messages, `http_${answer.status}`);
  return readResults(messages, answer.body);
}

/** `status_url` when set (GET, expecting 2xx), otherwise any HTTP answer from `url` (HEAD) shows
 * the provider is reachable; nothing is sent. */
async function testConnection(gateway: GatewayRow): Promise<{ ok: boolean; message: string }> {
  const statusUrl = gateway.config.status_url;
  try {
    if (statusUrl) {
      const answer = await gatewayRequest(statusUrl, { headers: headersOf(gateway), timeoutMs: timeoutOf(gateway) });
      const ok = answer.status >= 200 && answer.status <= 299;
      return { ok, message: `${ok ? 'ok' : 'failed'}: the status URL answered HTTP ${answer.status}.` };
    }
    const answer = await gatewayRequest(gateway.config.url!, { method: 'HEAD', headers: headersOf(gateway), timeoutMs: timeoutOf(gateway) });
    return { ok: true, message: `ok: the send URL answered HTTP ${answer.status} (reachable; without a status URL the token is not checked).` };
  } catch (error) {
    if (!(error instanceof TransportError)) throw error;
    return { ok: false, message: `failed: no answer (${error.message}).` };
  }
}

export const generic: GatewayKind = {
  kind: 'generic',
  label: 'Generic HTTP',
  options: [
    option('url', 'Send URL', { required: true, type: 'url' }),
    option('token', 'Bearer token', { secret: true }),
    option('status_url', 'Status URL (Test connection)', { type: 'url' }),
    option('timeout_ms', 'Answer timeout (ms, default 10000)', { type: 'milliseconds' }),
  ],
  defaults: {},
  adapter: (gateway) => ({ send: (messages) => sendBatch(gateway, messages) }),
  testConnection,
  parseDeliveryReport: parseJsonDeliveryReport,
  parseInbound: parseJsonInbound,
  webhookUrls: plainWebhookUrls,
};
