// The Inbound SMS tab: STOP unsubscribes, the inbox of other replies, inbound event setup.
// A placeholder page for now: it reads nothing from the request.
import type { TypedApp } from '../../plugins/validation.js';

export async function inboundRoutes(app: TypedApp) {
  app.get('/', async (_request, reply) => reply.page('inbound/index', {}, { title: 'Inbound SMS', tab: 'inbound' }));
}
