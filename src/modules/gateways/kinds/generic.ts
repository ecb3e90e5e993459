// A generic HTTP gateway for providers without an adapter: its delivery reports use Textcast's
// own JSON format (the simulator's), so they are taken today; sending arrives with the
// real-gateways work.
import { option, parseJsonDeliveryReport, plainWebhookUrls, type GatewayKind, parseJsonInbound } from '../gateway-kind.js';

export const generic: GatewayKind = {
  kind: 'generic',
  label: 'Generic HTTP',
  options: [option('url', 'Send URL', { required: true, type: 'url' }), option('token', 'Bearer token', { secret: true })],
  defaults: {},
  adapter: null,
  testConnection: null,
  parseDeliveryReport: parseJsonDeliveryReport,
  parseInbound: parseJsonInbound,
  webhookUrls: plainWebhookUrls,
};
