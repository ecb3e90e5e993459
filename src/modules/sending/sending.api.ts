// Launching and following a campaign through the API (Bearer key, scoped to the key's account):
//   POST   /api/v1/sms-campaigns/:id/launch    launch now (202; the launch runs as a job)
//   POST   /api/v1/sms-campaigns/:id/pause | resume | cancel
//   POST   /api/v1/sms-campaigns/:id/test      {"phones": ["+336…", …]} (at most 5)
//   POST   /api/v1/sms-campaigns/:id/resend-insufficient-credit
//          an automation campaign's messages skipped for insufficient credit, queued again (202;
//          409 when there is none or the credit does not cover them)
//   GET    /api/v1/sms-campaigns/:id/stats     progress and delivery figures
// A body of the wrong shape answers 400 (`phones` not a list of strings, or over 100 of them);
// the rules of a test (one to five numbers, each a phone number) answer 422, in the words of the
// campaign page's test form.
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { findOr404 } from '../../db/find.js';
import type { TypedApp } from '../../plugins/validation.js';
import { LINE, Text, UuidParams } from '../../plugins/schemas.js';
import { Campaign, campaignJson } from '../campaigns/index.js';
import { launchNow, pauseCampaign, resumeCampaign, cancelCampaign, sendTest, resendCreditSkipped } from './campaign-sending.js';
import { campaignStats, campaignSpend } from './campaign-sending.queries.js';

const SEND_OBJECT = 'Send a JSON object.';
const IdParams = UuidParams('campaign');
/** The controls read nothing from the body: none, or an empty object. */
const NoBody = Type.Object({}, { errorMessage: { type: SEND_OBJECT } });
const PHONES = '"phones" must be an array of strings.';
/** A bound against abuse; how many numbers a test may have (five) is the service's rule. */
const MAX_PHONES_PER_CALL = 100;
const TestBody = Type.Object(
  {
    phones: Type.Optional(
      Type.Array(Text(LINE, { errorMessage: { type: PHONES } }), { maxItems: MAX_PHONES_PER_CALL, errorMessage: { type: PHONES } }),
    ),
  },
  { errorMessage: { type: SEND_OBJECT } },
);

export async function sendingApiRoutes(app: TypedApp) {
  const publicUrl = app.config.publicUrl;
  const agenda = () => app.scheduler?.agenda ?? null;
  const serialise = (request: FastifyRequest, campaign: Campaign) => campaignJson(request.em, campaign, publicUrl);
  const load = (request: FastifyRequest, id: string) => findOr404(request.em, Campaign, id, 'campaign', { populate: ['segment', 'list', 'account'] });
  const control = () => ({ schema: { params: IdParams, body: NoBody } });

  app.post('/sms-campaigns/:id/launch', control(), async (request, reply) => {
    const campaign = await load(request, request.params.id);
    await launchNow(request.em, campaign, publicUrl, agenda());
    return reply.code(202).send(await serialise(request, campaign));
  });
  app.post('/sms-campaigns/:id/pause', control(), async (request) => {
    const campaign = await load(request, request.params.id);
    await pauseCampaign(request.em, campaign);
    return serialise(request, campaign);
  });
  app.post('/sms-campaigns/:id/resume', control(), async (request) => {
    const campaign = await load(request, request.params.id);
    await resumeCampaign(request.em, campaign, agenda());
    return serialise(request, campaign);
  });
  app.post('/sms-campaigns/:id/cancel', control(), async (request) => {
    const campaign = await load(request, request.params.id);
    await cancelCampaign(request.em, campaign, agenda());
    return serialise(request, campaign);
  });
  app.post('/sms-campaigns/:id/test', { schema: { params: IdParams, body: TestBody } }, async (request, reply) => {
    const campaign = await load(request, request.params.id);
    const queued = await sendTest(request.em, campaign, request.body.phones, publicUrl, agenda());
    return reply.code(202).send({ queued });
  });
  app.post('/sms-campaigns/:id/resend-insufficient-credit', control(), async (request, reply) => {
    const campaign = await load(request, request.params.id);
    const requeued = await resendCreditSkipped(request.em, campaign, publicUrl, agenda());
    return reply.code(202).send({ requeued });
  });
  app.get('/sms-campaigns/:id/stats', { schema: { params: IdParams } }, async (request) => {
    const campaign = await load(request, request.params.id);
    const stats = await campaignStats(request.em, campaign);
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
