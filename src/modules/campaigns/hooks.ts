// What campaigns let the modules above them add, without campaigns knowing them: sending keeps a
// launch job at each scheduled campaign's time; automation says which programs send a campaign. Registered once at start-up (src/wiring.ts).
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Scheduler } from '../../plugins/scheduler.js';
import type { Campaign } from './campaign.entity.js';

/** Told after a campaign was scheduled, rescheduled or unscheduled (its status and time say which). */
export type ScheduleListener = (campaign: Campaign, scheduler: Scheduler | null) => Promise<void>;

const listeners: ScheduleListener[] = [];

export function registerScheduleListener(listener: ScheduleListener): void {
  if (!listeners.includes(listener)) listeners.push(listener);
}

export async function notifyScheduleChange(campaign: Campaign, scheduler: Scheduler | null): Promise<void> {
  for (const listener of listeners) await listener(campaign, scheduler);
}

/** Answers the names of what sends the campaign (automation programs with a Send SMS step on it):
 * while anything does, it cannot be deleted. */
export type CampaignUsersCheck = (em: EntityManager, campaignId: string) => Promise<string[]>;

const userChecks: CampaignUsersCheck[] = [];

export function registerCampaignUsers(check: CampaignUsersCheck): void {
  if (!userChecks.includes(check)) userChecks.push(check);
}

export async function campaignUsers(em: EntityManager, campaignId: string): Promise<string[]> {
  return (await Promise.all(userChecks.map((check) => check(em, campaignId)))).flat();
}
