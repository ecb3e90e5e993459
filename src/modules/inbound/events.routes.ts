// Inbound SMS → Inbound event setup: the list of events, create, edit, delete (with a
// confirmation page), and the reply text's live part counter. Owners and marketers change them;
// viewers see the list.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { findOr404 } from '../../db/find.js';
import { ForbiddenError } from '../../errors.js';
import { formErrors, type FormProblem, type TypedApp } from '../../plugins/validation.js';
import { EmptyForm, Form, IdText, LINE, OptionalText, PARAGRAPH, UuidParams } from '../../plugins/schemas.js';
import { countParts } from '../campaigns/index.js';
import { InboundEvent, INBOUND_EVENT_TYPES } from './inbound.entity.js';
import { createEvent, deleteEvent, EVENT_TYPE_HELP, externalEventName, inboundNumbers, listEvents, MAX_REPLY, programsBlocking, replyRequired, updateEvent } from './events.service.js';

const IdParams = UuidParams('inbound event');
const EventForm = Form({
  name: OptionalText(LINE),
  keywords: OptionalText(PARAGRAPH),
  type: OptionalText(LINE),
  inbound_number: Type.Optional(IdText()),
  reply_text: OptionalText(PARAGRAPH),
});
const ReplyForm = Form({ reply_text: OptionalText(PARAGRAPH) });

const TITLE = 'Inbound event setup';
const PAGE = { title: TITLE, tab: 'inbound' as const };

/** What the event pages show about types and replies, wherever they show them. */
const helpers = { types: INBOUND_EVENT_TYPES, typeHelp: EVENT_TYPE_HELP, replyRequired, externalEventName, countParts, maxReply: MAX_REPLY };

/** The form's values for an existing event, as the form would post them. */
function valuesOf(event: InboundEvent): Record<string, string> {
  return { name: event.name, keywords: event.keywords.join(', '), type: event.type, inbound_number: event.inboundNumber.id, reply_text: event.replyText ?? '' };
}

/** Viewers see the events; the pages that change them are not for them. */
function mustEdit(request: FastifyRequest): void {
  if (request.user!.role === 'viewer') throw new ForbiddenError('Viewers can look at everything but change nothing.');
}

export async function eventsRoutes(app: TypedApp) {
  const formPage = async (request: FastifyRequest, reply: FastifyReply, event: InboundEvent | null, problem?: FormProblem) => {
    const numbers = await inboundNumbers(request.em);
    const values = problem?.values ?? (event ? valuesOf(event) : { inbound_number: numbers.length === 1 ? numbers[0]!.id : '', type: 'inboundResponder' });
    const title = event ? `Edit ${event.name}` : 'New inbound event';
    return reply.page('inbound/events/form', { ...helpers, event, numbers, values, errors: problem?.fields ?? {} }, { ...PAGE, title });
  };

  const loadEvent = (request: FastifyRequest, id: string) => findOr404(request.em, InboundEvent, id, 'inbound event', { populate: ['inboundNumber', 'externalEvent'] });

  app.get('/', async (request, reply) => {
    const [events, numbers] = await Promise.all([listEvents(request.em), inboundNumbers(request.em)]);
    return reply.page('inbound/events/index', { ...helpers, events, hasNumbers: numbers.length > 0 }, PAGE);
  });

  app.get('/new', async (request, reply) => {
    mustEdit(request);
    return formPage(request, reply, null);
  });

  app.post(
    '/',
    { schema: { body: EventForm }, errorHandler: formErrors((request, reply, problem) => formPage(request, reply, null, problem)) },
    async (request, reply) => {
      await createEvent(request.em, request.account!, request.body);
      return reply.redirect('/inbound/events', 303);
    },
  );

  app.get('/:id/edit', { schema: { params: IdParams } }, async (request, reply) => {
    const event = await loadEvent(request, request.params.id);
    mustEdit(request);
    return formPage(request, reply, event);
  });

  app.post(
    '/:id',
    {
      schema: { params: IdParams, body: EventForm },
      errorHandler: formErrors<{ id: string }>(async (request, reply, problem) => formPage(request, reply, await loadEvent(request, request.params.id), problem)),
    },
    async (request, reply) => {
      await updateEvent(request.em, request.account!, await loadEvent(request, request.params.id), request.body);
      return reply.redirect('/inbound/events', 303);
    },
  );

  app.get('/:id/delete', { schema: { params: IdParams } }, async (request, reply) => {
    const event = await loadEvent(request, request.params.id);
    mustEdit(request);
    const blocking = await programsBlocking(request.em, event);
    return reply.page('inbound/events/delete', { ...helpers, event, blocking }, { ...PAGE, title: `Delete ${event.name}` });
  });

  app.post('/:id/delete', { schema: { params: IdParams, body: EmptyForm() } }, async (request, reply) => {
    await deleteEvent(request.em, await loadEvent(request, request.params.id));
    return reply.redirect('/inbound/events', 303);
  });

  // The reply's live counter: it changes nothing, so anyone signed in may ask.
  app.post('/reply-count', { config: { role: 'viewer' }, schema: { body: ReplyForm } }, async (request, reply) =>
    reply.type('text/html; charset=utf-8').send(await reply.viewAsync('inbound/events/_reply-count', { ...helpers, text: (request.body.reply_text ?? '').trim() })),
  );
}
