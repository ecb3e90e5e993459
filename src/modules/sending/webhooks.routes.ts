// Gateway webhooks: /webhooks/<gateway id>/dlr (delivery reports; inbound messages arrive with
// the inbound SMS feature). Public, no session or CSRF: the gateway's secret authenticates it.
// Refusals are 4xx JSON and store nothing but the gateway's rejected-request count.
// The gateway id is checked by the params schema: a malformed one is "There is no such gateway."
// (404), as an unknown one is. The body's shape is the gateway kind's (its report format), and
// the kind checks it after the secret (parseDeliveryReport): a wrong secret is 401 whatever the
// body, a malformed report 400 "malformed", a kind whose reports are not taken 404. So the body
// schema declares no shape of its own; the text check of every route (NUL, unpaired surrogates)
// still applies to it, before the secret, and tells a stranger nothing.
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { isUuid } from '../../db/find.js';
import type { TypedApp } from '../../plugins/validation.js';
import { Uuid } from '../../plugins/schemas.js';
import { parseDeliveryReport, WebhookRejection } from '../gateways/index.js';
import { DeliveryReportBatcher } from './delivery-reports.js';
import { countRefusedRequest, webhookGateway } from './webhooks.queries.js';

/** A delivery report is a few hundred bytes; anything near this is not one. */
export const WEBHOOK_BODY_LIMIT = 64 * 1024;
const CACHE_MS = 10_000;

const NO_SUCH_GATEWAY = 'There is no such gateway.';
const GatewayParams = Type.Object({ gatewayId: Uuid({ errorMessage: NO_SUCH_GATEWAY }) });
/** Whatever the gateway kind sends (JSON or a form); parseDeliveryReport reads it. */
const ReportBody = Type.Unknown({ description: "a delivery report in the gateway kind's format" });

interface KnownGateway {
  id: string;
  accountId: string;
  kind: string;
  secret: string;
  at: number;
}

export async function webhookRoutes(app: TypedApp) {
  // Gateways by id, briefly cached: a busy gateway posts thousands of reports a second.
  const cache = new Map<string, KnownGateway | null>();
  const gatewayOf = async (request: FastifyRequest, id: string): Promise<KnownGateway | null> => {
    // The onSend hook below also runs for a malformed id (answered 404 by the params schema).
    if (!isUuid(id)) return null;
    const cached = cache.get(id);
    if (cached !== undefined && (cached === null || Date.now() - cached.at < CACHE_MS)) return cached;
    const row = await webhookGateway(request.em, id);
    const found = row ? { id, ...row, at: Date.now() } : null;
    if (cache.size > 10_000) cache.clear();
    cache.set(id, found);
    if (!found) setTimeout(() => cache.delete(id), CACHE_MS).unref();
    return found;
  };

  // Machines call these: no security headers to build (they answer JSON), a small body limit.
  const options = { config: { access: 'public' as const }, bodyLimit: WEBHOOK_BODY_LIMIT, helmet: false as const, schema: { params: GatewayParams, body: ReportBody } };
  const reports = new DeliveryReportBatcher(() => app.orm.em.fork());

  // Every refusal of a known gateway's webhook is counted on the gateway (Settings → Gateways).
  app.addHook('onSend', async (request, reply) => {
    const gatewayId = (request.params as Partial<Static<typeof GatewayParams>> | undefined)?.gatewayId;
    if (reply.statusCode < 400 || typeof gatewayId !== 'string') return;
    const gateway = await gatewayOf(request, gatewayId).catch(() => null);
    if (gateway) await countRefusedRequest(request.em, gateway.accountId, gateway.id).catch(() => {});
  });

  app.post('/:gatewayId/dlr', options, async (request, reply) => {
    const gateway = await gatewayOf(request, request.params.gatewayId);
    if (!gateway) return reply.code(404).send({ error: { code: 'not_found', message: NO_SUCH_GATEWAY } });
    try {
      const report = parseDeliveryReport(gateway, request.headers, request.body);
      const outcome = await reports.apply(gateway, report, request.body);
      if (!outcome.found) return reply.code(404).send({ error: { code: 'unknown_message', message: `No message of this gateway has the id "${report.gatewayMessageId}".` } });
      return { ok: true, changed: outcome.changed };
    } catch (error) {
      if (error instanceof WebhookRejection) return reply.code(error.statusCode).send({ error: { code: error.code, message: error.message } });
      throw error;
    }
  });
}
