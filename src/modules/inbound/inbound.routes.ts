// The Inbound SMS tab: STOP unsubscribes, the inbox of other replies, inbound event setup
// (events.routes.ts). Its first two sections are placeholders for now: they read nothing from
// the request.
import type { TypedApp } from '../../plugins/validation.js';

export async function inboundRoutes(app: TypedApp) {
  app.get('/', async (_request, reply) => reply.page('inbound/index', {}, { title: 'Inbound SMS', tab: 'inbound' }));
  app.get('/inbox', async (_request, reply) => reply.page('inbound/inbox', {}, { title: 'SMS inbox', tab: 'inbound' }));
}
