// The Inbound SMS tab's lists: "Unsubscribed using STOP keyword" (/inbound) and the SMS inbox
// (/inbound/inbox), each filtered, paged newest first (keyset) and exported as CSV; marking inbox
// messages handled, retrying a failed one; and the simulator's "Simulate an incoming SMS" form on
// both pages. While a message waits for the processor, a list asks for itself again every second
// (htmx), so what was just received shows up processed. Inbound event setup is events.routes.ts.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { findOr404 } from '../../db/find.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import { sendCsvDownload } from '../../plugins/csv-download.js';
import { formErrors, type FormProblem, type TypedApp } from '../../plugins/validation.js';
import { BigIntId, BigIntIdParams, Form, IdText, LINE, OptionalText, PARAGRAPH } from '../../plugins/schemas.js';
import { hasRole } from '../accounts/index.js';
import { InboundNumber } from '../gateways/index.js';
import { InboundMessage } from './inbound.entity.js';
import { countWaiting, inboxPage, inboxRow, INBOX_STATES, retryFailed, setHandled, stopPage, type InboxFilters, type InboxState } from './inbound-lists.queries.js';
import { inboxCsvOn, stopCsvOn, stopFilters, type StopQuery } from './inbound-lists.service.js';
import { MAX_SENDER, MAX_SIMULATED_TEXT, simulateInbound, simulatorNumbers } from './simulate.service.js';

const PAGE_SIZE = 50;
const TAB = 'inbound' as const;

// --- Schemas -------------------------------------------------------------------------------------
const Cursor = Type.Optional(BigIntId());
/** Set after the simulator's form stored a message, for the notice. */
const Received = Type.Optional(Type.Enum(['1']));
const StopListQuery = Type.Object({ from: OptionalText(20), to: OptionalText(20), number: Type.Optional(IdText()), after: Cursor, received: Received });
const InboxQuery = Type.Object({ q: OptionalText(LINE), state: Type.Optional(Type.Enum(['', ...INBOX_STATES])), after: Cursor, received: Received });
const MessageParams = BigIntIdParams('message in the SMS inbox');
/** `back`: the list (with its filters) to return to without JavaScript. */
const HandledForm = Form({ handled: Type.Enum(['yes', 'no']), back: OptionalText(LINE) });
const BackForm = Form({ back: OptionalText(LINE) });
const SimulateForm = Form({ from: OptionalText(LINE), to: Type.Optional(IdText()), text: OptionalText(PARAGRAPH), back: Type.Optional(Type.Enum(['stop', 'inbox'])) });

const LIST_URL = { stop: '/inbound', inbox: '/inbound/inbox' } as const;
type List = keyof typeof LIST_URL;

/** A URL with the filters of a list (empty ones left out). */
function urlOf(path: string, filters: Record<string, string | undefined>): string {
  const query = new URLSearchParams(Object.entries(filters).filter((entry): entry is [string, string] => !!entry[1])).toString();
  return query ? `${path}?${query}` : path;
}

/** The URLs a list page links to: itself (polled), its first page, and its CSV of the same filters. */
function urlsOf(list: List, filters: Record<string, string>, after: string | undefined) {
  const path = LIST_URL[list];
  return { self: urlOf(path, { ...filters, after }), list: urlOf(path, filters), exportUrl: urlOf(`${path}/export`, filters) };
}

