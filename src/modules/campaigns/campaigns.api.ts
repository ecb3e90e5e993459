// The SMS campaigns API (Bearer key, scoped to the key's account):
//   GET    /api/v1/sms-campaigns            list (optionally ?status=draft|scheduled|...)
//   GET    /api/v1/sms-campaigns/:id        one
//   POST   /api/v1/sms-campaigns            {"name", "sender", "body", "recipients": {"segment_id"|"list_id"|"automation": true}}
//   PATCH  /api/v1/sms-campaigns/:id        the same fields, while the campaign is editable
//   DELETE /api/v1/sms-campaigns/:id        before launch
//   POST   /api/v1/sms-campaigns/:id/schedule  {"at": ISO-8601 | "now"}
// Launching and following a campaign (launch, pause, resume, cancel, test, stats) is the sending
// module's (sending/sending.api.ts), under the same prefix.
// Field errors answer 422 {"error": {"code": "validation", "fields": {...}}}; nothing is saved.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findOr404 } from '../../db/find.js';
import { ValidationError } from '../../errors.js';
import { Campaign, CAMPAIGN_STATUSES } from './campaign.entity.js';
import { campaignJson } from './campaign-json.js';
import { notifyScheduleChange } from './hooks.js';
import {
  createCampaign, updateMessage, resolveRecipients, applyRecipients, assertEditable, deleteCampaign, scheduleCampaign, parseSchedule,
  type MessageInput, type RecipientsInput,
} from './campaigns.service.js';

type CampaignBody = MessageInput & { recipients?: RecipientsInput };

export async function campaignsApiRoutes(app: FastifyInstance) {
  const publicUrl = app.config.publicUrl;

  const serialise = (request: FastifyRequest, campaign: Campaign) => campaignJson(request.em, campaign, publicUrl);
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
    await notifyScheduleChange(campaign, app.scheduler);
    return serialise(request, campaign);
  });

}
