// The campaign page (/create/:id) with its sending controls: launch now, pause, resume, cancel,
// a test send, and the progress panel that refreshes itself with htmx while messages go out.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, ValidationError } from '../../errors.js';
import { findOr404 } from '../../db/find.js';
import { formatMoney } from '../../money.js';
import { Campaign, isLaunched, formatSchedule, sendability, sendingNotices, checkCampaignText, campaignViewHelpers } from '../campaigns/index.js';
import { launchNow, pauseCampaign, resumeCampaign, cancelCampaign, sendTest, MAX_TEST_NUMBERS } from './campaign-sending.js';
import { renderedCount, campaignStats, campaignSpend, recentTests } from './campaign-sending.queries.js';

type WithId = FastifyRequest<{ Params: { id: string }; Body: Record<string, string | undefined> }>;

/** Whether the campaign page shows the progress panel: once launched, or when its launch is due. */
export function showsProgress(campaign: Campaign): boolean {
  if (campaign.status === 'scheduled') return Boolean(campaign.scheduledAt && campaign.scheduledAt.getTime() <= Date.now());
  return isLaunched(campaign);
}

/** What the progress panel shows. */
export async function progressOf(em: EntityManager, campaign: Campaign) {
  const [stats, spentMicros] = await Promise.all([campaignStats(em, campaign.account.id, campaign.id), campaignSpend(em, campaign.account.id, campaign.id)]);
  const finished = stats.done && campaign.status !== 'sending';
  // Refresh while it launches or sends, and after while delivery reports keep arriving.
  const polling = campaign.status === 'scheduled' || campaign.status === 'sending' || (campaign.status === 'sent' && stats.sent > 0);
  return { stats, spentMicros, finished, polling, formatMoney, formatSchedule };
}

export async function testsOf(em: EntityManager, campaign: Campaign) {
  return { tests: await recentTests(em, campaign.account.id, campaign.id), maxTestNumbers: MAX_TEST_NUMBERS };
}

export async function campaignSendingRoutes(app: FastifyInstance) {
  const publicUrl = app.config.publicUrl;
  const agenda = () => app.scheduler?.agenda ?? null;
  const load = (request: FastifyRequest<{ Params: { id: string } }>) => findOr404(request.em, Campaign, request.params.id, 'campaign', { populate: ['segment', 'list', 'account', 'gateway'] });
  // The campaign page: what it is, what it will reach or how its sending goes, and its controls.
  app.get('/:id', async (request: FastifyRequest<{ Params: { id: string }; Querystring: { notice?: string } }>, reply) => {
    const campaign = await load(request);
    // Once launched, its messages tell who it reaches (the progress panel) and how long they are.
    const launched = isLaunched(campaign);
    const ready = launched
      ? null
      : await sendability(request.em, campaign, publicUrl).catch((error) => {
          if (error instanceof ValidationError) return null;
          throw error;
        });
    const text = (launched ? await renderedCount(request.em, campaign) : ready?.text) ?? (await checkCampaignText(request.em, campaign, publicUrl));
    const progress = showsProgress(campaign) ? await progressOf(request.em, campaign) : null;
    return reply.page(
      'campaigns/view',
      { campaign, reach: ready?.reach ?? null, notices: ready ? sendingNotices(ready) : [], text, progress, ...(await testsOf(request.em, campaign)), notice: request.query.notice ?? null, currency: request.account!.currency, timeZone: request.account!.timeZone, formatSchedule, ...campaignViewHelpers },
      { title: campaign.name, tab: 'create' },
    );
  });

  const back = (reply: FastifyReply, campaign: Campaign, notice?: string) =>
    reply.redirect(`/create/${campaign.id}${notice ? `?notice=${encodeURIComponent(notice)}` : ''}`, 303);

  app.get('/:id/progress', { config: { role: 'viewer' } }, async (request: FastifyRequest<{ Params: { id: string }; Querystring: { seen?: string } }>, reply) => {
    const campaign = await load(request);
    // The page around the panel shows the status it was rendered with (its buttons, its notes):
    // when the status moves on, the whole campaign page is brought up to date in place.
    if (request.query.seen && request.query.seen !== campaign.status) {
      reply.header('HX-Location', JSON.stringify({ path: `/create/${campaign.id}`, target: '#main', select: '#main', swap: 'outerHTML' }));
    }
    const data = { campaign, timeZone: request.account!.timeZone, currency: request.account!.currency, ...(await progressOf(request.em, campaign)) };
    if (request.headers['hx-request'] === 'true') return reply.type('text/html; charset=utf-8').send(await reply.viewAsync('sending/_progress', { ...data, user: request.user, csrfToken: reply.csrfToken() }));
    return back(reply, campaign);
  });

  /** Runs a control; a refusal (409) comes back to the campaign page as its notice. */
  const control = (action: (request: WithId, campaign: Campaign) => Promise<string>) => async (request: WithId, reply: FastifyReply) => {
    const campaign = await load(request);
    try {
      return back(reply, campaign, await action(request, campaign));
    } catch (error) {
      if (error instanceof AppError && (error.statusCode === 409 || error instanceof ValidationError)) {
        const message = error instanceof ValidationError ? Object.values(error.fields).join(' ') : error.message;
        return back(reply, campaign, message);
      }
      throw error;
    }
  };

  app.post('/:id/launch', control(async (request, campaign) => {
    await launchNow(request.em, campaign, publicUrl, agenda());
    return 'Launching now.';
  }));
  app.post('/:id/pause', control(async (request, campaign) => {
    await pauseCampaign(request.em, campaign);
    return 'Paused: no further message leaves until you resume.';
  }));
  app.post('/:id/resume', control(async (request, campaign) => {
    await resumeCampaign(request.em, campaign, agenda());
    return 'Resumed.';
  }));
  app.post('/:id/cancel', control(async (request, campaign) => {
    const skipped = await cancelCampaign(request.em, campaign, agenda());
    return `Cancelled: ${skipped.toLocaleString('en')} message${skipped === 1 ? '' : 's'} will not be sent.`;
  }));
  app.post('/:id/test', control(async (request, campaign) => {
    const count = await sendTest(request.em, campaign, request.body.phones, publicUrl, agenda());
    return `Test sent to ${count} number${count === 1 ? '' : 's'}.`;
  }));
}
