// The campaign page (/create/:id) with its sending controls: launch now, pause, resume, cancel,
// a test send, and the progress panel that refreshes itself with htmx while messages go out; for
// an automation campaign, what its programs sent and the re-send of what the credit did not cover.
// What bills the account (messages going out, a test) brings the header's credit along.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Type, type Static } from 'typebox';
import { AppError, ValidationError } from '../../errors.js';
import { findOr404 } from '../../db/find.js';
import { formErrors, type TypedApp } from '../../plugins/validation.js';
import { EmptyForm, Form, LINE, OptionalText, PARAGRAPH, UuidParams, WholeNumber } from '../../plugins/schemas.js';
import { formatMoney } from '../../money.js';
import { gatewayAlert } from '../gateways/index.js';
import { Campaign, campaignTab, isLaunched, sendability, sendingNotices, checkCampaignText, campaignViewHelpers } from '../campaigns/index.js';
import { launchNow, pauseCampaign, resumeCampaign, cancelCampaign, sendTest, MAX_TEST_NUMBERS, creditResend, creditResendProblem, resendCreditSkipped } from './campaign-sending.js';
import { renderedCount, campaignStats, campaignSpend, recentTests, recentMessages } from './campaign-sending.queries.js';

const IdParams = UuidParams('campaign');
/** Up to five numbers typed in one field; how many and which are the service's rules. */
const TestForm = Form({ phones: OptionalText(LINE) });

/** Whether the campaign page shows the progress panel: once launched, or when its launch is due. */
export function showsProgress(campaign: Campaign): boolean {
  if (campaign.status === 'scheduled') return Boolean(campaign.scheduledAt && campaign.scheduledAt.getTime() <= Date.now());
  return isLaunched(campaign);
}

/** What the progress panel shows. */
export async function progressOf(em: EntityManager, campaign: Campaign) {
  const [stats, spentMicros] = await Promise.all([campaignStats(em, campaign), campaignSpend(em, campaign.account.id, campaign.id)]);
  const finished = stats.done && campaign.status !== 'sending';
  // Refresh while it launches or sends, and after while delivery reports keep arriving.
  const polling = campaign.status === 'scheduled' || campaign.status === 'sending' || (campaign.status === 'sent' && stats.sent > 0);
  // Launched: it goes out through its own gateway, which may be paused or disabled.
  return { stats, spentMicros, finished, polling, formatMoney, gatewayAlert: gatewayAlert(campaign.gateway) };
}

/** How many of an automation campaign's newest messages its page lists. */
const RECENT_MESSAGES = 20;

/** What an automation campaign's panel shows: its figures, its newest messages, and what re-sending
 * those skipped for insufficient credit would take. It refreshes while messages are on their way. */
export async function automationOf(em: EntityManager, campaign: Campaign, publicUrl: string) {
  const [stats, spentMicros, recent, resend] = await Promise.all([
    campaignStats(em, campaign),
    campaignSpend(em, campaign.account.id, campaign.id),
    recentMessages(em, campaign, RECENT_MESSAGES),
    creditResend(em, campaign, publicUrl),
  ]);
  const leaving = stats.sending + stats.queued - stats.waiting.count - stats.retrying > 0;
  return { stats, spentMicros, recent, resend, polling: leaving, formatMoney };
}

export async function testsOf(em: EntityManager, campaign: Campaign) {
  return { tests: await recentTests(em, campaign.account.id, campaign.id), maxTestNumbers: MAX_TEST_NUMBERS };
}

