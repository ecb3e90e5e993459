// What campaigns let the modules above them add, without campaigns knowing them: sending keeps a
// launch job at each scheduled campaign's time. Registered once at start-up (src/wiring.ts).
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
