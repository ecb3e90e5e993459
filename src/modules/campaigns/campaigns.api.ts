// The SMS campaigns API (Bearer key, scoped to the key's account):
//   GET    /api/v1/sms-campaigns            list (optionally ?status=draft|scheduled|...)
//   GET    /api/v1/sms-campaigns/:id        one
//   POST   /api/v1/sms-campaigns            {"name", "sender", "body", "recipients": {"segment_id"|"list_id"|"automation": true}}
//   PATCH  /api/v1/sms-campaigns/:id        the same fields, while the campaign is editable
//   DELETE /api/v1/sms-campaigns/:id        before launch
//   POST   /api/v1/sms-campaigns/:id/schedule  {"at": ISO-8601 | "now"}
//   POST   /api/v1/sms-campaigns/:id/launch    launch now (202; the launch runs as a job)
//   POST   /api/v1/sms-campaigns/:id/pause | resume | cancel
//   POST   /api/v1/sms-campaigns/:id/test      {"phones": ["+336…", …]} (at most 5)
//   GET    /api/v1/sms-campaigns/:id/stats     progress and delivery figures
// Field errors answer 422 {"error": {"code": "validation", "fields": {...}}}; nothing is saved.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findOr404 } from '../../db/find.js';
import { ValidationError } from '../../errors.js';
import { Campaign, CAMPAIGN_STATUSES } from './campaign.entity.js';
import { typeLabel } from './campaign-status.js';
import {
  createCampaign, updateMessage, resolveRecipients, applyRecipients, assertEditable, deleteCampaign, scheduleCampaign, parseSchedule,
  checkText, knownPlaceholders, type MessageInput, type RecipientsInput,
} from './campaigns.service.js';
import { launchNow, afterSchedule, pauseCampaign, resumeCampaign, cancelCampaign, sendTest, campaignStats, campaignSpend } from '../sending/campaign-sending.js';

type CampaignBody = MessageInput & { recipients?: RecipientsInput };

