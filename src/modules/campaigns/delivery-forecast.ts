// Step 2's delivery forecast: for a launch at a chosen time, how many recipients can receive the
// campaign then, when the send windows of the others open, and about when the last message
// leaves. People ask "when will they get it?" before pressing Send; the wizard answers it.
//
// Where it lives: the window maths is the account's quiet-hours setting (accounts/quiet-hours.ts,
// at the bottom of the module order), the recipients per country are step 2's own grouped count,
// and the rate is the gateway's: everything campaigns may already read, so step 2 renders the
// forecast itself (full page and htmx fragment alike) with no hook into sending. The dispatcher
// in sending holds messages to the same windows.
import { DateTime } from 'luxon';
import { ValidationError } from '../../errors.js';
import { nextOpening, quietHoursOf, recipientZones, windowsFor, zoneOpeningAt, type Account, type QuietHours } from '../accounts/index.js';
import type { Gateway } from '../gateways/index.js';
import type { ZoneReach } from './recipients.queries.js';
import { gatewayProblem } from './sendability.js';
import { parseSchedule } from './campaigns.service.js';

/** Recipients of one country and time zone outside their window at the start. */
export interface WaitingGroup {
  country: string | null;
  /** Their own zone; null when their numbers do not tell it (then the country's zones together). */
  zone: string | null;
  recipients: number;
  /** When their window opens; null when it does not within two weeks (every day closed). */
  opensAt: Date | null;
  /** The zone whose window opens then (in a country with several, the last to open) and its local time. */
  openingZone: string;
  localOpening: string | null;
  /** Whether the country's zones keep different clocks (then the opening zone is named). */
  severalClocks: boolean;
}

export interface DeliveryForecast {
  start: Date;
  recipients: number;
  quietHours: boolean;
  /** Recipients inside their window at the start. */
  openAtStart: number;
  /** Those outside, by country and zone, soonest opening first (never-opening last). */
  waiting: WaitingGroup[];
  /** The gateway's limit; null when no gateway can send (`gatewayProblem` says why). */
  messagesPerSecond: number | null;
  gatewayProblem: string | null;
  /** When the last message leaves (null without a rate, or when no one can receive it). */
  finish: Date | null;
  /** Seconds from the start to the finish. */
  seconds: number | null;
}

/** Step 2's forecast for the schedule as typed: "send now", or the date and time when it is one
 * the campaign could be scheduled for (parseSchedule's rule); otherwise sending now, with the
 * reason the typed time was not used (`note`). Null when no one can receive the campaign (step
 * 2's notices say why). */
export function forecastForSchedule(account: Account, schedule: { when?: string; at?: string }, byZone: ZoneReach[], gateway: Gateway | null) {
  if (!byZone.length) return null;
  const now = new Date();
  let at: Date | 'now' = 'now';
  let note: string | null = null;
  if (schedule.when !== 'now' && schedule.at) {
    try {
      at = parseSchedule(schedule.at, account.timeZone, now);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      note = error.fields.at ?? null;
    }
  }
  return { ...forecastDelivery(byZone, account, gateway, at === 'now' ? now : at), now: at === 'now', note };
}

/** The forecast for recipients counted per country and zone, a gateway (or none) and a start. */
export function forecastDelivery(byZone: ZoneReach[], account: Parameters<typeof quietHoursOf>[0], gateway: Gateway | null, start: Date): DeliveryForecast {
  const quiet = quietHoursOf(account);
  const recipients = byZone.reduce((n, c) => n + c.receiving, 0);
  const waiting = quiet.enabled ? byZone.map((c) => waitingGroup(quiet, c, start)).filter((g): g is WaitingGroup => g !== null) : [];
  waiting.sort((a, b) => (a.opensAt?.getTime() ?? Infinity) - (b.opensAt?.getTime() ?? Infinity));
  const openAtStart = recipients - waiting.reduce((n, g) => n + g.recipients, 0);
  const problem = gatewayProblem(gateway);
  const messagesPerSecond = problem ? null : gateway!.messagesPerSecond;
  const finish = messagesPerSecond ? finishTime(start, openAtStart, waiting, messagesPerSecond) : null;
  return {
    start, recipients, quietHours: quiet.enabled, openAtStart, waiting, messagesPerSecond, gatewayProblem: problem, finish,
    seconds: finish ? (finish.getTime() - start.getTime()) / 1000 : null,
  };
}

function waitingGroup(quiet: QuietHours, reach: ZoneReach, start: Date): WaitingGroup | null {
  const windows = windowsFor(quiet, reach.country);
  const zones = recipientZones(quiet, reach.country, reach.zone);
  const opensAt = nextOpening(windows, zones, start);
  if (opensAt && opensAt.getTime() <= start.getTime()) return null;
  const openingZone = opensAt ? zoneOpeningAt(windows, zones, opensAt) : zones[0]!;
  const at = opensAt ?? start;
  const clocks = new Set(zones.map((zone) => DateTime.fromJSDate(at, { zone }).offset));
  return {
    country: reach.country, zone: reach.zone, recipients: reach.receiving, opensAt, openingZone,
    localOpening: opensAt ? DateTime.fromJSDate(opensAt, { zone: openingZone }).toFormat('HH:mm') : null,
    severalClocks: clocks.size > 1,
  };
}

/** When the last message leaves. The gateway sends one group after another at its rate, each no
 * earlier than its window opens, those inside their window at the start first. The rate is
 * shared, so a group whose window opens while earlier ones are still going waits for them;
 * without such overlap this is the latest of (start + open/rate) and (opening + count/rate) over
 * the groups. Left out: windows closing during a long send, retries and delivery delays. */
function finishTime(start: Date, openAtStart: number, waiting: WaitingGroup[], messagesPerSecond: number): Date | null {
  const groups = [{ from: start.getTime(), count: openAtStart }, ...waiting.filter((g) => g.opensAt).map((g) => ({ from: g.opensAt!.getTime(), count: g.recipients }))];
  let clock: number | null = null;
  for (const group of groups) {
    if (!group.count) continue;
    clock = Math.max(clock ?? group.from, group.from) + (group.count / messagesPerSecond) * 1000;
  }
  return clock === null ? null : new Date(clock);
}

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** What the forecast's template uses to say it. */
export const forecastViewHelpers = {
  countryName: (country: string | null) => (country ? (countryNames.of(country) ?? country) : null),
  /** "Wed 10 Dec 08:00" in the zone (with the year when it is not this year's). */
  moment(date: Date, timeZone: string): string {
    const local = DateTime.fromJSDate(date, { zone: timeZone }).setLocale('en');
    return local.toFormat(local.year === DateTime.now().setZone(timeZone).year ? 'ccc d LLL HH:mm' : 'ccc d LLL yyyy HH:mm');
  },
  /** "under a minute", "about 5 min", "about 2 h 10 min", "about 3 days 4 h". */
  duration(seconds: number): string {
    const minutes = Math.round(seconds / 60);
    if (minutes < 1) return 'under a minute';
    if (minutes < 60) return `about ${minutes} min`;
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return `about ${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
    return `about ${Math.floor(hours / 24)} days${hours % 24 ? ` ${hours % 24} h` : ''}`;
  },
};
