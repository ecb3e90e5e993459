// The Create tab: campaigns not launched yet, and the two-step wizard (1. message settings,
// 2. recipients and scheduling), with a live part counter, preview, copy and delete.
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { Type, type Static } from 'typebox';
import { AppError, ConflictError, ValidationError } from '../../errors.js';
import { findOr404, isUuid } from '../../db/find.js';
import { withClient } from '../../db/raw-client.js';
import { formErrors, type TypedApp } from '../../plugins/validation.js';
import { Checkbox, EmptyForm, Form, IdText, LINE, OptionalText, PARAGRAPH, UuidParams } from '../../plugins/schemas.js';
import { Segment, ContactList, customFieldsOf } from '../contacts/index.js';
import { normalisePhone } from '../../phone.js';
import { Campaign, type CampaignKind } from './campaign.entity.js';
import { campaignTab, isEditable } from './campaign-status.js';
import { campaignList, launchedCount, type CampaignFilters } from './campaign.queries.js';
import {
  knownPlaceholders, createCampaign, updateMessage, setRecipients, scheduleCampaign, unscheduleCampaign,
  copyCampaign, deleteCampaign, checkCampaignText, parseSchedule, recipientChoice, receivingByZone, BUILT_IN_PLACEHOLDERS,
  updateLaunched, UNSUBSCRIBE_PAGE_TEXT_MAX,
} from './campaigns.service.js';
import { recipientFilterOn, previewContactOn } from './recipients.queries.js';
import { lookalikeSwaps, replaceLookalikes } from './sms-text.js';
import { findLinks, prepareTemplate, renderMessage, PREVIEW_TOKEN, type Recipient } from './message-render.js';
import { notifyScheduleChange } from './hooks.js';
import { campaignViewHelpers, sendingNotices } from './campaign-labels.js';
import { sendability } from './sendability.js';
import { forecastForSchedule, forecastViewHelpers } from './delivery-forecast.js';
import { gatewayFor, InboundNumber } from '../gateways/index.js';

// --- Schemas (shape and bounds; what a campaign may say is the service's rule) -------------------
const IdParams = UuidParams('campaign');
type IdParams = Static<typeof IdParams>;

const ListQuery = Type.Object({
  q: OptionalText(LINE),
  // `type: 'string'` first: a repeated filter is "a single value", not "one of".
  type: Type.Optional(Type.Enum(['', 'draft_batch', 'sent_batch', 'automation'], { type: 'string' })),
  status: Type.Optional(Type.Enum(['', 'draft', 'scheduled'], { type: 'string' })),
  notice: OptionalText(PARAGRAPH),
});

/** Step 1, and what the live counter and the editor's helpers receive (the whole form: hx-include). */
const MessageForm = Form({
  /** The form's own id (a double submit finds the campaign it created); a malformed one is ignored. */
  id: Type.Optional(IdText()),
  kind: OptionalText(LINE),
  name: OptionalText(LINE),
  sender: OptionalText(LINE),
  body: OptionalText(PARAGRAPH),
  track_links: Checkbox(),
  placeholder: OptionalText(LINE),
  /** Only a launched campaign's edit form sends it (see updateLaunched). */
  unsubscribe_page_text: OptionalText(PARAGRAPH),
});
type MessageForm = Static<typeof MessageForm>;

/** Step 2: the radio and its two selects (the ids are loaded as the service chooses). */
const RecipientsForm = Form({ source: OptionalText(LINE), segment_id: Type.Optional(IdText()), list_id: Type.Optional(IdText()) });
const ScheduleForm = Form({ when: OptionalText(LINE), at: OptionalText(LINE) });
/** The schedule as typed so far, for the forecast (what it may be is the service's rule). */
const ForecastQuery = Type.Object({ when: OptionalText(LINE), at: OptionalText(LINE) });

const LOCKED_AFTER_LAUNCH = 'This campaign can no longer be edited (it launched or sent its first message): only its name and its unsubscribe landing page text can change, and nothing was saved. Copy it to send a different message.';

/** Fields step 1 marks; a problem elsewhere (a hidden field, the checkbox) is said in the alert. */
const MESSAGE_FIELDS = ['name', 'sender', 'body'];

/** A problem on a field the page does not mark is shown on the one that stands for its form. */
function onShownFields(fields: Record<string, string>, shown: string[], target: string): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([name, message]) => [shown.includes(name) ? name : target, message]));
}

