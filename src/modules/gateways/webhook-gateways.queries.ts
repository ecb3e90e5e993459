// The SQL of the gateway webhooks (webhooks.routes.ts). A gateway is found by its id alone: the
// id in the webhook URL is what names the account to a caller without a session (its secret is
// then checked). Everything after that is scoped by the gateway's account id.
import type { EntityManager } from '@mikro-orm/postgresql';

export interface WebhookGateway {
  accountId: string;
  kind: string;
  secret: string;
  /** The kind's options (a signed webhook's credential is one). */
  config: Record<string, string>;
}

/** The gateway a webhook URL names (the id has the shape of a UUID: the route checked it). */
export async function webhookGateway(em: EntityManager, gatewayId: string): Promise<WebhookGateway | null> {
  const rows = await em.getConnection().execute<{ account_id: string; kind: string; secret: string; config: Record<string, string> }[]>('select account_id, kind, secret, config from gateway where id = ?', [gatewayId]);
  return rows[0] ? { accountId: rows[0].account_id, kind: rows[0].kind, secret: rows[0].secret, config: rows[0].config } : null;
}

/** Counts one refused webhook request on the gateway (Settings → Gateways shows the count). */
export async function countRefusedRequest(em: EntityManager, accountId: string, gatewayId: string): Promise<void> {
  await em.getConnection().execute('update gateway set rejected_requests = rejected_requests + 1 where account_id = ? and id = ?', [accountId, gatewayId]);
}
