// The SMS campaigns API (Bearer key, scoped to the key's account):
//   GET    /api/v1/sms-campaigns            list (optionally ?status=draft|scheduled|...)
//   GET    /api/v1/sms-campaigns/:id        one
//   POST   /api/v1/sms-campaigns            {"name", "sender", "body", "track_links", "recipients": {"segment_id"|"list_id"|"automation": true}}
//                                           (sender: a name, or one of the account's inbound numbers, answered as "inbound_number")
//   PATCH  /api/v1/sms-campaigns/:id        the same fields, while the campaign is editable
//   DELETE /api/v1/sms-campaigns/:id        before launch
//   POST   /api/v1/sms-campaigns/:id/schedule  {"at": ISO-8601 | "now"}
// Launching and following a campaign (launch, pause, resume, cancel, test, stats) is the sending
// module's (sending/sending.api.ts), under the same prefix.
// A body of the wrong shape (a list or an object where text belongs, an over-long value) answers
// 400 {"error": {"code": "bad_request", "fields": {...}}} before anything runs; the rules of a
// campaign answer 422 {"error": {"code": "validation", "fields": {...}}}. Either way nothing is saved.
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { findOr404 } from '../../db/find.js';
import type { TypedApp } from '../../plugins/validation.js';
import { LINE, OptionalText, PARAGRAPH, UuidParams } from '../../plugins/schemas.js';
import { Campaign, CAMPAIGN_STATUSES } from './campaign.entity.js';
import { campaignJson } from './campaign-json.js';
import { notifyScheduleChange } from './hooks.js';
import { createCampaign, updateMessage, resolveRecipients, applyRecipients, assertEditable, deleteCampaign, scheduleCampaign, parseSchedule, type MessageInput } from './campaigns.service.js';

// --- Schemas (shape only: presence, lengths a person meets and which source exists are the service's) ---
const SEND_OBJECT = 'Send a JSON object.';
const IdParams = UuidParams('campaign');

const ListQuery = Type.Object({
  status: Type.Optional(
    Type.Enum(['', ...CAMPAIGN_STATUSES], { type: 'string', errorMessage: { enum: `Unknown status: use one of ${CAMPAIGN_STATUSES.join(', ')}.` } }),
  ),
});

/** An id is loaded by the service (a malformed one is "There is no such ...", 422); only bounded here. */
const ID_LENGTH = 64;
/** An id or null (GET answers null for the source not chosen, so its recipients can be sent back). */
const IdOrNull = Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: ID_LENGTH });
const Recipients = Type.Object({
  segment_id: Type.Optional(IdOrNull),
  list_id: Type.Optional(IdOrNull),
  automation: Type.Optional(Type.Unsafe<boolean | null>({ type: ['boolean', 'null'] })),
});
const CampaignFields = {
  name: OptionalText(LINE),
  sender: OptionalText(LINE),
  body: OptionalText(PARAGRAPH),
  track_links: Type.Optional(Type.Boolean()),
  recipients: Type.Optional(Recipients),
};
const NewCampaignBody = Type.Object({ ...CampaignFields, kind: Type.Optional(Type.Enum(['batch', 'automation'], { type: 'string' })) }, { errorMessage: { type: SEND_OBJECT } });
const CampaignPatch = Type.Object(CampaignFields, { errorMessage: { type: SEND_OBJECT } });
const ScheduleBody = Type.Object({ at: OptionalText(LINE) }, { errorMessage: { type: SEND_OBJECT } });

export async function campaignsApiRoutes(app: TypedApp) {
  const publicUrl = app.config.publicUrl;

  const serialise = (request: FastifyRequest, campaign: Campaign) => campaignJson(request.em, campaign, publicUrl);
  const load = (request: FastifyRequest, id: string) => findOr404(request.em, Campaign, id, 'campaign', { populate: ['segment', 'list', 'account'] });

  app.get('/sms-campaigns', { schema: { querystring: ListQuery } }, async (request) => {
    const status = request.query.status || undefined;
    const campaigns = await request.em.find(Campaign, status ? { status } : {}, { populate: ['segment', 'list', 'inboundNumber'], orderBy: { createdAt: 'desc' }, limit: 1000 });
    return { campaigns: await Promise.all(campaigns.map((c) => serialise(request, c))) };
  });

  app.get('/sms-campaigns/:id', { schema: { params: IdParams } }, async (request) => serialise(request, await load(request, request.params.id)));

  app.post('/sms-campaigns', { schema: { body: NewCampaignBody } }, async (request, reply) => {
    const { recipients, ...message } = request.body;
    const campaign = await createCampaign(request.em, request.account!, message, { actor: request.actor, publicUrl, recipients });
    return reply.code(201).send(await serialise(request, campaign));
  });

  app.patch('/sms-campaigns/:id', { schema: { params: IdParams, body: CampaignPatch } }, async (request) => {
    const body = request.body;
    const campaign = await load(request, request.params.id);
    assertEditable(campaign);
    // Everything is checked before anything changes: recipients first, then the message.
    const chosen = body.recipients !== undefined ? await resolveRecipients(request.em, body.recipients) : null;
    const message: MessageInput = {};
    for (const key of ['name', 'sender', 'body', 'track_links'] as const) if (body[key] !== undefined) message[key] = body[key];
    if (chosen) applyRecipients(campaign, chosen);
    await updateMessage(request.em, campaign, message, publicUrl);
    return serialise(request, campaign);
  });

  app.delete('/sms-campaigns/:id', { schema: { params: IdParams } }, async (request, reply) => {
    await deleteCampaign(request.em, await load(request, request.params.id));
    return reply.code(204).send();
  });

  app.post('/sms-campaigns/:id/schedule', { schema: { params: IdParams, body: ScheduleBody } }, async (request) => {
    const campaign = await load(request, request.params.id);
    const at = parseSchedule(request.body.at, request.account!.timeZone);
    await scheduleCampaign(request.em, campaign, at, publicUrl);
    await notifyScheduleChange(campaign, app.scheduler);
    return serialise(request, campaign);
  });
}
