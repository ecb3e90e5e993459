// The simulator: accepts messages into simulator_message (one row per client reference), and a
// reporter (simulator-reporter.ts) posts each one's delivery report to the gateway's own webhook
// after `delay_ms`. Outcomes are drawn from the client reference (and attempt), so they are
// reproducible: `reject_rate` refuses for good, `soft_bounce_rate` refuses for now (retry),
// `failure_rate` accepts and later reports undelivered, with a well-known error code that makes
// it a hard or a soft bounce (bounces.ts).
import crypto from 'node:crypto';
import type pg from 'pg';
import { option, parseJsonDeliveryReport, plainWebhookUrls, type GatewayAdapter, type GatewayKind, type GatewayRow, type OutgoingMessage, type SendResult, parseJsonInbound } from '../gateway-kind.js';
import { acceptMessagesOn, type SimulatedMessage } from '../simulator.queries.js';

const DEFAULTS = { delay_ms: '2000', failure_rate: '0.02', soft_bounce_rate: '0.01' };

// The codes an undelivered message is reported with, as a real network answers: half are hard
// bounces (no such number, no SMS service), half soft (phone off, memory full).
const UNDELIVERED_CODES = ['UNKNOWN_SUBSCRIBER', 'TELESERVICE_NOT_PROVISIONED', 'ABSENT_SUBSCRIBER', 'MEMORY_CAPACITY_EXCEEDED'];

export interface SimulatorSettings {
  delayMs: number;
  failureRate: number;
  softBounceRate: number;
  rejectRate: number;
}

export function simulatorSettings(config: Record<string, string>): SimulatorSettings {
  const value = (key: keyof typeof DEFAULTS | 'reject_rate', fallback: string) => Number(config[key] ?? fallback);
  return {
    delayMs: value('delay_ms', DEFAULTS.delay_ms),
    failureRate: value('failure_rate', DEFAULTS.failure_rate),
    softBounceRate: value('soft_bounce_rate', DEFAULTS.soft_bounce_rate),
    rejectRate: value('reject_rate', '0'),
  };
}

/** A number in [0, 1) drawn from the text (the same text, the same number). */
function draw(text: string): number {
  return crypto.createHash('sha1').update(text).digest().readUInt32BE(0) / 2 ** 32;
}

/** The report the simulator will post for an accepted message: delivered, or undelivered with a
 * code drawn from UNDELIVERED_CODES. */
function reportOf(clientRef: string, failureRate: number): Pick<SimulatedMessage, 'report' | 'errorCode'> {
  if (draw(`report:${clientRef}`) >= failureRate) return { report: 'delivered', errorCode: null };
  return { report: 'undelivered', errorCode: UNDELIVERED_CODES[Math.floor(draw(`code:${clientRef}`) * UNDELIVERED_CODES.length)]! };
}

class SimulatorAdapter implements GatewayAdapter {
  private readonly settings: SimulatorSettings;

  constructor(
    private readonly gateway: GatewayRow,
    private readonly client: pg.ClientBase,
  ) {
    this.settings = simulatorSettings(gateway.config);
  }

  async send(messages: OutgoingMessage[]): Promise<SendResult[]> {
    const { rejectRate, softBounceRate, failureRate, delayMs } = this.settings;
    const results = new Map<string, SendResult>();
    const accepted: SimulatedMessage[] = [];
    for (const message of messages) {
      if (draw(`reject:${message.clientRef}`) < rejectRate) {
        results.set(message.clientRef, { clientRef: message.clientRef, accepted: false, permanent: true, errorCode: 'SIM-REJECTED' });
      } else if (draw(`bounce:${message.clientRef}:${message.attempt}`) < softBounceRate) {
        results.set(message.clientRef, { clientRef: message.clientRef, accepted: false, permanent: false, errorCode: 'SIM-THROTTLED' });
      } else {
        accepted.push({ id: crypto.randomUUID(), clientRef: message.clientRef, phone: message.to, sender: message.from, body: message.body, parts: message.parts, ...reportOf(message.clientRef, failureRate) });
      }
    }
    if (accepted.length) {
      // A client reference seen before keeps its first row and id: delivered once.
      const kept = await acceptMessagesOn(this.client, { id: this.gateway.id, accountId: this.gateway.accountId }, delayMs, accepted);
      for (const row of kept) results.set(row.clientRef, { clientRef: row.clientRef, accepted: true, gatewayMessageId: row.id });
    }
    return messages.map((message) => results.get(message.clientRef)!);
  }
}

export const simulator: GatewayKind = {
  kind: 'simulator',
  label: 'Simulator (no real SMS)',
  options: [
    option('delay_ms', 'Delivery report delay (ms)', { type: 'milliseconds' }),
    option('failure_rate', 'Share reported undelivered (0–1)', { type: 'rate' }),
    option('soft_bounce_rate', 'Share refused for now, retried (0–1)', { type: 'rate' }),
    option('reject_rate', 'Share refused for good (0–1)', { type: 'rate' }),
  ],
  defaults: DEFAULTS,
  adapter: (gateway, client) => new SimulatorAdapter(gateway, client),
  testConnection: null,
  parseDeliveryReport: parseJsonDeliveryReport,
  parseInbound: parseJsonInbound,
  webhookUrls: plainWebhookUrls,
};
