// What users do with a campaign once it goes out: launch it now, pause, resume, cancel, send a
// test, re-send an automation campaign's messages skipped for insufficient credit, and read its
// progress. Shared by the campaign page and the JSON API; the Agenda side
// (sending.jobs.ts) is reached through the scheduler when this process has one.
import type { Agenda } from 'agenda';
import type { Scheduler } from '../../plugins/scheduler.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, ValidationError } from '../../errors.js';
import { Campaign, checkCampaignText, dispatchesMessages, moveTo, scheduleCampaign, sendability } from '../campaigns/index.js';
import { creditBalance, partPrice, priceTable } from '../accounts/index.js';
import { formatMoney } from '../../money.js';
import { normalisePhone } from '../../phone.js';
import { cancelLaunch, ensureDispatch, scheduleLaunch } from './sending.jobs.js';
import { skipQueued, queueTestMessages, releaseQuietHoursWait, releaseGatewayWait, creditSkippedByCountry, requeueCreditSkipped } from './campaign-sending.queries.js';

export const MAX_TEST_NUMBERS = 5;

/** Launches now: a draft with recipients is scheduled for now, a scheduled one brought forward.
 * The launch itself (a million rows, maybe) runs as a job. */
export async function launchNow(em: EntityManager, campaign: Campaign, publicUrl: string, agenda: Agenda | null): Promise<void> {
  if (campaign.status === 'scheduled' && campaign.scheduledAt && campaign.scheduledAt.getTime() <= Date.now()) {
    throw new ConflictError('This campaign is already launching.');
  }
  if (campaign.status !== 'draft' && campaign.status !== 'scheduled') throw new ConflictError(`This campaign is ${campaign.status}: it has been launched already.`);
  await scheduleCampaign(em, campaign, 'now', publicUrl);
  campaign.problem = null;
  await em.flush();
  if (agenda) await scheduleLaunch(agenda, campaign.account.id, campaign.id, campaign.scheduledAt!);
}

/** A campaign schedule listener (campaigns/hooks.ts): a scheduled campaign has its launch job at
 * its time; an unscheduled one has none. */
export async function keepLaunchJob(campaign: Campaign, scheduler: Scheduler | null): Promise<void> {
  if (!scheduler) return;
  if (campaign.status === 'scheduled' && campaign.scheduledAt) await scheduleLaunch(scheduler.agenda, campaign.account.id, campaign.id, campaign.scheduledAt);
  else await cancelLaunch(scheduler.agenda, campaign.id);
}

export async function pauseCampaign(em: EntityManager, campaign: Campaign): Promise<void> {
  moveTo(campaign, 'paused');
  await em.flush();
}

export async function resumeCampaign(em: EntityManager, campaign: Campaign, agenda: Agenda | null): Promise<void> {
  moveTo(campaign, 'sending');
  campaign.problem = null;
  await em.flush();
  if (agenda) await ensureDispatch(agenda, campaign.account.id, campaign.id, { evenIfRunning: true });
}

/** Cancels a scheduled or sending campaign: what has not left yet never will (skipped, "cancelled"). */
export async function cancelCampaign(em: EntityManager, campaign: Campaign, agenda: Agenda | null): Promise<number> {
  moveTo(campaign, 'cancelled');
  campaign.finishedAt = new Date();
  await em.flush();
  if (agenda) await cancelLaunch(agenda, campaign.id);
  return skipQueued(em, campaign.account.id, campaign.id, 'cancelled');
}

/** Test numbers as typed: text with commas, semicolons or lines between them (the campaign
 * page's field), or a list of numbers (the API's `phones`). */
export type TestNumbersInput = string | readonly string[] | undefined;

/** Parses up to five numbers. */
export function parseTestNumbers(input: TestNumbersInput, defaultCountry: string | null): { phone: string; country: string | null }[] {
  const typed = typeof input === 'string' ? input.split(/[,;\n]+/) : input ?? [];
  const parts = typed.map((part) => part.trim()).filter(Boolean);
  if (!parts.length) throw new ValidationError({ phones: 'Enter one to five phone numbers.' });
  if (parts.length > MAX_TEST_NUMBERS) throw new ValidationError({ phones: `A test goes to at most ${MAX_TEST_NUMBERS} numbers.` });
  const numbers: { phone: string; country: string | null }[] = [];
  const bad: string[] = [];
  for (const part of parts) {
    const parsed = normalisePhone(part, defaultCountry);
    if (!parsed.ok) bad.push(part);
    else if (!numbers.some((n) => n.phone === parsed.e164)) numbers.push({ phone: parsed.e164, country: parsed.country ?? null });
  }
  if (bad.length) throw new ValidationError({ phones: `Not a phone number: ${bad.join(', ')}.` });
  return numbers;
}