export async function campaignsApiRoutes(app: FastifyInstance) {
  const publicUrl = app.config.publicUrl;
  const agenda = () => app.scheduler?.agenda ?? null;

  const serialise = async (request: FastifyRequest, campaign: Campaign) => {
    const text = checkText(campaign.body, await knownPlaceholders(request.em), { publicUrl, kind: campaign.kind, trackLinks: campaign.trackLinks });
    return {
      id: campaign.id,
      name: campaign.name,
      type: typeLabel(campaign),
      kind: campaign.kind,
      status: campaign.status,
      sender: campaign.sender,
      body: campaign.body,
      track_links: campaign.trackLinks,
      encoding: text.count.encoding,
      parts: text.count.parts,
      recipients: {
        source: campaign.recipientSource,
        segment_id: campaign.segment?.id ?? null,
        list_id: campaign.list?.id ?? null,
      },
      scheduled_at: campaign.scheduledAt?.toISOString() ?? null,
      launched_at: campaign.launchedAt?.toISOString() ?? null,
      finished_at: campaign.finishedAt?.toISOString() ?? null,
      problem: campaign.problem,
      estimated_recipients: campaign.estimatedRecipients,
      estimated_parts: campaign.estimatedParts,
      copied_from: campaign.copiedFrom?.id ?? null,
      created_at: campaign.createdAt.toISOString(),
      updated_at: campaign.updatedAt.toISOString(),
    };
  };
  const load = (request: FastifyRequest<{ Params: { id: string } }>) => findOr404(request.em, Campaign, request.params.id, 'campaign', { populate: ['segment', 'list', 'account'] });
  const bodyOf = (request: FastifyRequest): CampaignBody => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError({ body: 'Send a JSON object.' }, 'Send a JSON object.');
    return body as CampaignBody;
  };

  app.get('/sms-campaigns', async (request: FastifyRequest<{ Querystring: { status?: string } }>) => {
    const status = request.query.status;
    if (status && !(CAMPAIGN_STATUSES as readonly string[]).includes(status)) throw new ValidationError({ status: `Unknown status "${status}".` }, `Unknown status "${status}".`);
    const campaigns = await request.em.find(Campaign, status ? { status: status as Campaign['status'] } : {}, { populate: ['segment', 'list'], orderBy: { createdAt: 'desc' }, limit: 1000 });
    return { campaigns: await Promise.all(campaigns.map((c) => serialise(request, c))) };
  });

  app.get('/sms-campaigns/:id', async (request: FastifyRequest<{ Params: { id: string } }>) => serialise(request, await load(request)));

  app.post('/sms-campaigns', async (request, reply) => {
    const body = bodyOf(request);
    const campaign = await createCampaign(request.em, request.account!, body, { actor: request.actor, publicUrl, recipients: body.recipients ?? undefined });
    return reply.code(201).send(await serialise(request, campaign));
  });

  app.patch('/sms-campaigns/:id', async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const body = bodyOf(request);
    const campaign = await load(request);
    assertEditable(campaign);
    // Everything is checked before anything changes: recipients first, then the message.
    const chosen = body.recipients !== undefined ? await resolveRecipients(request.em, body.recipients) : null;
    const message: MessageInput = {};
    for (const key of ['name', 'sender', 'body', 'track_links'] as const) if (body[key] !== undefined) message[key] = body[key];
    if (chosen) applyRecipients(campaign, chosen);
    await updateMessage(request.em, campaign, message, publicUrl);
    return serialise(request, campaign);
  });

  app.delete('/sms-campaigns/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    await deleteCampaign(request.em, await load(request));
    return reply.code(204).send();
  });

  app.post('/sms-campaigns/:id/schedule', async (request: FastifyRequest<{ Params: { id: string }; Body: { at?: unknown } }>) => {
    const campaign = await load(request);
    const at = parseSchedule(request.body?.at, request.account!.timeZone);
    await scheduleCampaign(request.em, campaign, at, publicUrl);
    await afterSchedule(campaign, agenda());
    return serialise(request, campaign);
  });

  type WithId = FastifyRequest<{ Params: { id: string } }>;
  app.post('/sms-campaigns/:id/launch', async (request: WithId, reply) => {
    const campaign = await load(request);
    await launchNow(request.em, campaign, publicUrl, agenda());
    return reply.code(202).send(await serialise(request, campaign));
  });
  app.post('/sms-campaigns/:id/pause', async (request: WithId) => {
    const campaign = await load(request);
    await pauseCampaign(request.em, campaign);
    return serialise(request, campaign);
  });
  app.post('/sms-campaigns/:id/resume', async (request: WithId) => {
    const campaign = await load(request);
    await resumeCampaign(request.em, campaign, agenda());
    return serialise(request, campaign);
  });
  app.post('/sms-campaigns/:id/cancel', async (request: WithId) => {
    const campaign = await load(request);
    await cancelCampaign(request.em, campaign, agenda());
    return serialise(request, campaign);
  });
  app.post('/sms-campaigns/:id/test', async (request: FastifyRequest<{ Params: { id: string }; Body: { phones?: unknown } }>, reply) => {
    const campaign = await load(request);
    const phones = request.body?.phones;
    const queued = await sendTest(request.em, campaign, Array.isArray(phones) ? phones.join(',') : phones, publicUrl, agenda());
    return reply.code(202).send({ queued });
  });
  app.get('/sms-campaigns/:id/stats', async (request: WithId) => {
    const campaign = await load(request);
    const stats = await campaignStats(request.em, campaign.account.id, campaign.id);
    return {
      id: campaign.id,
      status: campaign.status,
      problem: campaign.problem,
      recipients: stats.recipients,
      queued: stats.queued,
      sending: stats.sending,
      sent: stats.sent,
      delivered: stats.delivered,
      undelivered: stats.undelivered,
      failed: stats.failed,
      unknown: stats.unknown,
      skipped: stats.skipped,
      waiting_for_window: { count: stats.waiting.count, until: stats.waiting.until ? new Date(stats.waiting.until).toISOString() : null },
      retrying: stats.retrying,
      parts: stats.parts,
      cost_micros: stats.costMicros,
      spent_micros: await campaignSpend(request.em, campaign.account.id, campaign.id),
      unsubscribes: stats.unsubscribes,
      clicks: stats.clicks,
      done: stats.done,
    };
  });
}
