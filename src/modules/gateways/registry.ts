// The gateway kinds, one line each: a new kind is one file under kinds/ and one line here.
import type pg from 'pg';
import type { AdapterContext, DeliveryReport, GatewayAdapter, GatewayKind, GatewayRow, Headers, InboundSms, WebhookGatewayRow, WebhookRequest } from './gateway-kind.js';
import { simulator } from './kinds/simulator.js';
import { kannel } from './kinds/kannel.js';
import { twilio } from './kinds/twilio.js';
import { generic } from './kinds/generic.js';

const KINDS: readonly GatewayKind[] = [simulator, kannel, twilio, generic];

/** The names of the kinds, in the order Settings → Gateways offers them. */
export const GATEWAY_KINDS = KINDS.map((k) => k.kind);

export function isGatewayKind(kind: string): boolean {
  return KINDS.some((k) => k.kind === kind);
}

export function gatewayKinds(): readonly GatewayKind[] {
  return KINDS;
}

export function gatewayKind(kind: string): GatewayKind {
  const found = KINDS.find((k) => k.kind === kind);
  if (!found) throw new Error(`unknown gateway kind ${kind}`);
  return found;
}

/** Why a gateway cannot send, or null when it can. */
export function cannotSend(kind: string): string | null {
  if (gatewayKind(kind).adapter) return null;
  return `Sending through ${kind} gateways is not available yet: make the simulator (or another gateway that can send) the default under Settings → Gateways.`;
}

/** The adapter of a gateway; `client` is the dispatcher's connection (the simulator's store). */
export function adapterFor(gateway: GatewayRow, client: pg.ClientBase, context: AdapterContext): GatewayAdapter {
  const adapter = gatewayKind(gateway.kind).adapter;
  if (!adapter) throw new Error(cannotSend(gateway.kind)!);
  return adapter(gateway, client, context);
}

export function webhookUrls(gateway: { id: string; kind: string; secret: string }, publicUrl: string): { inbound: string; dlr: string } {
  return gatewayKind(gateway.kind).webhookUrls(gateway, publicUrl);
}

/** Verifies and parses a delivery-report webhook of the gateway's kind; throws WebhookRejection. */
export function parseDeliveryReport(gateway: WebhookGatewayRow & { kind: string }, headers: Headers, body: unknown, request: WebhookRequest): DeliveryReport {
  return gatewayKind(gateway.kind).parseDeliveryReport(gateway, headers, body, request);
}

/** Verifies and parses an inbound-message webhook of the gateway's kind; throws WebhookRejection. */
export function parseInbound(gateway: WebhookGatewayRow & { kind: string }, headers: Headers, body: unknown, request: WebhookRequest): InboundSms {
  return gatewayKind(gateway.kind).parseInbound(gateway, headers, body, request);
}

/** The answer the gateway's kind expects to an inbound message, or null for Textcast's JSON. */
export function inboundAnswer(kind: string): { contentType: string; body: string } | null {
  return gatewayKind(kind).inboundAnswer ?? null;
}
