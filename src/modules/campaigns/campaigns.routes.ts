// The Create tab: campaigns not launched yet, and the two-step wizard (1. message settings,
// 2. recipients and scheduling), with a live part counter, preview, copy and delete.
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ValidationError } from '../../errors.js';
import { findOr404, isUuid } from '../../db/find.js';
import { withClient } from '../../db/raw-client.js';
import { Segment } from '../contacts/index.js';
import { ContactList } from '../contacts/index.js';
import { customFieldsOf } from '../contacts/index.js';
import { normalisePhone } from '../../phone.js';
import { Campaign, type CampaignKind } from './campaign.entity.js';
import { isEditable } from './campaign-status.js';
import { campaignList, type CampaignFilters } from './campaign.queries.js';
import {
  knownPlaceholders, createCampaign, updateMessage, setRecipients, scheduleCampaign, unscheduleCampaign,
  copyCampaign, deleteCampaign, checkCampaignText, parseSchedule, formatSchedule, recipientChoice, BUILT_IN_PLACEHOLDERS, type MessageInput,
} from './campaigns.service.js';
import { recipientFilterOn, previewContactOn } from './recipients.queries.js';
import { replaceLookalikes, renderTemplate } from './sms-text.js';
import { notifyScheduleChange } from './hooks.js';
import { campaignViewHelpers, sendingNotices } from './campaign-labels.js';
import { sendability } from './sendability.js';

type Form = Record<string, string | undefined>;
type WithId = FastifyRequest<{ Params: { id: string }; Body: Form; Querystring: Form }>;

async function loadCampaign(request: WithId): Promise<Campaign> {
  return findOr404(request.em, Campaign, request.params.id, 'campaign', { populate: ['segment', 'list', 'account'] });
}

/** The editor's unsaved text, link tracking (an unticked box is absent) and kind, for the counter. */
function draftOf(values: Form): { body: string; trackLinks: boolean; kind: CampaignKind } {
  return { body: values.body ?? '', trackLinks: values.track_links === 'on', kind: values.kind === 'automation' ? 'automation' : 'batch' };
}

