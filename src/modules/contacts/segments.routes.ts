// Segments: the list, the rule builder (htmx: rows re-rendered by the server, a live size
// preview), save, delete with a confirmation step. Every page also works without JavaScript: the
// row buttons and "Update the preview" post the whole form to the page's own URL, which re-renders
// it instead of saving.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { findOr404 } from '../../db/find.js';
import { withClient } from '../../db/raw-client.js';
import { ConflictError, ValidationError } from '../../errors.js';
import { hasRole } from '../accounts/index.js';
import { COUNTRIES } from '../../phone.js';
import { formErrors, type TypedApp } from '../../plugins/validation.js';
import { EmptyForm, Form, LINE, OptionalText, Text, UuidParams } from '../../plugins/schemas.js';
import { ContactList } from './contact-list.entity.js';
import { Segment } from './segment.entity.js';
import { OPERATORS, operatorSpec, resolveField, segmentFieldChoices, type FieldInfo } from './segment-compiler.js';
import { compileSegmentOn, loadSegmentContextOn, segmentPageOn, segmentSizeOn, type SegmentSize } from './segment.queries.js';
import { applyBuilderAction, builderToRules, emptyBuilder, parseBuilderForm, rowErrors, rulesToBuilder, type BuilderState } from './segment-form.js';
import { usersOfSegment, deleteSegment, saveSegment } from './segments.service.js';
import { contactExportRoutes } from './contact-export.routes.js';
import { queueFieldIndexSync } from './field-indexes.js';
import type { ContactRow } from './contact.queries.js';

const VIEWER = { role: 'viewer' as const };
const PREVIEW_ROWS = 10;

const IdParams = UuidParams('segment');
/** The builder's form: rows come as groups[<g>][conditions][<c>][field|operator|value|was] and
 * groups[<g>][combinator] (read by segment-form.ts); a row button posts `op`. */
const BuilderForm = Form({ name: OptionalText(LINE), combinator: OptionalText(LINE), op: OptionalText(LINE) }, { patternProperties: { '^groups\\[': Text(LINE) } });
type Body = Static<typeof BuilderForm>;

export interface Preview {
  ok: boolean;
  size?: SegmentSize;
  contacts?: ContactRow[];
  /** No condition yet: the size is every contact's. */
  everyone?: boolean;
  messages?: string[];
}

/** "Condition N: ..." for each row error, numbered as the rows appear on screen. */
function describeErrors(errors: Record<string, string>, state: BuilderState): string[] {
  const numbers = new Map<string, number>();
  let n = 0;
  state.groups.forEach((g, gi) => g.conditions.forEach((_c, ci) => numbers.set(`${gi}.${ci}`, ++n)));
  return Object.entries(errors).map(([key, message]) => (numbers.has(key) ? `Condition ${numbers.get(key)}: ${message}` : message));
}

async function previewOf(request: FastifyRequest, state: BuilderState): Promise<Preview> {
  if (state.overLimit) return { ok: false, messages: [state.overLimit] };
  const { rules, rows } = builderToRules(state, { skipBlank: true });
  try {
    return await withClient(request.em, async (client) => {
      const compiled = await compileSegmentOn(client, request.account!.id, rules);
      const size = await segmentSizeOn(client, compiled);
      const page = size.total ? await segmentPageOn(client, compiled, { limit: PREVIEW_ROWS }) : { contacts: [] };
      return { ok: true, size, contacts: page.contacts, everyone: rules.conditions.length === 0 };
    });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return { ok: false, messages: describeErrors(rowErrors(error.fields, rows), state) };
  }
}

interface BuilderView {
  segment: Segment | null;
  name: string;
  state: BuilderState;
  errors?: Record<string, string>;
  focus?: string;
}

/** The account's custom fields (key, label, type), by label. */
async function customFieldsOf(request: FastifyRequest): Promise<FieldInfo[]> {
  return (await withClient(request.em, (client) => loadSegmentContextOn(client, request.account!.id, { combinator: 'and', conditions: [] }))).customFields;
}