/** Where a form sends the browser back to: one of the lists, never elsewhere. */
function backTo(back: string | undefined): string {
  return back && /^\/inbound(\/inbox)?(\?[^#]*)?$/.test(back) ? back : LIST_URL.inbox;
}

/** True when htmx asks for the results section `id` only (a filter change, a page, a poll). */
const wantsResults = (request: FastifyRequest, id: string) => request.headers['hx-request'] === 'true' && request.headers['hx-target'] === `section#${id}`;

function mustExport(request: FastifyRequest): void {
  if (!hasRole(request.user!, 'marketer')) throw new ForbiddenError('Exports hold personal data: only marketers and owners can export.');
}

/** What both list pages show around their results: the processor's queue and the simulator's form. */
async function listSurroundings(request: FastifyRequest, list: List, problem?: FormProblem) {
  const canEdit = hasRole(request.user!, 'marketer');
  const [waiting, numbers] = await Promise.all([countWaiting(request.em, request.account!.id), canEdit ? simulatorNumbers(request.em) : Promise.resolve([])]);
  const chosen = problem?.values.to ?? (numbers.length === 1 ? numbers[0]!.id : '');
  const simulator = { numbers, back: list, values: { ...problem?.values, to: chosen }, errors: problem?.fields ?? {}, maxSender: MAX_SENDER, maxText: MAX_SIMULATED_TEXT };
  return { waiting, simulator, canExport: canEdit };
}

/** Sends the results section alone for htmx, else the page. */
async function render(request: FastifyRequest, reply: FastifyReply, list: List, data: Record<string, unknown>) {
  const [results, page, title] = list === 'stop' ? ['stop-results', 'inbound/index', 'Unsubscribed using STOP keyword'] : ['inbox-results', 'inbound/inbox', 'SMS inbox'];
  if (wantsResults(request, results)) {
    const html = await reply.viewAsync(`inbound/_${results}`, { ...data, user: request.user, account: request.account, csrfToken: reply.csrfToken() });
    return reply.type('text/html; charset=utf-8').send(html);
  }
  return reply.page(page, data, { title, tab: TAB });
}

export async function inboundRoutes(app: TypedApp) {
  // --- Unsubscribed using STOP keyword ---------------------------------------------------------
  const stopList = async (request: FastifyRequest, reply: FastifyReply, query: StopQuery & { after?: string; received?: string }, problem?: FormProblem) => {
    const account = request.account!;
    const values = { from: query.from ?? '', to: query.to ?? '', number: query.number ?? '' };
    const [numbers, surroundings] = await Promise.all([request.em.find(InboundNumber, {}, { orderBy: { number: 'asc' } }), listSurroundings(request, 'stop', problem)]);
    let page = { rows: [] as Awaited<ReturnType<typeof stopPage>>['rows'], next: null as string | null };
    let filterProblem: string | null = null;
    try {
      page = await stopPage(request.em, account.id, stopFilters(values, account.timeZone), { after: query.after ?? null, limit: PAGE_SIZE });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      filterProblem = error.message;
      reply.code(400);
    }
    const data = { ...surroundings, ...urlsOf('stop', values, query.after), page, values, numbers, filterProblem, after: query.after, received: query.received === '1' };
    return render(request, reply, 'stop', data);
  };

  app.get('/', { schema: { querystring: StopListQuery } }, async (request, reply) => stopList(request, reply, request.query));

  app.get('/export', { schema: { querystring: StopListQuery } }, async (request, reply) => {
    mustExport(request);
    const account = request.account!;
    const filters = stopFilters(request.query, account.timeZone);
    return sendCsvDownload(request, reply, 'stop-unsubscribes', (client) => stopCsvOn(client, account.id, filters, account.timeZone));
  });

  // --- SMS inbox ------------------------------------------------------------------------------
  const inboxFiltersOf = (query: { q?: string; state?: string }): InboxFilters => ({ q: (query.q ?? '').slice(0, 100), state: (query.state || 'all') as InboxState });

  const inbox = async (request: FastifyRequest, reply: FastifyReply, query: { q?: string; state?: string; after?: string; received?: string }, problem?: FormProblem) => {
    const filters = inboxFiltersOf(query);
    const [page, surroundings] = await Promise.all([inboxPage(request.em, request.account!.id, filters, { after: query.after ?? null, limit: PAGE_SIZE }), listSurroundings(request, 'inbox', problem)]);
    const values = { q: filters.q, state: filters.state === 'all' ? '' : filters.state };
    return render(request, reply, 'inbox', { ...surroundings, ...urlsOf('inbox', values, query.after), page, filters, after: query.after, received: query.received === '1' });
  };

  app.get('/inbox', { schema: { querystring: InboxQuery } }, async (request, reply) => inbox(request, reply, request.query));

  app.get('/inbox/export', { schema: { querystring: InboxQuery } }, async (request, reply) => {
    mustExport(request);
    const account = request.account!;
    const filters = inboxFiltersOf(request.query);
    return sendCsvDownload(request, reply, 'sms-inbox', (client) => inboxCsvOn(client, account.id, filters, account.timeZone));
  });

  /** After a change to one message: its row again for htmx, else back to the list. */
  const afterChange = async (request: FastifyRequest, reply: FastifyReply, id: string, back: string | undefined) => {
    if (request.headers['hx-request'] !== 'true') return reply.redirect(backTo(back), 303);
    const row = await inboxRow(request.em, request.account!.id, id);
    if (!row) return reply.code(204).send();
    const html = await reply.viewAsync('inbound/_inbox-row', { row, user: request.user, csrfToken: reply.csrfToken(), back: backTo(back) });
    return reply.type('text/html; charset=utf-8').send(html);
  };

  app.post('/inbox/:id/handled', { schema: { params: MessageParams, body: HandledForm } }, async (request, reply) => {
    const changed = await setHandled(request.em, request.account!.id, request.params.id, request.body.handled === 'yes', request.actor);
    if (!changed) throw new NotFoundError('There is no such message in the SMS inbox.');
    return afterChange(request, reply, request.params.id, request.body.back);
  });

  app.post('/inbox/:id/retry', { config: { role: 'owner' }, schema: { params: MessageParams, body: BackForm } }, async (request, reply) => {
    const message = await findOr404(request.em, InboundMessage, request.params.id, 'message in the SMS inbox');
    if (!(await retryFailed(request.em, request.account!.id, request.params.id))) throw new ConflictError(`Only a failed message can be retried; this one is ${message.status}.`);
    return afterChange(request, reply, request.params.id, request.body.back);
  });

  // --- The simulator receives -----------------------------------------------------------------
  app.post(
    '/simulate',
    {
      schema: { body: SimulateForm },
      errorHandler: formErrors((request, reply, problem) => (problem.values.back === 'stop' ? stopList(request, reply, {}, problem) : inbox(request, reply, {}, problem))),
    },
    async (request, reply) => {
      await simulateInbound(request.em, request.account!.id, request.body);
      const list: List = request.body.back === 'stop' ? 'stop' : 'inbox';
      return reply.redirect(`${LIST_URL[list]}?received=1#simulate`, 303);
    },
  );
}