export async function campaignsRoutes(app: FastifyInstance) {
  const publicUrl = app.config.publicUrl;
  const helpers = campaignViewHelpers;

  // --- The list -----------------------------------------------------------------------------
  app.get('/', async (request: FastifyRequest<{ Querystring: Form }>, reply) => {
    const filters: CampaignFilters = { q: request.query.q?.slice(0, 100), type: request.query.type, status: request.query.status };
    const campaigns = await campaignList(request.em, filters);
    const data = { campaigns, filters, timeZone: request.account!.timeZone, formatSchedule, ...helpers, notice: request.query.notice ?? null };
    if (request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'section#campaign-results') {
      return reply.type('text/html; charset=utf-8').send(await reply.viewAsync('campaigns/_results', { ...data, user: request.user, csrfToken: reply.csrfToken() }));
    }
    return reply.page('campaigns/index', data, { title: 'Create', tab: 'create' });
  });

  // --- Step 1: message settings ------------------------------------------------------------
  const messagePage = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors: Record<string, string>, campaign: Campaign | null, status = 200) => {
    const text = await checkCampaignText(request.em, campaign, publicUrl, draftOf(values));
    const customFields = [...(await customFieldsOf(request.em)).values()];
    return reply.page(
      'campaigns/message',
      { values, errors, campaign, text, placeholders: [...BUILT_IN_PLACEHOLDERS, ...customFields.map((f) => f.key)], formId: values.id ?? campaign?.id ?? crypto.randomUUID() },
      { title: campaign ? `Edit ${campaign.name}` : 'New SMS campaign', tab: 'create', status },
    );
  };

  app.get('/new', async (request: FastifyRequest<{ Querystring: Form }>, reply) => messagePage(request, reply, { kind: request.query.kind === 'automation' ? 'automation' : 'batch', track_links: 'on' }, {}, null));

  app.post('/', async (request: FastifyRequest<{ Body: Form }>, reply) => {
    const id = isUuid(request.body.id ?? '') ? request.body.id! : undefined;
    // A double-submitted form carries the same id: the second submit finds the campaign.
    if (id && (await request.em.findOne(Campaign, { id }))) return reply.redirect(`/create/${id}/recipients`, 303);
    try {
      const campaign = await createCampaign(request.em, request.account!, request.body as MessageInput, { actor: request.actor, publicUrl, id });
      return reply.redirect(campaign.kind === 'automation' ? `/create/${campaign.id}` : `/create/${campaign.id}/recipients`, 303);
    } catch (error) {
      if (error instanceof ValidationError) return messagePage(request, reply, request.body, error.fields, null, 422);
      throw error;
    }
  });

  app.get('/:id/edit', async (request: WithId, reply) => {
    const campaign = await loadCampaign(request);
    if (!isEditable(campaign)) return reply.redirect(`/create/${campaign.id}`, 303);
    return messagePage(request, reply, { name: campaign.name, sender: campaign.sender, body: campaign.body, track_links: campaign.trackLinks ? 'on' : '', kind: campaign.kind }, {}, campaign);
  });

  app.post('/:id/edit', async (request: WithId, reply) => {
    const campaign = await loadCampaign(request);
    try {
      await updateMessage(request.em, campaign, { ...request.body, track_links: request.body.track_links ?? 'off' } as MessageInput, publicUrl);
    } catch (error) {
      if (error instanceof ValidationError) return messagePage(request, reply, { ...request.body, kind: campaign.kind }, error.fields, campaign, 422);
      throw error;
    }
    return reply.redirect(campaign.kind === 'automation' ? `/create/${campaign.id}` : `/create/${campaign.id}/recipients`, 303);
  });

  // The live counter and the editor's helpers: they change nothing, so viewers may use them.
  const VIEWER = { config: { role: 'viewer' as const } };
  /** The campaign of the editor (hidden `id`), when it exists: its recipients set the count. */
  const editorCampaign = (request: FastifyRequest<{ Body: Form }>) =>
    isUuid(request.body.id ?? '') ? request.em.findOne(Campaign, { id: request.body.id }, { populate: ['segment', 'list', 'account'] }) : Promise.resolve(null);
  const editorText = async (request: FastifyRequest<{ Body: Form }>, body: string) =>
    checkCampaignText(request.em, await editorCampaign(request), publicUrl, draftOf({ ...request.body, body }));

  const bodyField = async (request: FastifyRequest<{ Body: Form }>, reply: FastifyReply, body: string) =>
    reply.type('text/html; charset=utf-8').send(await reply.viewAsync('campaigns/_counter', { text: await editorText(request, body), body, notice: null }));

  app.post('/counter', VIEWER, async (request: FastifyRequest<{ Body: Form }>, reply) => bodyField(request, reply, String(request.body.body ?? '')));

  app.post('/lookalikes', VIEWER, async (request: FastifyRequest<{ Body: Form }>, reply) => {
    const { text, replaced } = replaceLookalikes(String(request.body.body ?? ''));
    const html = await reply.viewAsync('campaigns/_body-field', { body: text, errors: {}, oob: false });
    const counter = await reply.viewAsync('campaigns/_counter', { text: await editorText(request, text), body: text, notice: `${replaced} character${replaced === 1 ? '' : 's'} replaced by GSM equivalents.`, oob: true });
    return reply.type('text/html; charset=utf-8').send(html + counter);
  });

  app.post('/insert', VIEWER, async (request: FastifyRequest<{ Body: Form }>, reply) => {
    const known = await knownPlaceholders(request.em);
    const name = String(request.body.placeholder ?? '');
    const body = String(request.body.body ?? '');
    const next = known.has(name) ? `${body}${body && !/\s$/.test(body) ? ' ' : ''}{{${name}}}` : body;
    const html = await reply.viewAsync('campaigns/_body-field', { body: next, errors: {}, oob: false });
    const counter = await reply.viewAsync('campaigns/_counter', { text: await editorText(request, next), body: next, notice: null, oob: true });
    return reply.type('text/html; charset=utf-8').send(html + counter);
  });

  // --- Step 2: recipients and scheduling ------------------------------------------------------
  const recipientsPage = async (request: WithId, reply: FastifyReply, campaign: Campaign, errors: Record<string, string> = {}, values: Form = {}, status = 200) => {
    const [segments, lists, ready] = await Promise.all([
      request.em.find(Segment, {}, { orderBy: { name: 'asc' } }),
      request.em.find(ContactList, {}, { orderBy: { name: 'asc' } }),
      sendability(request.em, campaign, publicUrl).catch((error) => {
        if (error instanceof ValidationError) return null;
        throw error;
      }),
    ]);
    return reply.page('campaigns/recipients', { campaign, segments, lists, reach: ready?.reach ?? null, notices: ready ? sendingNotices(ready) : [], errors, values, timeZone: request.account!.timeZone, formatSchedule, ...helpers }, { title: `${campaign.name}: recipients and scheduling`, tab: 'create', status });
  };

  app.get('/:id/recipients', async (request: WithId, reply) => {
    const campaign = await loadCampaign(request);
    if (!isEditable(campaign)) return reply.redirect(`/create/${campaign.id}`, 303);
    return recipientsPage(request, reply, campaign);
  });

  /** The form's radio + two selects, as the service expects them. */
  const recipientsInput = (body: Form) =>
    body.source === 'segment' ? { segment_id: body.segment_id } : body.source === 'list' ? { list_id: body.list_id } : body.source === 'automation' ? { automation: true } : {};

  app.post('/:id/recipients', async (request: WithId, reply) => {
    const campaign = await loadCampaign(request);
    try {
      await setRecipients(request.em, campaign, recipientsInput(request.body));
    } catch (error) {
      if (error instanceof ValidationError) return recipientsPage(request, reply, campaign, error.fields, request.body, 422);
      throw error;
    }
    if (campaign.kind === 'automation') return reply.redirect(`/create/${campaign.id}`, 303);
    return reply.redirect(`/create/${campaign.id}/recipients`, 303);
  });

  app.post('/:id/schedule', async (request: WithId, reply) => {
    const campaign = await loadCampaign(request);
    try {
      const at = parseSchedule(request.body.when === 'now' ? 'now' : request.body.at, request.account!.timeZone);
      await scheduleCampaign(request.em, campaign, at, publicUrl);
      await notifyScheduleChange(campaign, app.scheduler);
    } catch (error) {
      if (error instanceof ValidationError) return recipientsPage(request, reply, campaign, error.fields, request.body, 422);
      if (error instanceof AppError && error.statusCode === 409) return recipientsPage(request, reply, campaign, { at: error.message }, request.body, 409);
      throw error;
    }
    return reply.redirect(`/create/${campaign.id}`, 303);
  });

  app.post('/:id/unschedule', async (request: WithId, reply) => {
    const campaign = await loadCampaign(request);
    await unscheduleCampaign(request.em, campaign);
    await notifyScheduleChange(campaign, app.scheduler);
    return reply.redirect(`/create/${campaign.id}`, 303);
  });

  app.get('/:id/preview', async (request: WithId, reply) => {
    const campaign = await loadCampaign(request);
    const choice = recipientChoice(campaign);
    let contact: Record<string, unknown> | null = null;
    let problem: string | null = null;
    if (!choice) problem = campaign.kind === 'automation' ? 'An automation campaign is previewed with the contact of each program run.' : 'Choose the recipients first.';
    else {
      let contactId: number | null = null;
      if (request.query.phone) {
        const phone = normalisePhone(request.query.phone, request.account!.defaultCountry ?? null);
        const found = phone.ok ? await request.em.getConnection().execute<{ id: string }[]>('select id from contact where account_id = ? and phone = ?', [request.account!.id, phone.e164]) : [];
        contactId = found.length ? Number(found[0].id) : -1;
      }
      contact = contactId === -1 ? null : await withClient(request.em, async (client) => previewContactOn(client, await recipientFilterOn(client, request.account!.id, choice), contactId));
      if (!contact) problem = request.query.phone ? `No recipient of this campaign has the number ${request.query.phone}.` : 'No recipient of this source can receive the campaign.';
    }
    const values = contact ? { ...(contact.fields as Record<string, unknown>), first_name: contact.first_name, last_name: contact.last_name, email: contact.email, phone: contact.phone, unsubscribe_link: `${publicUrl}/u/xxxxxxxxxx` } : {};
    const rendered = contact ? renderTemplate(campaign.body, values as Record<string, string>) : null;
    const data = { campaign, contact, rendered, problem, phone: request.query.phone ?? '' };
    if (request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'div#preview') {
      return reply.type('text/html; charset=utf-8').send(await reply.viewAsync('campaigns/_preview', data));
    }
    return reply.page('campaigns/preview', data, { title: `Preview of ${campaign.name}`, tab: 'create' });
  });

  app.post('/:id/copy', async (request: WithId, reply) => {
    const campaign = await loadCampaign(request);
    const copy = await copyCampaign(request.em, campaign, request.actor);
    return reply.redirect(`/create/${copy.id}/edit`, 303);
  });

  app.get('/:id/delete', async (request: WithId, reply) => {
    const campaign = await loadCampaign(request);
    return reply.page('campaigns/delete', { campaign, ...helpers }, { title: `Delete ${campaign.name}`, tab: 'create' });
  });

  app.post('/:id/delete', async (request: WithId, reply) => {
    const campaign = await loadCampaign(request);
    await deleteCampaign(request.em, campaign);
    return reply.redirect(`/create?notice=${encodeURIComponent(`"${campaign.name}" was deleted.`)}`, 303);
  });
}