/** What the rule rows need to render: fields, operators, countries, lists. */
async function rowsData(request: FastifyRequest, state: BuilderState, customFields?: FieldInfo[]) {
  const fields = customFields ?? (await customFieldsOf(request));
  const lists = await request.em.find(ContactList, {}, { orderBy: { name: 'asc' }, fields: ['id', 'name'] });
  const rows = state.groups.map((group) =>
    group.conditions.map((condition) => {
      const field = condition.field ? resolveField(condition.field, fields) : null;
      const operators = field ? OPERATORS[field.kind] : [];
      return { ...condition, known: !!field || !condition.field, operators, input: field ? (operatorSpec(field.kind, condition.operator)?.input ?? 'none') : 'text' };
    }),
  );
  return { state, rows, fieldChoices: segmentFieldChoices(fields), countries: COUNTRIES, lists };
}

async function builderPage(request: FastifyRequest, reply: FastifyReply, view: BuilderView, preview: Preview, status?: number) {
  const rows = await rowsData(request, view.state);
  return reply.page(
    'contacts/segments/builder',
    {
      ...rows,
      segment: view.segment,
      name: view.name,
      errors: view.errors ?? {},
      focus: view.focus,
      preview,
      action: view.segment ? `/contacts/segments/${view.segment.id}` : '/contacts/segments',
      canEdit: hasRole(request.user!, 'marketer'),
    },
    { title: view.segment ? view.segment.name : 'New segment', tab: 'contacts', status },
  );
}

/** The row action of a posted builder form (a row button's `op`), if any. */
function actionOf(body: Body): string | null {
  return body.op ? body.op : null;
}

/** A schema error on a row's field shows on that row ("<g>.<c>"), as the compiler's do. */
function onRows(fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([name, message]) => [/^groups\[(\d+)\]\[conditions\]\[(\d+)\]/.exec(name)?.slice(1, 3).join('.') ?? name, message]));
}

function focusAfter(state: BuilderState, action: string | null): string | undefined {
  if (!action) return undefined;
  const [verb, a] = action.split(':');
  if (verb === 'add') return `${a}.${(state.groups[Number(a)]?.conditions.length ?? 1) - 1}`;
  if (verb === 'add-group') return `${state.groups.length - 1}.0`;
  return undefined;
}

