// Twilio's Messages API. Its options are known; sending and its signed webhooks arrive with the
// real-gateways work.
import { option, plainWebhookUrls, reportsNotTaken, type GatewayKind, inboundNotTaken } from '../gateway-kind.js';

export const twilio: GatewayKind = {
  kind: 'twilio',
  label: 'Twilio',
  options: [
    option('account_sid', 'Account SID', { required: true }),
    option('auth_token', 'Auth token', { required: true, secret: true }),
    option('from', 'From number'),
    option('messaging_service_sid', 'Messaging service SID'),
    option('base_url', 'API base URL', { type: 'url' }),
  ],
  defaults: {},
  adapter: null,
  testConnection: null,
  parseDeliveryReport: reportsNotTaken('twilio'),
  parseInbound: inboundNotTaken('twilio'),
  webhookUrls: plainWebhookUrls,
};
