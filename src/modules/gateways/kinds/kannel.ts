// Kannel (Debian's open-source SMS gateway: SMPP, EMI/UCP, modems) through its HTTP sendsms
// interface. Its options and webhook URLs are known; sending and its reports arrive with the
// real-gateways work.
import { option, reportsNotTaken, type GatewayKind, inboundNotTaken } from '../gateway-kind.js';

export const kannel: GatewayKind = {
  kind: 'kannel',
  label: 'Kannel',
  options: [
    option('url', 'sendsms URL', { required: true, type: 'url' }),
    option('username', 'Username', { required: true }),
    option('password', 'Password', { required: true, secret: true }),
    option('smsc', 'SMSC id'),
  ],
  defaults: {},
  adapter: null,
  testConnection: null,
  parseDeliveryReport: reportsNotTaken('kannel'),
  parseInbound: inboundNotTaken('kannel'),
  // Kannel cannot send headers: the secret travels in the URL, with Kannel's escape codes
  // (%p from, %P to, %a text, %t time, %I message id; %d the report type), ready to paste as an
  // sms-service get-url and a dlr-url.
  webhookUrls(gateway, publicUrl) {
    const base = `${publicUrl}/webhooks/${gateway.id}`;
    return {
      inbound: `${base}/inbound?secret=${gateway.secret}&from=%p&to=%P&text=%a&time=%t&id=%I`,
      dlr: `${base}/dlr?secret=${gateway.secret}&type=%d&id=`,
    };
  },
};