type Values = Record<string, string | undefined>;

/** The editor's unsaved text, link tracking (an unticked box is absent) and kind, for the counter. */
function draftOf(values: Values): { body: string; trackLinks: boolean; kind: CampaignKind } {
  return { body: values.body ?? '', trackLinks: values.track_links === 'on', kind: values.kind === 'automation' ? 'automation' : 'batch' };
}

/** A scheduled campaign's time as the schedule input shows it ("YYYY-MM-DDTHH:MM" in the account's zone). */
function scheduleInput(campaign: Campaign, timeZone: string): string | undefined {
  if (campaign.status !== 'scheduled' || !campaign.scheduledAt) return undefined;
  return DateTime.fromJSDate(campaign.scheduledAt, { zone: timeZone }).toFormat("yyyy-LL-dd'T'HH:mm");
}

/** The campaign named in the URL (its id already has the right shape). */
function loadCampaign(request: FastifyRequest, id: string): Promise<Campaign> {
  return findOr404(request.em, Campaign, id, 'campaign', { populate: ['segment', 'list', 'account'] });
}

export async function campaignsRoutes(app: TypedApp) {
  const publicUrl = app.config.publicUrl;
  const helpers = campaignViewHelpers;

  // --- The list -----------------------------------------------------------------------------
  app.get('/', { schema: { querystring: ListQuery } }, async (request, reply) => {
    const filters: CampaignFilters = { q: request.query.q?.slice(0, 100), type: request.query.type, status: request.query.status };
    const campaigns = await campaignList(request.em, filters);
    // An empty tab says where launched campaigns went.
    const launched = campaigns.length ? 0 : await launchedCount(request.em);
    const data = { campaigns, filters, launched, timeZone: request.account!.timeZone, ...helpers, notice: request.query.notice ?? null };
    if (request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'section#campaign-results') {
      return reply.type('text/html; charset=utf-8').send(await reply.viewAsync('campaigns/_results', { ...data, user: request.user, csrfToken: reply.csrfToken() }));
    }
    return reply.page('campaigns/index', data, { title: 'Create', tab: 'create' });
  });

  // --- Step 1: message settings ------------------------------------------------------------
  /** The message form; without `status`, a 422 set by formErrors() is kept. `problem`: what is
   * wrong where the form marks no field. */
  const messagePage = async (request: FastifyRequest, reply: FastifyReply, values: Values, errors: Record<string, string>, campaign: Campaign | null, problem: string | null = null) => {
    const counted = await checkCampaignText(request.em, campaign, publicUrl, draftOf(values));
    // The counter says what is wrong with the text: the reason it was refused when it was (a NUL
    // character or a repeated field leaves nothing for the count to find).
    const text = errors.body ? { ...counted, error: errors.body } : counted;
    const customFields = [...(await customFieldsOf(request.em)).values()];
    // Offered as senders: only an inbound number can be answered (replies, STOP).
    const inboundNumbers = await request.em.find(InboundNumber, {}, { orderBy: { number: 'asc' }, fields: ['number', 'country'] });
    return reply.page(
      'campaigns/message',
      { values, errors, problem, campaign, text, lookalikeSwaps, inboundNumbers, placeholders: [...BUILT_IN_PLACEHOLDERS, ...customFields.map((f) => f.key)], formId: (isUuid(values.id) ? values.id : null) ?? campaign?.id ?? crypto.randomUUID() },
      { title: campaign ? `Edit ${campaign.name}` : 'New SMS campaign', tab: 'create' },
    );
  };
  /** The edit form of a campaign no longer editable: its name and unsubscribe landing page text. */
  const launchedPage = (reply: FastifyReply, campaign: Campaign, values: Values, errors: Record<string, string>) =>
    reply.page('campaigns/edit-launched', { campaign, values, errors, maxText: UNSUBSCRIBE_PAGE_TEXT_MAX }, { title: `Edit ${campaign.name}`, tab: campaignTab(campaign) });
  const problemOf = (fields: Record<string, string>, message: string) => (Object.keys(fields).some((name) => !MESSAGE_FIELDS.includes(name)) ? message : null);

  app.get('/new', { schema: { querystring: Type.Object({ kind: Type.Optional(Type.Enum(['batch', 'automation'], { type: 'string' })) }) } }, async (request, reply) =>
    messagePage(request, reply, { kind: request.query.kind ?? 'batch', track_links: 'on' }, {}, null),
  );

  app.post(
    '/',
    {
      schema: { body: MessageForm },
      errorHandler: formErrors((request, reply, { fields, values, message }) => messagePage(request, reply, values, fields, null, problemOf(fields, message))),
    },
    async (request, reply) => {
      const { id: formId, name, sender, body, track_links, kind } = request.body;
      const formToken = isUuid(formId) ? formId : undefined;
      // A double-submitted form carries the same token: the second submit finds its campaign. The
      // campaign's id is the server's own, so a token naming another account's campaign is
      // simply a token never seen.
      const submitted = formToken ? await request.em.findOne(Campaign, { formToken }) : null;
      if (submitted) return reply.redirect(`/create/${submitted.id}/recipients`, 303);
      // An unticked box is absent: off, as the counter counts it (the API's default is on).
      const campaign = await createCampaign(request.em, request.account!, { name, sender, body, track_links: track_links ?? 'off', kind }, { actor: request.actor, publicUrl, formToken });
      return reply.redirect(campaign.kind === 'automation' ? `/create/${campaign.id}` : `/create/${campaign.id}/recipients`, 303);
    },
  );

  app.get('/:id/edit', { schema: { params: IdParams } }, async (request, reply) => {
    const campaign = await loadCampaign(request, request.params.id);
    if (!isEditable(campaign)) return launchedPage(reply, campaign, { name: campaign.name, unsubscribe_page_text: campaign.unsubscribePageText ?? '' }, {});
    return messagePage(request, reply, { name: campaign.name, sender: campaign.sender, body: campaign.body, track_links: campaign.trackLinks ? 'on' : '', kind: campaign.kind }, {}, campaign);
  });

  app.post(
    '/:id/edit',
    {
      schema: { params: IdParams, body: MessageForm },
      errorHandler: formErrors<IdParams>(async (request, reply, { fields, values, message }) => {
        const campaign = await loadCampaign(request, request.params.id);
        if (!isEditable(campaign)) return launchedPage(reply, campaign, values, fields);
        return messagePage(request, reply, { ...values, kind: campaign.kind }, fields, campaign, problemOf(fields, message));
      }),
    },
    async (request, reply) => {
      const campaign = await loadCampaign(request, request.params.id);
      if (!isEditable(campaign)) {
        // A message form opened before the first message left still carries the text: saying
        // nothing changed is better than saving the name alone and dropping the rest unsaid.
        if (request.body.sender !== undefined || request.body.body !== undefined) throw new ConflictError(LOCKED_AFTER_LAUNCH);
        await updateLaunched(request.em, campaign, request.body);
        return reply.redirect(`/create/${campaign.id}`, 303);
      }
      const { name, sender, body, track_links } = request.body;
      await updateMessage(request.em, campaign, { name, sender, body, track_links: track_links ?? 'off' }, publicUrl);
      return reply.redirect(campaign.kind === 'automation' ? `/create/${campaign.id}` : `/create/${campaign.id}/recipients`, 303);
    },
  );

  // The live counter and the editor's helpers: they change nothing, so viewers may use them.
  // A malformed request (a repeated field, an over-long text) is the htmx error fragment (400).
  const VIEWER = { role: 'viewer' as const };
  /** The editor's text counted: for its campaign (hidden `id`) when it exists, whose recipients set the count. */
  const editorText = async (request: FastifyRequest, form: MessageForm, body: string) => {
    // The edit form carries the campaign's id; a new campaign's form, the token it was created with.
    const campaign = isUuid(form.id) ? await request.em.findOne(Campaign, { $or: [{ id: form.id }, { formToken: form.id }] }, { populate: ['segment', 'list', 'account'] }) : null;
    return checkCampaignText(request.em, campaign, publicUrl, draftOf({ ...form, body }));
  };

  /** The counter of the editor's text; `oob` when it rides along with the message field. */
  const counter = async (request: FastifyRequest, reply: FastifyReply, form: MessageForm, body: string, notice: string | null, oob: boolean) =>
    reply.viewAsync('campaigns/_counter', { text: await editorText(request, form, body), notice, oob, lookalikeSwaps });

  app.post('/counter', { config: VIEWER, schema: { body: MessageForm } }, async (request, reply) =>
    reply.type('text/html; charset=utf-8').send(await counter(request, reply, request.body, request.body.body ?? '', null, false)),
  );

  app.post('/lookalikes', { config: VIEWER, schema: { body: MessageForm } }, async (request, reply) => {
    const { text, replaced } = replaceLookalikes(request.body.body ?? '');
    const html = await reply.viewAsync('campaigns/_body-field', { body: text, errors: {}, oob: false });
    return reply.type('text/html; charset=utf-8').send(html + (await counter(request, reply, request.body, text, `${replaced} character${replaced === 1 ? '' : 's'} replaced by GSM equivalents.`, true)));
  });

  app.post('/insert', { config: VIEWER, schema: { body: MessageForm } }, async (request, reply) => {
    const known = await knownPlaceholders(request.em);
    const name = request.body.placeholder ?? '';
    const body = request.body.body ?? '';
    const next = known.has(name) ? `${body}${body && !/\s$/.test(body) ? ' ' : ''}{{${name}}}` : body;
    const html = await reply.viewAsync('campaigns/_body-field', { body: next, errors: {}, oob: false });
    return reply.type('text/html; charset=utf-8').send(html + (await counter(request, reply, request.body, next, null, true)));
  });

  // --- Step 2: recipients and scheduling ------------------------------------------------------
  /** Step 2's page; without `status`, a 422 set by formErrors() is kept. */
  const recipientsPage = async (request: FastifyRequest, reply: FastifyReply, campaign: Campaign, errors: Record<string, string> = {}, values: Values = {}, status?: number) => {
    const [segments, lists, ready] = await Promise.all([
      request.em.find(Segment, {}, { orderBy: { name: 'asc' } }),
      request.em.find(ContactList, {}, { orderBy: { name: 'asc' } }),
      sendability(request.em, campaign, publicUrl).catch((error) => {
        if (error instanceof ValidationError) return null;
        throw error;
      }),
    ]);
    const account = request.account!;
    const schedule = { when: values.when, at: values.at ?? scheduleInput(campaign, account.timeZone) };
    const forecast = ready?.reach ? forecastForSchedule(account, schedule, ready.reach.summary.byZone, ready.gateway) : null;
    return reply.page(
      'campaigns/recipients',
      { campaign, segments, lists, reach: ready?.reach ?? null, notices: ready ? sendingNotices(ready) : [], errors, values, scheduleAt: schedule.at ?? '', forecast, timeZone: account.timeZone, ...helpers, ...forecastViewHelpers },
      { title: `${campaign.name}: recipients and scheduling`, tab: 'create', status },
    );
  };

  app.get('/:id/recipients', { schema: { params: IdParams } }, async (request, reply) => {
    const campaign = await loadCampaign(request, request.params.id);
    if (!isEditable(campaign)) return reply.redirect(`/create/${campaign.id}`, 303);
    return recipientsPage(request, reply, campaign);
  });

  // The forecast follows the schedule as it is typed (htmx swaps #forecast); as a full page, it is
  // step 2 with that schedule filled in.
  app.get('/:id/forecast', { schema: { params: IdParams, querystring: ForecastQuery } }, async (request, reply) => {
    const campaign = await loadCampaign(request, request.params.id);
    if (request.headers['hx-request'] !== 'true') {
      if (!isEditable(campaign)) return reply.redirect(`/create/${campaign.id}`, 303);
      return recipientsPage(request, reply, campaign, {}, request.query);
    }
    const [byZone, gateway] = await Promise.all([receivingByZone(request.em, campaign), gatewayFor(request.em, campaign.gateway?.id)]);
    const forecast = byZone ? forecastForSchedule(request.account!, request.query, byZone, gateway) : null;
    return reply.type('text/html; charset=utf-8').send(await reply.viewAsync('campaigns/_forecast', { forecast, timeZone: request.account!.timeZone, ...forecastViewHelpers }));
  });

  /** The form's radio + two selects, as the service expects them. */
  const recipientsInput = (body: Static<typeof RecipientsForm>) =>
    body.source === 'segment' ? { segment_id: body.segment_id } : body.source === 'list' ? { list_id: body.list_id } : body.source === 'automation' ? { automation: true } : {};

  app.post(
    '/:id/recipients',
    {
      schema: { params: IdParams, body: RecipientsForm },
      errorHandler: formErrors<IdParams>(async (request, reply, { fields, values }) =>
        recipientsPage(request, reply, await loadCampaign(request, request.params.id), onShownFields(fields, ['recipients'], 'recipients'), values),
      ),
    },
    async (request, reply) => {
      const campaign = await loadCampaign(request, request.params.id);
      await setRecipients(request.em, campaign, recipientsInput(request.body));
      if (campaign.kind === 'automation') return reply.redirect(`/create/${campaign.id}`, 303);
      return reply.redirect(`/create/${campaign.id}/recipients`, 303);
    },
  );

  app.post(
    '/:id/schedule',
    {
      schema: { params: IdParams, body: ScheduleForm },
      errorHandler: formErrors<IdParams>(async (request, reply, { fields, values }) =>
        recipientsPage(request, reply, await loadCampaign(request, request.params.id), onShownFields(fields, ['at', 'recipients', 'body'], 'at'), values),
      ),
    },
    async (request, reply) => {
      const campaign = await loadCampaign(request, request.params.id);
      try {
        const at = parseSchedule(request.body.when === 'now' ? 'now' : request.body.at, request.account!.timeZone);
        await scheduleCampaign(request.em, campaign, at, publicUrl);
      } catch (error) {
        // A campaign that cannot be scheduled any more (launched meanwhile, or an automation
        // campaign): the page again, the reason on the schedule.
        if (error instanceof AppError && error.statusCode === 409) return recipientsPage(request, reply, campaign, { at: error.message }, request.body, 409);
        throw error;
      }
      await notifyScheduleChange(campaign, app.scheduler);
      return reply.redirect(`/create/${campaign.id}`, 303);
    },
  );

  app.post('/:id/unschedule', { schema: { params: IdParams, body: EmptyForm() } }, async (request, reply) => {
    const campaign = await loadCampaign(request, request.params.id);
    await unscheduleCampaign(request.em, campaign);
    await notifyScheduleChange(campaign, app.scheduler);
    return reply.redirect(`/create/${campaign.id}`, 303);
  });

  app.get('/:id/preview', { schema: { params: IdParams, querystring: Type.Object({ phone: OptionalText(LINE) }) } }, async (request, reply) => {
    const campaign = await loadCampaign(request, request.params.id);
    const choice = recipientChoice(campaign);
    const typed = request.query.phone ?? '';
    let contact: Record<string, unknown> | null = null;
    let problem: string | null = null;
    if (!choice) problem = campaign.kind === 'automation' ? 'An automation campaign is previewed with the contact of each program run.' : 'Choose the recipients first.';
    else {
      const phone = typed ? normalisePhone(typed, request.account!.defaultCountry ?? null) : null;
      if (!phone || phone.ok) {
        contact = await withClient(request.em, async (client) => previewContactOn(client, await recipientFilterOn(client, request.account!.id, choice), phone?.e164 ?? null));
      }
      if (!contact) problem = typed ? `No recipient of this campaign has the number ${typed}.` : 'No recipient of this source can receive the campaign.';
    }
    // Rendered as it will be sent: tracked links and the unsubscribe link at their real length.
    const rendered = contact ? renderMessage(prepareTemplate(campaign.body, campaign.trackLinks, publicUrl), contact as unknown as Recipient, PREVIEW_TOKEN) : null;
    const data = { campaign, contact, rendered, problem, phone: typed, trackLinks: campaign.trackLinks && findLinks(campaign.body).length > 0, campaignTab };
    if (request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'div#preview') {
      return reply.type('text/html; charset=utf-8').send(await reply.viewAsync('campaigns/_preview', data));
    }
    return reply.page('campaigns/preview', data, { title: `Preview of ${campaign.name}`, tab: campaignTab(campaign) });
  });

  app.post('/:id/copy', { schema: { params: IdParams, body: EmptyForm() } }, async (request, reply) => {
    const campaign = await loadCampaign(request, request.params.id);
    const copy = await copyCampaign(request.em, campaign, request.actor);
    return reply.redirect(`/create/${copy.id}/edit`, 303);
  });

  app.get('/:id/delete', { schema: { params: IdParams } }, async (request, reply) => {
    const campaign = await loadCampaign(request, request.params.id);
    return reply.page('campaigns/delete', { campaign, ...helpers }, { title: `Delete ${campaign.name}`, tab: 'create' });
  });

  app.post('/:id/delete', { schema: { params: IdParams, body: EmptyForm() } }, async (request, reply) => {
    const campaign = await loadCampaign(request, request.params.id);
    await deleteCampaign(request.em, campaign);
    return reply.redirect(`/create?notice=${encodeURIComponent(`"${campaign.name}" was deleted.`)}`, 303);
  });
}
