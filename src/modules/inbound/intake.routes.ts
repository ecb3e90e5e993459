// The inbound webhook: POST /webhooks/<gateway id>/inbound (GET for the kinds that can only call a
// URL with the message in its query string: Kannel's get-url). Public, no session or CSRF: the
// gateway's secret authenticates it (checked by the gateway kind before the body is read). The
// message is stored first, once per gateway message id, and answered at once; the inbound
// processor classifies it a moment later. A message to a number that is none of the account's
// inbound numbers is stored as unroutable and answered 200, so the gateway stops retrying; the
// operator sees it. Refusals are 4xx JSON, store nothing, and are counted on the gateway.
// Messages arriving together are stored in micro-batches (one statement and one commit for
// many), each request answered once the batch that holds its message is committed.
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TypedApp } from '../../plugins/validation.js';
import { GatewayParams, inboundAnswer, NO_SUCH_GATEWAY, parseInbound, WebhookGateways, WebhookQuery, WebhookRejection, type Query } from '../gateways/index.js';
import { withClient } from '../../db/raw-client.js';
import { MicroBatcher } from '../../db/micro-batcher.js';
import { storeInboundOn, type ArrivingInbound, type StoredInbound } from './intake.queries.js';
import { asE164 } from './intake.js';

/** An inbound SMS is at most a few kilobytes; anything near this is not one. */
const INBOUND_BODY_LIMIT = 64 * 1024;
/** Whatever the gateway kind sends (JSON, or a form such as Twilio's: every route takes
 * application/x-www-form-urlencoded); parseInbound reads it. */
const InboundBody = Type.Unknown({ description: "an inbound message in the gateway kind's format" });

export async function inboundWebhookRoutes(app: TypedApp) {
  const gateways = new WebhookGateways(app.orm);
  gateways.countRefusals(app);
  // Two batches at once: one can wait for its commit while the next fills. More only split a
  // burst into smaller batches (more statements and commits for the same messages).
  const intake = new MicroBatcher<ArrivingInbound, StoredInbound>((arriving) => withClient(app.orm.em.fork(), (client) => storeInboundOn(client, arriving)), { maxBatch: 500, maxRunning: 2 });
  const options = { config: { access: 'public' as const }, bodyLimit: INBOUND_BODY_LIMIT, helmet: false as const, schema: { params: GatewayParams, body: InboundBody, querystring: WebhookQuery } };

  const handler = async (request: FastifyRequest<{ Params: { gatewayId: string }; Querystring: Query }>, reply: FastifyReply) => {
    const gateway = await gateways.find(request.params.gatewayId);
    if (!gateway) return reply.code(404).send({ error: { code: 'not_found', message: NO_SUCH_GATEWAY } });
    try {
      // A signed request (Twilio) signs the URL the gateway was given: the public one.
      const sms = parseInbound(gateway, request.headers, request.body, { url: app.config.publicUrl + request.url, query: request.query });
      const stored = await intake.add({ gateway, sms, numbers: { from: asE164(sms.from), to: asE164(sms.to) } });
      const answer = inboundAnswer(gateway.kind);
      if (answer) return reply.type(answer.contentType).send(answer.body);
      return { ok: true, id: stored.id, status: stored.status, duplicate: stored.duplicate };
    } catch (error) {
      if (error instanceof WebhookRejection) return reply.code(error.statusCode).send({ error: { code: error.code, message: error.message } });
      throw error;
    }
  };
  app.post('/:gatewayId/inbound', options, handler);
  app.get('/:gatewayId/inbound', { ...options, schema: { params: GatewayParams, querystring: WebhookQuery } }, handler);
}
