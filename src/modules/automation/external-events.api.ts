// API v2: external events, shaped like the reference product's API (Bearer key, scoped to the
// key's account; every answer is {"replyCode": 0, "replyText": "OK", "data": ...}, and refusals
// add a non-zero replyCode and replyText to the usual {"error": {...}} with the right status):
//   GET  /api/v2/event                 every event: id, name, source
//   POST /api/v2/event                 {"name": "..."} creates one, answers its id
//   POST /api/v2/event/:id/trigger     {"key_id", "external_id", "data"} or a batch
//                                      {"key_id", "contacts": [{"external_id", "data"}]} of at most 1,000
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { CodedBadInputError, BadInputError } from '../../errors.js';
import { findOr404 } from '../../db/find.js';
import type { TypedApp } from '../../plugins/validation.js';
import { LINE, Text, UuidParams } from '../../plugins/schemas.js';
import { ExternalEvent } from './external-event.entity.js';
import { createExternalEvent, MAX_CONTACTS_PER_TRIGGER, triggerEvent, type TriggerItem } from './external-events.service.js';

/** A batch of 1,000 contacts with their data is larger than the app's 1 MB default. */
const TRIGGER_BODY_LIMIT = 5 * 1024 * 1024;

const ExternalId = Type.Union([Type.String({ maxLength: LINE }), Type.Number()], { description: 'text or a number' });
const Data = Type.Unsafe<Record<string, unknown>>({ type: 'object' });
const TOO_MANY = `At most ${MAX_CONTACTS_PER_TRIGGER.toLocaleString('en')} contacts per call; this one has {count}.`;
const TriggerBody = Type.Object({
  key_id: Text(100, { minLength: 1 }),
  external_id: Type.Optional(ExternalId),
  data: Type.Optional(Data),
  contacts: Type.Optional(Type.Array(Type.Object({ external_id: ExternalId, data: Type.Optional(Data) }), { maxItems: MAX_CONTACTS_PER_TRIGGER, errorMessage: { maxItems: TOO_MANY } })),
});
type TriggerBody = Static<typeof TriggerBody>;
/** Presence and length of the name are the service's rules (422 with a field error). */
const NewEventBody = Type.Object({ name: Type.Optional(Text(LINE)) });

const ok = (data: unknown) => ({ replyCode: 0, replyText: 'OK', data });

/** More than 1,000 contacts is refused with the reference's own code (2002), before the schema
 * would say it with the generic one. */
async function refuseOversizedBatch(request: FastifyRequest): Promise<void> {
  const contacts = (request.body as { contacts?: unknown } | null)?.contacts;
  if (Array.isArray(contacts) && contacts.length > MAX_CONTACTS_PER_TRIGGER) {
    const message = TOO_MANY.replace('{count}', contacts.length.toLocaleString('en'));
    throw new CodedBadInputError({ contacts: message }, message, 2002);
  }
}

/** The contacts of a call, single or batch: exactly one of `external_id` and `contacts`. */
function itemsOf(body: TriggerBody): TriggerItem[] {
  if ((body.external_id === undefined) === (body.contacts === undefined)) {
    const message = 'Send either "external_id" (one contact) or "contacts" (a batch), not both or neither.';
    throw new BadInputError({ external_id: message }, message);
  }
  if (body.contacts) return body.contacts.map((contact) => ({ externalId: String(contact.external_id), data: contact.data ?? {} }));
  return [{ externalId: String(body.external_id), data: body.data ?? {} }];
}

const eventJson = (event: ExternalEvent) => ({ id: event.id, name: event.name, source: event.source, created_at: event.createdAt.toISOString() });

export async function externalEventsApiRoutes(app: TypedApp) {
  app.get('/event', async (request) => ok((await request.em.find(ExternalEvent, {}, { orderBy: { name: 'asc', id: 'asc' } })).map(eventJson)));

  app.post('/event', { schema: { body: NewEventBody } }, async (request) => {
    const event = await createExternalEvent(request.em, request.account!, request.body.name ?? '');
    return ok({ id: event.id, name: event.name });
  });

  app.post(
    '/event/:id/trigger',
    { bodyLimit: TRIGGER_BODY_LIMIT, preValidation: refuseOversizedBatch, schema: { params: UuidParams('event'), body: TriggerBody } },
    async (request) => {
      const event = await findOr404(request.em, ExternalEvent, request.params.id, 'event');
      return ok(await triggerEvent(request.em, request.account!, event, request.body.key_id, itemsOf(request.body)));
    },
  );
}
