// Gateway webhooks: /webhooks/<gateway id>/dlr (delivery reports; inbound messages arrive with
// the inbound SMS feature). Public, no session or CSRF: the gateway's secret authenticates it.
// Refusals are 4xx JSON and store nothing but the gateway's rejected-request count.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseDeliveryReport, WebhookRejection } from '../gateways/index.js';
import { DeliveryReportBatcher } from './delivery-reports.js';
import { isUuid } from '../../db/find.js';

/** A delivery report is a few hundred bytes; anything near this is not one. */
export const WEBHOOK_BODY_LIMIT = 64 * 1024;
const CACHE_MS = 10_000;

interface KnownGateway {
  id: string;
  accountId: string;
  kind: string;
  secret: string;
  at: number;
}

type WithGateway = FastifyRequest<{ Params: { gatewayId: string } }>;

export async function webhookRoutes(app: FastifyInstance) {
  // Gateways by id, briefly cached: a busy gateway posts thousands of reports a second.
  const cache = new Map<string, KnownGateway | null>();
  const gatewayOf = async (request: WithGateway): Promise<KnownGateway | null> => {
    const id = request.params.gatewayId;
    if (!isUuid(id)) return null;
    const cached = cache.get(id);
    if (cached !== undefined && (cached === null || Date.now() - cached.at < CACHE_MS)) return cached;
    const rows = await request.em.getConnection().execute<{ account_id: string; kind: string; secret: string }[]>('select account_id, kind, secret from gateway where id = ?', [id]);
    const found = rows[0] ? { id, accountId: rows[0].account_id, kind: rows[0].kind, secret: rows[0].secret, at: Date.now() } : null;
    if (cache.size > 10_000) cache.clear();
    cache.set(id, found);
    if (!found) setTimeout(() => cache.delete(id), CACHE_MS).unref();
    return found;
  };

  // Machines call these: no security headers to build (they answer JSON), a small body limit.
  const options = { config: { access: 'public' as const }, bodyLimit: WEBHOOK_BODY_LIMIT, helmet: false as const };
  const reports = new DeliveryReportBatcher(() => app.orm.em.fork());

  // Every refusal of a known gateway's webhook is counted on the gateway (Settings → Gateways).
  app.addHook('onSend', async (request: WithGateway, reply) => {
    if (reply.statusCode < 400 || !request.params?.gatewayId) return;
    const gateway = await gatewayOf(request).catch(() => null);
    if (gateway) await request.em.getConnection().execute('update gateway set rejected_requests = rejected_requests + 1 where id = ?', [gateway.id]).catch(() => {});
  });

  app.post('/:gatewayId/dlr', options, async (request: WithGateway, reply) => {
    const gateway = await gatewayOf(request);
    if (!gateway) return reply.code(404).send({ error: { code: 'not_found', message: 'There is no such gateway.' } });
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
