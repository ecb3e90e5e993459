// Quiet hours: when a marketing message may reach a recipient, by the recipient's country
// (facts.md): France weekdays 08-20, Saturday 10-18, never on Sunday; the United States, Canada
// and everywhere else 08-21, in the recipient's local time. An account can turn them off or
// replace a country's window (Settings → Quiet hours). Transactional replies ignore them.
//
// The window is read in the recipient's own time zone: the contact's, derived from its number
// (phone-zone.ts) or set by a user. Where that is not known (a prefix spanning several zones, a
// contact not yet reached by the backfill), a country spanning several zones (US, CA, RU, …) is
// open only while the window is open in every one of its zones: a message at 07:00 in Honolulu is
// as unwelcome as one at 07:00 in New York. Numbers without a country use the account's zone.
//
// This is the account's setting and its meaning, pure time maths over it: it sits in accounts
// (the bottom of the module order) so that the dispatcher (sending) holds messages to it and the
// wizard (campaigns, below sending) forecasts with the same rules before launch.
import ct from 'countries-and-timezones';
import { DateTime } from 'luxon';

export interface TimeWindow {
  /** "HH:MM", inclusive. */
  from: string;
  /** "HH:MM", exclusive. */
  to: string;
}

export interface CountryWindows {
  weekdays: TimeWindow | null;
  saturday: TimeWindow | null;
  sunday: TimeWindow | null;
}

const ALL_DAYS = (from: string, to: string): CountryWindows => ({ weekdays: { from, to }, saturday: { from, to }, sunday: { from, to } });

/** The defaults; "*" is every country without its own entry. */
export const DEFAULT_WINDOWS: Readonly<Record<string, CountryWindows>> = {
  FR: { weekdays: { from: '08:00', to: '20:00' }, saturday: { from: '10:00', to: '18:00' }, sunday: null },
  US: ALL_DAYS('08:00', '21:00'),
  CA: ALL_DAYS('08:00', '21:00'),
  '*': ALL_DAYS('08:00', '21:00'),
};

export interface QuietHours {
  enabled: boolean;
  windows: Record<string, CountryWindows>;
  /** The account's zone, for numbers without a country. */
  fallbackZone: string;
}

export function quietHoursOf(account: { quietHours: boolean; quietHourRules?: Record<string, unknown> | null; timeZone: string }): QuietHours {
  return {
    enabled: account.quietHours,
    windows: { ...DEFAULT_WINDOWS, ...((account.quietHourRules ?? {}) as Record<string, CountryWindows>) },
    fallbackZone: account.timeZone,
  };
}

export function windowsFor(quiet: QuietHours, country: string | null): CountryWindows {
  return (country && quiet.windows[country]) || quiet.windows['*'] || DEFAULT_WINDOWS['*']!;
}

const zoneCache = new Map<string, string[]>();

/** The zones a recipient's window must be open in: their own zone when known, else every zone of
 * their country (see the top of this file). The one answer for the dispatcher and the forecast. */
export function recipientZones(quiet: QuietHours, country: string | null, zone: string | null): string[] {
  return zone ? [zone] : zonesOf(country, quiet.fallbackZone);
}

/** The time zones of a country (the account's zone when the country is unknown). */
export function zonesOf(country: string | null, fallbackZone: string): string[] {
  if (!country) return [fallbackZone];
  let zones = zoneCache.get(country);
  if (!zones) {
    zones = (ct.getTimezonesForCountry(country) ?? []).map((zone) => zone.name);
    zoneCache.set(country, zones);
  }
  return zones.length ? zones : [fallbackZone];
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

function windowOn(windows: CountryWindows, weekday: number): TimeWindow | null {
  if (weekday === 6) return windows.saturday;
  if (weekday === 7) return windows.sunday;
  return windows.weekdays;
}

function openIn(windows: CountryWindows, zone: string, at: Date): boolean {
  const local = DateTime.fromJSDate(at, { zone });
  const window = windowOn(windows, local.weekday);
  if (!window) return false;
  const now = local.hour * 60 + local.minute;
  return now >= minutes(window.from) && now < minutes(window.to);
}

export function isOpen(windows: CountryWindows, zones: string[], at: Date): boolean {
  return zones.every((zone) => openIn(windows, zone, at));
}

/** The first moment at or after `at` when the window is open in every zone; null if it never
 * opens within two weeks (every day closed). The answer is `at` itself or the opening of some
 * zone's window, so those are the only moments to try. */
export function nextOpening(windows: CountryWindows, zones: string[], at: Date): Date | null {
  if (isOpen(windows, zones, at)) return at;
  const candidates: number[] = [];
  for (const zone of zones) {
    const start = DateTime.fromJSDate(at, { zone }).startOf('day');
    for (let day = 0; day <= 14; day++) {
      const date = start.plus({ days: day });
      const window = windowOn(windows, date.weekday);
      if (!window) continue;
      const [hour, minute] = window.from.split(':').map(Number);
      const opening = date.set({ hour, minute }).toMillis();
      if (opening > at.getTime()) candidates.push(opening);
    }
  }
  candidates.sort((a, b) => a - b);
  for (const candidate of candidates) if (isOpen(windows, zones, new Date(candidate))) return new Date(candidate);
  return null;
}

/** The zone whose window opens at `opening` (an answer of nextOpening): in a country with several
 * zones, the last of them to open, which is the one a person should be told about. */
export function zoneOpeningAt(windows: CountryWindows, zones: string[], opening: Date): string {
  const opensThen = (zone: string) => {
    const local = DateTime.fromJSDate(opening, { zone });
    const window = windowOn(windows, local.weekday);
    return Boolean(window) && minutes(window!.from) === local.hour * 60 + local.minute;
  };
  return zones.find(opensThen) ?? zones[0]!;
}

/** Answers "may a marketing message go to this recipient (country and zone) now, and if not,
 * when?", cached for the minute (a dispatcher asks once per recipient). */
export class SendWindow {
  private cache = new Map<string, Date | null>();
  private minute = -1;

  constructor(private readonly quiet: QuietHours) {}

  /** `now` when open, the next opening when closed (null: never opens), `now` when disabled. */
  openingFor(country: string | null, zone: string | null, now: Date = new Date()): Date | null {
    if (!this.quiet.enabled) return now;
    const minute = Math.floor(now.getTime() / 60_000);
    if (minute !== this.minute) {
      this.cache.clear();
      this.minute = minute;
    }
    const key = `${country ?? ''} ${zone ?? ''}`;
    if (!this.cache.has(key)) this.cache.set(key, nextOpening(windowsFor(this.quiet, country), recipientZones(this.quiet, country, zone), now));
    const opening = this.cache.get(key)!;
    return opening && opening.getTime() <= now.getTime() ? now : opening;
  }
}

const HHMM = /^([01]\d|2[0-4]):([0-5]\d)$/;

/** Validates a window typed in Settings ("08:00"-"20:00"); empty both = closed that day. */
export function parseWindow(from: unknown, to: unknown): TimeWindow | null | string {
  const f = String(from ?? '').trim();
  const t = String(to ?? '').trim();
  if (!f && !t) return null;
  if (!HHMM.test(f) || !HHMM.test(t)) return 'Write times as HH:MM, such as 08:00 and 21:00 (both empty: closed that day).';
  if (minutes(f) >= minutes(t)) return 'The window must end after it starts.';
  return { from: f, to: t };
}