export async function campaignSendingRoutes(app: TypedApp) {
  const publicUrl = app.config.publicUrl;
  const agenda = () => app.scheduler?.agenda ?? null;
  const load = (request: FastifyRequest, id: string) => findOr404(request.em, Campaign, id, 'campaign', { populate: ['segment', 'list', 'account', 'gateway'] });

  /** The campaign page: what it is, what it will reach or how its sending goes, and its controls.
   * Without `status`, a 422 set by formErrors() is kept. */
  const campaignPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    campaign: Campaign,
    extra: { notice?: string | null; testNotice?: string | null; testErrors?: Record<string, string>; testValues?: Record<string, string> } = {},
  ) => {
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
    const automation = campaign.kind === 'automation' ? await automationOf(request.em, campaign, publicUrl) : null;
    return reply.page(
      'campaigns/view',
      {
        campaign, reach: ready?.reach ?? null, notices: ready ? sendingNotices(ready) : [], text, progress, automation, ...(await testsOf(request.em, campaign)),
        notice: extra.notice ?? null, testNotice: extra.testNotice ?? null, testErrors: extra.testErrors ?? {}, testValues: extra.testValues ?? {},
        currency: request.account!.currency, timeZone: request.account!.timeZone, ...campaignViewHelpers,
      },
      { title: campaign.name, tab: campaignTab(campaign) },
    );
  };

  // `tested`: how many numbers a test was just sent to, said next to the test form.
  app.get('/:id', { schema: { params: IdParams, querystring: Type.Object({ notice: OptionalText(PARAGRAPH), tested: Type.Optional(WholeNumber()) }) } }, async (request, reply) => {
    const tested = request.query.tested === undefined ? null : Number(request.query.tested);
    const testNotice = tested === null ? null : `Test sent to ${tested} number${tested === 1 ? '' : 's'}. Its status follows below.`;
    return campaignPage(request, reply, await load(request, request.params.id), { notice: request.query.notice, testNotice });
  });

  const back = (reply: FastifyReply, campaign: Campaign, notice?: string) =>
    reply.redirect(`/create/${campaign.id}${notice ? `?notice=${encodeURIComponent(notice)}` : ''}`, 303);

  app.get('/:id/progress', { config: { role: 'viewer' }, schema: { params: IdParams, querystring: Type.Object({ seen: OptionalText(LINE) }) } }, async (request, reply) => {
    const campaign = await load(request, request.params.id);
    // The page around the panel shows the status it was rendered with (its buttons, its notes):
    // when the status moves on, the whole campaign page is brought up to date in place.
    // `waiting`: a campaign page scheduled for later, polling slowly; it is brought up to date
    // once the launch is due (or the schedule changed), and shows the progress panel from then on.
    const stillWaiting = request.query.seen === 'waiting' && campaign.status === 'scheduled' && !showsProgress(campaign);
    if (stillWaiting) return reply.code(204).send();
    if (request.query.seen && request.query.seen !== campaign.status) {
      // As a tab switch asks (htmx would name <body>, the source, as the target): the main
      // fragment, with the tabs and the header's credit out of band.
      reply.header('HX-Location', JSON.stringify({ path: `/create/${campaign.id}`, target: '#main', select: '#main', swap: 'outerHTML', headers: { 'HX-Target': 'main#main' } }));
    }
    const base = { campaign, timeZone: request.account!.timeZone, currency: request.account!.currency };
    if (request.headers['hx-request'] !== 'true') return back(reply, campaign);
    if (campaign.kind === 'automation') return reply.fragment('sending/_automation', { ...base, ...(await automationOf(request.em, campaign, publicUrl)) }, { header: true });
    return reply.fragment('sending/_progress', { ...base, ...(await progressOf(request.em, campaign)) }, { header: true });
  });

  /** Runs a control; a refusal of the service (a 409, or one of its rules) comes back to the
   * campaign page as its notice. */
  const control = async (reply: FastifyReply, campaign: Campaign, action: () => Promise<string>) => {
    try {
      return back(reply, campaign, await action());
    } catch (error) {
      if (error instanceof AppError && (error.statusCode === 409 || error instanceof ValidationError)) {
        const message = error instanceof ValidationError ? Object.values(error.fields).join(' ') : error.message;
        return back(reply, campaign, message);
      }
      throw error;
    }
  };
  const button = () => ({ schema: { params: IdParams, body: EmptyForm() } });

  app.post('/:id/launch', button(), async (request, reply) => {
    const campaign = await load(request, request.params.id);
    return control(reply, campaign, async () => {
      await launchNow(request.em, campaign, publicUrl, agenda());
      return 'Launching now.';
    });
  });
  app.post('/:id/pause', button(), async (request, reply) => {
    const campaign = await load(request, request.params.id);
    return control(reply, campaign, async () => {
      await pauseCampaign(request.em, campaign);
      return 'Paused: no further message leaves until you resume.';
    });
  });
  app.post('/:id/resume', button(), async (request, reply) => {
    const campaign = await load(request, request.params.id);
    return control(reply, campaign, async () => {
      await resumeCampaign(request.em, campaign, agenda());
      return 'Resumed.';
    });
  });
  // Cancelling cannot be undone: the page's button asks first, as deleting does.
  app.get('/:id/cancel', { schema: { params: IdParams } }, async (request, reply) => {
    const campaign = await load(request, request.params.id);
    const stats = await campaignStats(request.em, campaign);
    return reply.page('campaigns/cancel', { campaign, left: stats.queued }, { title: `Cancel ${campaign.name}`, tab: campaignTab(campaign) });
  });

  app.post('/:id/cancel', button(), async (request, reply) => {
    const campaign = await load(request, request.params.id);
    return control(reply, campaign, async () => {
      const skipped = await cancelCampaign(request.em, campaign, agenda());
      return `Cancelled: ${skipped.toLocaleString('en')} message${skipped === 1 ? '' : 's'} will not be sent.`;
    });
  });
  // Re-sending an automation campaign's messages skipped for insufficient credit bills the
  // account: the page asks first, saying what they cost and what the balance is.
  app.get('/:id/resend-insufficient-credit', { schema: { params: IdParams } }, async (request, reply) => {
    const campaign = await load(request, request.params.id);
    const resend = await creditResend(request.em, campaign, publicUrl);
    return reply.page(
      'sending/resend',
      { campaign, resend, problem: creditResendProblem(campaign, resend), currency: request.account!.currency, formatMoney },
      { title: `Re-send messages of ${campaign.name}`, tab: campaignTab(campaign) },
    );
  });

  app.post('/:id/resend-insufficient-credit', button(), async (request, reply) => {
    const campaign = await load(request, request.params.id);
    return control(reply, campaign, async () => {
      const count = await resendCreditSkipped(request.em, campaign, publicUrl, agenda());
      return `Re-sending ${count.toLocaleString('en')} message${count === 1 ? '' : 's'} skipped for insufficient credit.`;
    });
  });

  /** The test-send panel alone, for htmx: the form (with what happened) and the tests, refreshed
   * while one is on its way, with the header's credit. */
  const testPanel = async (request: FastifyRequest, reply: FastifyReply, campaign: Campaign, template: string, extra: { testNotice?: string; testErrors?: Record<string, string>; testValues?: Record<string, string> } = {}) =>
    reply.fragment(
      template,
      { campaign, ...(await testsOf(request.em, campaign)), testNotice: extra.testNotice ?? null, testErrors: extra.testErrors ?? {}, testValues: extra.testValues ?? {}, timeZone: request.account!.timeZone },
      { header: true },
    );
  const wantsTestPanel = (request: FastifyRequest) => request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'article#test-send';

  // A refused test form, malformed (a repeated or over-long field) or refused by the service ("at
  // most 5 numbers", "Not a phone number: …", a campaign that cannot go out), comes back with 422,
  // the reason under the field and what was typed kept: from htmx the panel alone, otherwise the
  // campaign page opened at the form. A test sent is said there too.
  app.post(
    '/:id/test',
    {
      schema: { params: IdParams, body: TestForm },
      errorHandler: formErrors<Static<typeof IdParams>>(async (request, reply, { fields, values, message }) => {
        const campaign = await load(request, request.params.id);
        const extra = { testErrors: { phones: fields.phones ?? message }, testValues: values };
        return wantsTestPanel(request) ? testPanel(request, reply, campaign, 'sending/_test-send', extra) : campaignPage(request, reply, campaign, extra);
      }),
    },
    async (request, reply) => {
      const campaign = await load(request, request.params.id);
      // A refusal is a ValidationError, which the errorHandler above puts on the field.
      const count = await sendTest(request.em, campaign, request.body.phones, publicUrl, agenda());
      if (wantsTestPanel(request)) return testPanel(request, reply, campaign, 'sending/_test-send', { testNotice: `Test sent to ${count} number${count === 1 ? '' : 's'}.` });
      return reply.redirect(`/create/${campaign.id}?tested=${count}#test-send`, 303);
    },
  );

  app.get('/:id/tests', { config: { role: 'viewer' }, schema: { params: IdParams } }, async (request, reply) => {
    const campaign = await load(request, request.params.id);
    if (request.headers['hx-request'] !== 'true') return back(reply, campaign);
    return testPanel(request, reply, campaign, 'sending/_tests');
  });
}
