// The inbound events API (Bearer key, scoped to the key's account):
//   GET /api/v1/inbound-events   every inbound event with its keywords and its external event's name
import type { TypedApp } from '../../plugins/validation.js';
import type { InboundEvent } from './inbound.entity.js';
import { listEvents } from './events.service.js';

function eventJson(event: InboundEvent) {
  return {
    id: event.id,
    name: event.name,
    type: event.type,
    keywords: event.keywords,
    inbound_number: { id: event.inboundNumber.id, number: event.inboundNumber.number },
    reply_text: event.replyText,
    external_event: { id: event.externalEvent.id, name: event.externalEvent.name },
    created_at: event.createdAt.toISOString(),
    updated_at: event.updatedAt.toISOString(),
  };
}

export async function inboundEventsApiRoutes(app: TypedApp) {
  app.get('/inbound-events', async (request) => ({ inbound_events: (await listEvents(request.em)).map(eventJson) }));
}
