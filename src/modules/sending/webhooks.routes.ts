// Gateway webhooks: /webhooks/<gateway id>/dlr (delivery reports; inbound messages: the inbound
// module's intake.routes.ts). POST for the kinds that post (JSON, forms); GET for those that can
// only call a URL (Kannel's dlr-url: the report is in the query string). Public, no session or CSRF: the gateway's secret authenticates it.
// Refusals are 4xx JSON and store nothing but the gateway's rejected-request count.
// The gateway id is checked by the params schema: a malformed one is "There is no such gateway."
// (404), as an unknown one is. The body's shape is the gateway kind's (its report format), and
// the kind checks it after the secret (parseDeliveryReport): a wrong secret is 401 whatever the
// body, a malformed report 400 "malformed", a kind whose reports are not taken 404. So the body
// schema declares no shape of its own; the text check of every route (NUL, unpaired surrogates)
// still applies to it, before the secret, and tells a stranger nothing.
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TypedApp } from '../../plugins/validation.js';
import { GatewayParams, NO_SUCH_GATEWAY, parseDeliveryReport, WebhookGateways, WebhookQuery, WebhookRejection, type Query } from '../gateways/index.js';
import { DeliveryReportBatcher } from './delivery-reports.js';

/** A delivery report is a few hundred bytes; anything near this is not one. */
export const WEBHOOK_BODY_LIMIT = 64 * 1024;

/** Whatever the gateway kind sends (JSON, or a form such as Twilio's status callbacks: every
 * route takes application/x-www-form-urlencoded); parseDeliveryReport reads it. */
const ReportBody = Type.Unknown({ description: "a delivery report in the gateway kind's format" });

/** A GET report has no body: what is stored as it came is its query, less the gateway's secret. */
function withoutSecret(query: Query): Query {
  const { secret: _secret, ...rest } = query;
  return rest;
}

export async function webhookRoutes(app: TypedApp) {
  const gateways = new WebhookGateways(app.orm);
  gateways.countRefusals(app);
  const gatewayOf = (id: string) => gateways.find(id);

  // Machines call these: no security headers to build (they answer JSON), a small body limit.
  const options = { config: { access: 'public' as const }, bodyLimit: WEBHOOK_BODY_LIMIT, helmet: false as const, schema: { params: GatewayParams, body: ReportBody, querystring: WebhookQuery } };
  const reports = new DeliveryReportBatcher(() => app.orm.em.fork());

  const handler = async (request: FastifyRequest<{ Params: { gatewayId: string }; Querystring: Query }>, reply: FastifyReply) => {
    const gateway = await gatewayOf(request.params.gatewayId);
    if (!gateway) return reply.code(404).send({ error: { code: 'not_found', message: NO_SUCH_GATEWAY } });
    try {
      // A signed request (Twilio) signs the URL the gateway was given: the public one.
      const report = parseDeliveryReport(gateway, request.headers, request.body, { url: app.config.publicUrl + request.url, query: request.query });
      const outcome = await reports.apply(gateway, report, request.body ?? withoutSecret(request.query));
      if (!outcome.found) return reply.code(404).send({ error: { code: 'unknown_message', message: `No message of this gateway has the id "${report.gatewayMessageId}".` } });
      return { ok: true, changed: outcome.changed };
    } catch (error) {
      if (error instanceof WebhookRejection) return reply.code(error.statusCode).send({ error: { code: error.code, message: error.message } });
      throw error;
    }
  };
  app.post('/:gatewayId/dlr', options, handler);
  app.get('/:gatewayId/dlr', { ...options, schema: { params: GatewayParams, querystring: WebhookQuery } }, handler);
}
