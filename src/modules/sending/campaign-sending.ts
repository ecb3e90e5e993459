// What users do with a campaign once it goes out: launch it now, pause, resume, cancel, send a
// test, and read its progress. Shared by the campaign page and the JSON API; the Agenda side
// (sending.jobs.ts) is reached through the scheduler when this process has one.
import type { Agenda } from 'agenda';
import type { Scheduler } from '../../plugins/scheduler.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, ValidationError } from '../../errors.js';
import { Campaign, moveTo, scheduleCampaign, sendability, countParts, type TextCheck } from '../campaigns/index.js';
import { normalisePhone } from '../../phone.js';
import { cancelLaunch, ensureDispatch, scheduleLaunch } from './sending.jobs.js';

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
  const rows = await em.getConnection().execute<{ count: string }[]>(
    `with cancelled as (
       update message set status = 'skipped', skip_reason = 'cancelled', waiting = null
       where account_id = ? and campaign_id = ? and status = 'queued' and not is_test returning 1)
     select count(*) from cancelled`,
    [campaign.account.id, campaign.id],
  );
  return Number(rows[0]!.count);
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
  await em.getConnection().execute(
    `insert into message (account_id, campaign_id, contact_id, phone, country, status, is_test, gateway_id)
     select ?, ?, (select id from contact c where c.account_id = ? and c.phone = n.phone), n.phone, n.country, 'queued', true, ?
     from jsonb_to_recordset(?::jsonb) as n(phone text, country text)`,
    [campaign.account.id, campaign.id, campaign.account.id, gateway!.id, JSON.stringify(numbers)],
  );
  if (agenda) await ensureDispatch(agenda, campaign.account.id, campaign.id, { evenIfRunning: true, lanes: [0] });
  return numbers.length;
}

export interface CampaignStats {
  recipients: number;
  queued: number;
  sending: number;
  sent: number;
  delivered: number;
  undelivered: number;
  failed: number;
  unknown: number;
  skipped: Record<string, number>;
  /** Queued messages waiting for their country's send window, and until when at the latest. */
  waiting: { count: number; until: Date | null; from: Date | null };
  retrying: number;
  parts: number;
  costMicros: number;
  unsubscribes: number;
  clicks: number;
  /** Every recipient has an outcome (nothing queued or in flight). */
  done: boolean;
}

export async function campaignStats(em: EntityManager, accountId: string, campaignId: string): Promise<CampaignStats> {
  const connection = em.getConnection();
  const rows = await connection.execute<{ status: string; skip_reason: string | null; waiting: string | null; count: string; parts: string | null; cost: string | null; unsubscribes: string; first: Date | null; last: Date | null }[]>(
    `select status, skip_reason, waiting, count(*) as count, sum(parts) as parts, sum(cost_micros) as cost, count(unsubscribed_at) as unsubscribes,
            min(not_before) as first, max(not_before) as last
     from message where account_id = ? and campaign_id = ? and not is_test group by status, skip_reason, waiting`,
    [accountId, campaignId],
  );
  const clicks = await connection.execute<{ count: string }[]>('select count(*) from click k join link l on l.account_id = k.account_id and l.id = k.link_id where l.account_id = ? and l.campaign_id = ?', [accountId, campaignId]);
  const stats: CampaignStats = {
    recipients: 0, queued: 0, sending: 0, sent: 0, delivered: 0, undelivered: 0, failed: 0, unknown: 0, skipped: {},
    waiting: { count: 0, until: null, from: null }, retrying: 0, parts: 0, costMicros: 0, unsubscribes: 0, clicks: Number(clicks[0]!.count), done: false,
  };
  const now = Date.now();
  for (const row of rows) {
    const count = Number(row.count);
    stats.recipients += count;
    stats.parts += Number(row.parts ?? 0);
    stats.costMicros += Number(row.cost ?? 0);
    stats.unsubscribes += Number(row.unsubscribes);
    if (row.status === 'skipped') stats.skipped[row.skip_reason ?? 'other'] = (stats.skipped[row.skip_reason ?? 'other'] ?? 0) + count;
    else (stats as unknown as Record<string, number>)[row.status] += count;
    if (row.status === 'queued' && row.waiting === 'quiet_hours' && row.last && new Date(row.last).getTime() > now) {
      stats.waiting.count += count;
      stats.waiting.until = row.last;
      stats.waiting.from = row.first;
    }
    if (row.status === 'queued' && row.waiting === 'retry') stats.retrying += count;
  }
  stats.done = stats.queued === 0 && stats.sending === 0;
  return stats;
}

/** The ledger's net for the campaign: debits less refunds (tests included: they are billed). */
export async function campaignSpend(em: EntityManager, accountId: string, campaignId: string): Promise<number> {
  const rows = await em.getConnection().execute<{ spent: string | null }[]>(`select -sum(amount_micros) as spent from credit_transaction where account_id = ? and campaign_id = ?`, [accountId, campaignId]);
  return Number(rows[0]!.spent ?? 0);
}

export interface TestMessage {
  phone: string;
  status: string;
  errorCode: string | null;
  createdAt: Date;
}

export async function recentTests(em: EntityManager, accountId: string, campaignId: string): Promise<TestMessage[]> {
  const rows = await em.getConnection().execute<{ phone: string; status: string; error_code: string | null; created_at: Date }[]>(
    `select phone, status, error_code, created_at from message where account_id = ? and campaign_id = ? and is_test order by id desc limit 10`,
    [accountId, campaignId],
  );
  return rows.map((r) => ({ phone: r.phone, status: r.status, errorCode: r.error_code, createdAt: r.created_at }));
}

/** The count of a launched campaign: its longest message as rendered for its recipient (null
 * until one is rendered). */
export async function renderedCount(em: EntityManager, campaign: Campaign): Promise<TextCheck | null> {
  const rows = await em.getConnection().execute<{ body: string }[]>(
    `select body from message where account_id = ? and campaign_id = ? and not is_test and body is not null order by parts desc, length(body) desc limit 1`,
    [campaign.account.id, campaign.id],
  );
  return rows.length ? { count: countParts(rows[0].body), basis: 'rendered', unknown: [], error: null } : null;
}