export async function segmentsRoutes(app: TypedApp) {
  app.get('/', async (request, reply) => {
    const segments = await request.em.find(Segment, {}, { orderBy: { name: 'asc' } });
    return reply.page('contacts/segments/list', { segments, canEdit: hasRole(request.user!, 'marketer') }, { title: 'Segments', tab: 'contacts' });
  });

  app.get('/new', async (request, reply) => {
    const state = emptyBuilder();
    return builderPage(request, reply, { segment: null, name: '', state }, await previewOf(request, state));
  });

  app.get('/:id', { schema: { params: IdParams } }, async (request, reply) => {
    const segment = await findOr404(request.em, Segment, request.params.id, 'segment');
    const state = rulesToBuilder(segment.rules);
    return builderPage(request, reply, { segment, name: segment.name, state }, await previewOf(request, state));
  });

  /** Create or update, or (with a row action) re-render the form without saving. */
  const save = async (request: FastifyRequest, reply: FastifyReply, body: Body, segment: Segment | null) => {
    const fields = await customFieldsOf(request);
    const action = actionOf(body);
    let state = parseBuilderForm(body, fields);
    const name = body.name ?? '';
    if (action) {
      state = applyBuilderAction(state, action);
      return builderPage(request, reply, { segment, name, state, focus: focusAfter(state, action) }, await previewOf(request, state));
    }
    await saveSegment(request.em, request.account!, { name, state }, segment);
    await queueFieldIndexSync(app, request.log);
    return reply.redirect('/contacts/segments', 303);
  };

  /** The builder again, with its rows as posted and the errors on them; nothing saved. */
  const builderErrors = formErrors<{ id?: string }>(async (request, reply, { fields, values }) => {
    const segment = request.params.id ? await findOr404(request.em, Segment, request.params.id, 'segment') : null;
    const state = parseBuilderForm(values, await customFieldsOf(request));
    return builderPage(request, reply, { segment, name: values.name ?? '', state, errors: onRows(fields) }, await previewOf(request, state));
  });

  app.post('/', { schema: { body: BuilderForm }, errorHandler: builderErrors }, async (request, reply) => save(request, reply, request.body, null));
  app.post('/:id', { schema: { params: IdParams, body: BuilderForm }, errorHandler: builderErrors }, async (request, reply) =>
    save(request, reply, request.body, await findOr404(request.em, Segment, request.params.id, 'segment')),
  );

  // htmx: the size and first contacts of the rules in the form. Viewers may try rules too.
  app.post('/preview', { config: VIEWER, schema: { body: BuilderForm } }, async (request, reply) => {
    const state = parseBuilderForm(request.body, await customFieldsOf(request));
    const html = await reply.viewAsync('contacts/segments/_preview', { preview: await previewOf(request, state) });
    return reply.type('text/html; charset=utf-8').send(html);
  });

  // htmx: the rule rows after a field, operator or row button changed them, and the preview.
  app.post('/rows', { config: VIEWER, schema: { body: BuilderForm } }, async (request, reply) => {
    const body = request.body;
    const fields = await customFieldsOf(request);
    const action = actionOf(body);
    let state = parseBuilderForm(body, fields);
    if (action) state = applyBuilderAction(state, action);
    const data = await rowsData(request, state, fields);
    const html = await reply.viewAsync('contacts/segments/_rules', { ...data, errors: {}, focus: focusAfter(state, action), preview: await previewOf(request, state), oobPreview: true });
    return reply.type('text/html; charset=utf-8').send(html);
  });

  // htmx: one segment's size, for the list (computed on demand, never stored stale).
  app.get('/:id/count', { schema: { params: IdParams } }, async (request, reply) => {
    const segment = await findOr404(request.em, Segment, request.params.id, 'segment');
    let size: SegmentSize | null = null;
    try {
      size = await withClient(request.em, async (client) => segmentSizeOn(client, await compileSegmentOn(client, request.account!.id, segment.rules)));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
    }
    const html = await reply.viewAsync('contacts/segments/_count', { segment, size });
    return reply.type('text/html; charset=utf-8').send(html);
  });

  const deletePage = async (request: FastifyRequest, reply: FastifyReply, segment: Segment, status = 200) =>
    reply.page('contacts/segments/delete', { segment, campaigns: await usersOfSegment(request.em, segment), canEdit: hasRole(request.user!, 'marketer') }, { title: `Delete ${segment.name}`, tab: 'contacts', status });

  app.get('/:id/delete', { schema: { params: IdParams } }, async (request, reply) => deletePage(request, reply, await findOr404(request.em, Segment, request.params.id, 'segment')));

  app.post('/:id/delete', { schema: { params: IdParams, body: EmptyForm() } }, async (request, reply) => {
    const segment = await findOr404(request.em, Segment, request.params.id, 'segment');
    try {
      await deleteSegment(request.em, segment);
    } catch (error) {
      if (error instanceof ConflictError) return deletePage(request, reply, segment, 409);
      throw error;
    }
    await queueFieldIndexSync(app, request.log);
    return reply.redirect('/contacts/segments', 303);
  });
}

/** Segments at /contacts/segments and the CSV export at /contacts/export (one line in routes.ts). */
export async function segmentsAndExportRoutes(app: FastifyInstance) {
  await app.register(segmentsRoutes, { prefix: '/segments' });
  await app.register(contactExportRoutes, { prefix: '/export' });
}
