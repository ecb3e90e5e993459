// Launching and following a campaign through the API (Bearer key, scoped to the key's account):
//   POST   /api/v1/sms-campaigns/:id/launch    launch now (202; the launch runs as a job)
//   POST   /api/v1/sms-campaigns/:id/pause | resume | cancel
//   POST   /api/v1/sms-campaigns/:id/test      {"phones": ["+336…", …]} (at most 5)
//   GET    /api/v1/sms-campaigns/:id/stats     progress and delivery figures
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findOr404 } from '../../db/find.js';
import { Campaign, campaignJson } from '../campaigns/index.js';
import { launchNow, pauseCampaign, resumeCampaign, cancelCampaign, sendTest } from './campaign-sending.js';
import { campaignStats, campaignSpend } from './campaign-sending.queries.js';

export async function sendingApiRoutes(app: FastifyInstance) {
  const publicUrl = app.config.publicUrl;
  const agenda = () => app.scheduler?.agenda ?? null;
  const serialise = (request: FastifyRequest, campaign: Campaign) => campaignJson(request.em, campaign, publicUrl);
  const load = (request: FastifyRequest<{ Params: { id: string } }>) => findOr404(request.em, Campaign, request.params.id, 'campaign', { populate: ['segment', 'list', 'account'] });

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