/** Queues a test of the campaign to up to five numbers: personalised for the contact with that
 * number if there is one, billed, sent at once (no quiet hours), not counted in its figures. */
export async function sendTest(em: EntityManager, campaign: Campaign, input: TestNumbersInput, publicUrl: string, agenda: Agenda | null): Promise<number> {
  const numbers = parseTestNumbers(input, campaign.account.defaultCountry ?? null);
  const { problems, gateway } = await sendability(em, campaign, publicUrl, { testNumbers: numbers });
  if (problems.length) throw new ValidationError({ phones: problems[0].field === 'body' ? `Fix the message first: ${problems[0].message}` : problems[0].message });
  await queueTestMessages(em, campaign.account.id, campaign.id, gateway!.id, numbers);
  if (agenda) await ensureDispatch(agenda, campaign.account.id, campaign.id, { evenIfRunning: true, lanes: [0] });
  return numbers.length;
}

/** After the account's quiet hours change (off, or a wider window), what waited for the old
 * window goes at once: its messages are due again and each sending campaign is dispatched. */
export async function reconsiderWaiting(em: EntityManager, accountId: string, agenda: Agenda | null): Promise<number> {
  const campaigns = (await releaseQuietHoursWait(em, accountId)).filter(dispatchesMessages);
  if (agenda) for (const campaign of campaigns) await ensureDispatch(agenda, accountId, campaign.id, { evenIfRunning: true });
  return campaigns.length;
}

/** A gateway ready listener (gateways/hooks.ts): once a paused gateway is resumed (or a disabled
 * one enabled), its retries are due again and the campaigns that waited for it are dispatched. */
export async function dispatchAfterGatewayReady(em: EntityManager, gateway: { id: string; accountId: string }, scheduler: Scheduler | null): Promise<void> {
  const campaigns = (await releaseGatewayWait(em, gateway.accountId, gateway.id)).filter(dispatchesMessages);
  if (scheduler) for (const campaign of campaigns) await ensureDispatch(scheduler.agenda, gateway.accountId, campaign.id, { evenIfRunning: true });
}

export interface CreditResend {
  /** Messages skipped for insufficient credit whose contact still exists. */
  count: number;
  /** About what sending them costs: the text counted as the campaign page counts it (a
   * placeholder at a fixed length), at each destination's price. */
  costMicros: number;
  balanceMicros: number;
}

/** What re-sending an automation campaign's messages skipped for insufficient credit would take. */
export async function creditResend(em: EntityManager, campaign: Campaign, publicUrl: string): Promise<CreditResend> {
  const skipped = await creditSkippedByCountry(em, campaign);
  const count = skipped.reduce((sum, row) => sum + row.count, 0);
  if (!count) return { count, costMicros: 0, balanceMicros: 0 };
  const [text, prices, balanceMicros] = await Promise.all([checkCampaignText(em, campaign, publicUrl), priceTable(em), creditBalance(em, campaign.account.id)]);
  const costMicros = skipped.reduce((sum, row) => sum + row.count * text.count.parts * (partPrice(prices, row.country) ?? 0), 0);
  return { count, costMicros, balanceMicros };
}

/** Why the skipped messages cannot be re-sent now, or null when they can. */
export function creditResendProblem(campaign: Campaign, resend: CreditResend): string | null {
  if (!resend.count) return 'Nothing to re-send: no message of this campaign is skipped for insufficient credit.';
  if (!dispatchesMessages(campaign)) return `This campaign is ${campaign.status}: its messages are not sent.`;
  if (resend.costMicros > resend.balanceMicros) {
    const money = (micros: number) => formatMoney(micros, campaign.account.currency);
    return `The credit does not cover them yet: they cost about ${money(resend.costMicros)} and the balance is ${money(resend.balanceMicros)}. Add credit under Settings → Credits first.`;
  }
  return null;
}

/** Queues again an automation campaign's messages skipped for insufficient credit and starts
 * dispatching them; refused (409) while there is none or the credit does not cover them. A
 * message the credit still does not cover when it leaves is skipped again. Answers how many. */
export async function resendCreditSkipped(em: EntityManager, campaign: Campaign, publicUrl: string, agenda: Agenda | null): Promise<number> {
  const problem = creditResendProblem(campaign, await creditResend(em, campaign, publicUrl));
  if (problem) throw new ConflictError(problem);
  const count = await requeueCreditSkipped(em, campaign);
  if (agenda) await ensureDispatch(agenda, campaign.account.id, campaign.id, { evenIfRunning: true });
  return count;
}
