// Automation → External events: every event of the account (made here or through API v2, or an
// inbound event's), with its source, the programs that start on it and its triggers; search and
// pages; a "New event" form; an event's page with its recent triggers (paged, CSV), a curl example
// of the trigger API; deletion, refused while a program uses the event or an inbound event owns it.
// Owners and marketers create and delete; viewers read.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { findOr404 } from '../../db/find.js';
import { ForbiddenError } from '../../errors.js';
import { sendCsvDownload } from '../../plugins/csv-download.js';
import { formErrors, type FormProblem, type TypedApp } from '../../plugins/validation.js';
import { BigIntId, EmptyForm, Form, LINE, OptionalText, Uuid, UuidParams } from '../../plugins/schemas.js';
import { hasRole } from '../accounts/index.js';
import { csvChunks, csvTime } from '../contacts/index.js';
import { ExternalEvent } from './external-event.entity.js';
import { eventsPage, triggerBatchesOn, triggersPage, type ListedTrigger } from './external-events.queries.js';
import { blockedBecause, createExternalEvent, deleteExternalEvent, deletionBlockers, MAX_EVENT_NAME, programsUsing } from './external-events.service.js';
import { ownersOfEvents } from './hooks.js';

const PAGE_SIZE = 50;
const TAB = 'automation' as const;
const TITLE = 'External events';

const IdParams = UuidParams('event');
const ListQuery = Type.Object({ q: OptionalText(LINE), after: Type.Optional(Uuid()) });
const TriggersQuery = Type.Object({ after: Type.Optional(BigIntId()) });
const NewEventForm = Form({ name: OptionalText(LINE) });

/** True when htmx asks for the section `id` only (a search, a page). */
const wantsSection = (request: FastifyRequest, id: string) => request.headers['hx-request'] === 'true' && request.headers['hx-target'] === `section#${id}`;

function mustEdit(request: FastifyRequest): void {
  if (!hasRole(request.user!, 'marketer')) throw new ForbiddenError('Viewers can look at everything but change nothing.');
}

/** Sends the section alone for htmx, else the page. */
async function render(request: FastifyRequest, reply: FastifyReply, template: string, section: string, data: Record<string, unknown>, title: string) {
  if (wantsSection(request, section)) {
    const html = await reply.viewAsync(`automation/events/_${section}`, { ...data, user: request.user, account: request.account, csrfToken: reply.csrfToken() });
    return reply.type('text/html; charset=utf-8').send(html);
  }
  return reply.page(template, data, { title, tab: TAB });
}

/** A trigger's data as one line of JSON, as the page and the CSV show it. */
const compactJson = (data: unknown) => JSON.stringify(data ?? {});

function triggersCsvOn(client: Parameters<typeof triggerBatchesOn>[0], accountId: string, eventId: string, zone: string) {
  return csvChunks(['triggered_at', 'contact_id', 'phone', 'first_name', 'last_name', 'data', 'processed_at'], triggerBatchesOn(client, accountId, eventId), (row: ListedTrigger) => [
    csvTime(row.at, zone),
    row.contact_id,
    row.phone,
    row.first_name,
    row.last_name,
    compactJson(row.data),
    csvTime(row.processed_at, zone),
  ]);
}

export async function externalEventsRoutes(app: TypedApp) {
  const listPage = async (request: FastifyRequest, reply: FastifyReply, query: { q?: string; after?: string }, problem?: FormProblem) => {
    const q = (query.q ?? '').trim().slice(0, 200);
    const page = await eventsPage(request.em, request.account!.id, { q, after: query.after ?? null, limit: PAGE_SIZE });
    const ids = page.rows.map((row) => row.id);
    const [programs, owners] = await Promise.all([programsUsing(request.em, ids), ownersOfEvents(request.em, ids)]);
    const list = q ? `/automation/events?${new URLSearchParams({ q })}` : '/automation/events';
    const data = { page, programs, owners, q, list, after: query.after, values: problem?.values ?? {}, errors: problem?.fields ?? {}, maxName: MAX_EVENT_NAME };
    return render(request, reply, 'automation/events/index', 'event-results', data, TITLE);
  };

  app.get('/', { schema: { querystring: ListQuery } }, async (request, reply) => listPage(request, reply, request.query));

  app.post('/', { schema: { body: NewEventForm }, errorHandler: formErrors((request, reply, problem) => listPage(request, reply, {}, problem)) }, async (request, reply) => {
    const event = await createExternalEvent(request.em, request.account!, request.body.name ?? '');
    return reply.redirect(`/automation/events/${event.id}`, 303);
  });

  app.get('/:id', { schema: { params: IdParams, querystring: TriggersQuery } }, async (request, reply) => {
    const event = await findOr404(request.em, ExternalEvent, request.params.id, 'event');
    const after = request.query.after ?? null;
    const [triggers, blockers] = await Promise.all([triggersPage(request.em, request.account!.id, event.id, { after, limit: PAGE_SIZE }), deletionBlockers(request.em, event)]);
    const data = { event, triggers, blockers, after, list: `/automation/events/${event.id}`, compactJson, publicUrl: app.config.publicUrl };
    return render(request, reply, 'automation/events/event', 'trigger-results', data, event.name);
  });

  app.get('/:id/triggers.csv', { schema: { params: IdParams } }, async (request, reply) => {
    const event = await findOr404(request.em, ExternalEvent, request.params.id, 'event');
    if (!hasRole(request.user!, 'marketer')) throw new ForbiddenError('Exports hold personal data: only marketers and owners can export.');
    const account = request.account!;
    return sendCsvDownload(request, reply, 'event-triggers', (client) => triggersCsvOn(client, account.id, event.id, account.timeZone));
  });

  app.get('/:id/delete', { schema: { params: IdParams } }, async (request, reply) => {
    const event = await findOr404(request.em, ExternalEvent, request.params.id, 'event');
    mustEdit(request);
    const blockers = await deletionBlockers(request.em, event);
    return reply.page('automation/events/delete', { event, blockers, blocked: blockedBecause(blockers) }, { title: `Delete ${event.name}`, tab: TAB });
  });

  app.post('/:id/delete', { schema: { params: IdParams, body: EmptyForm() } }, async (request, reply) => {
    await deleteExternalEvent(request.em, await findOr404(request.em, ExternalEvent, request.params.id, 'event'));
    return reply.redirect('/automation/events', 303);
  });
}
