// What users do with a campaign once it goes out: launch it now, pause, resume, cancel, send a
// test, and read its progress. Shared by the campaign page and the JSON API; the Agenda side
// (sending.jobs.ts) is reached through the scheduler when this process has one.
import type { Agenda } from 'agenda';
import type { Scheduler } from '../../plugins/scheduler.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, ValidationError } from '../../errors.js';
import { Campaign, moveTo, scheduleCampaign, sendability } from '../campaigns/index.js';
import { normalisePhone } from '../../phone.js';
import { cancelLaunch, ensureDispatch, scheduleLaunch } from './sending.jobs.js';
import { skipQueued, queueTestMessages, releaseQuietHoursWait } from './campaign-sending.queries.js';

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
  const campaigns = await releaseQuietHoursWait(em, accountId);
  if (agenda) for (const campaignId of campaigns) await ensureDispatch(agenda, accountId, campaignId, { evenIfRunning: true });
  return campaigns.length;
}
