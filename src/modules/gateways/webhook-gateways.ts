// What every gateway webhook (delivery reports, inbound messages) does before reading its body:
// find the gateway its URL names (briefly cached: a busy gateway posts thousands of requests a
// second) and count each refusal on it (Settings → Gateways shows the count). The routes that
// use it live with the modules that store what arrives (sending, inbound).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Type, type Static } from 'typebox';
import { isUuid } from '../../db/find.js';
import { Uuid } from '../../plugins/schemas.js';
import { countRefusedRequest, webhookGateway } from './webhook-gateways.queries.js';

const CACHE_MS = 10_000;

export const NO_SUCH_GATEWAY = 'There is no such gateway.';
/** The gateway id of a webhook URL: a malformed one is "There is no such gateway." (404). */
export const GatewayParams = Type.Object({ gatewayId: Uuid({ errorMessage: NO_SUCH_GATEWAY }) });
/** Whatever the gateway kind puts in a webhook's URL (Kannel's escape codes); the kind reads it. */
export const WebhookQuery = Type.Record(Type.String(), Type.Unknown(), { description: "the gateway kind's query parameters" });

export interface KnownGateway {
  id: string;
  accountId: string;
  kind: string;
  secret: string;
  config: Record<string, string>;
  at: number;
}

export class WebhookGateways {
  private readonly cache = new Map<string, KnownGateway | null>();

  constructor(private readonly orm: MikroORM) {}

  /** The gateway with this id, or null (a malformed id included). */
  async find(id: string): Promise<KnownGateway | null> {
    if (!isUuid(id)) return null;
    const cached = this.cache.get(id);
    if (cached !== undefined && (cached === null || Date.now() - cached.at < CACHE_MS)) return cached;
    const row = await webhookGateway(this.orm.em.fork(), id);
    const found = row ? { id, ...row, at: Date.now() } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, found);
    if (!found) setTimeout(() => this.cache.delete(id), CACHE_MS).unref();
    return found;
  }

  /** Counts every refusal (4xx) of a known gateway's webhook in `app`'s routes on the gateway. */
  countRefusals(app: FastifyInstance): void {
    app.addHook('onSend', async (request: FastifyRequest, reply) => {
      // Also runs for a malformed id (answered 404 by the params schema): find() says null.
      const gatewayId = (request.params as Partial<Static<typeof GatewayParams>> | undefined)?.gatewayId;
      if (reply.statusCode < 400 || typeof gatewayId !== 'string') return;
      const gateway = await this.find(gatewayId).catch(() => null);
      if (gateway) await countRefusedRequest(request.em, gateway.accountId, gateway.id).catch(() => {});
    });
  }
}
