// The date range of the Dashboard and of the automated campaigns' reports: a preset or custom
// days, always the account's local days, kept in the URL (`?range=last7`, or
// `?range=custom&from=2026-11-01&to=2026-11-30`).
import { Type } from 'typebox';
import { OptionalText } from '../../plugins/schemas.js';
import type { DayRange } from './usage.queries.js';

export const RANGE_PRESETS = [
  { value: 'today', label: 'Today' },
  { value: 'last7', label: 'Last 7 days' },
  { value: 'last30', label: 'Last 30 days' },
  { value: 'this_month', label: 'This month' },
  { value: 'last_month', label: 'Last month' },
  { value: 'custom', label: 'Custom' },
] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number]['value'];

/** The longest custom range: a little over a year of days. */
export const MAX_RANGE_DAYS = 400;

/** The query string of a page with a date range (other fields may be added to it). */
export const RANGE_QUERY = {
  range: Type.Optional(Type.Enum(RANGE_PRESETS.map((p) => p.value), { type: 'string' })),
  from: OptionalText(10),
  to: OptionalText(10),
};

export interface ChosenRange extends DayRange {
  preset: RangePreset;
  /** "1 Nov 2026 – 30 Nov 2026", or one day. */
  label: string;
  /** What was wrong with a custom range (then the last 30 days are shown). */
  error: string | null;
  /** The query string that keeps this range in a link (`range=…&from=…&to=…`). */
  query: string;
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

// Days are calendar days, kept as YYYY-MM-DD: only "today" needs the account's zone; the rest is
// arithmetic on UTC dates, which have no daylight-saving gaps. Plain Date and one cached
// Intl formatter per zone: luxon spent tens of microseconds on each step here (offset lookups in
// a named zone, locale set-up), a tenth of a Dashboard's CPU.
const DAY_MS = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A day as the milliseconds of its UTC midnight, and back. */
const msOf = (day: string) => Date.parse(`${day}T00:00:00Z`);
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const plusDays = (day: string, days: number) => dayOf(msOf(day) + days * DAY_MS);
/** The first day of the month `months` after (or before) the day's month. */
const monthStart = (day: string, months = 0) => dayOf(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1 + months, 1));

const todayFormats = new Map<string, Intl.DateTimeFormat>();

/** The day it is at `now` in the zone. */
function todayIn(zone: string, now: Date): string {
  let format = todayFormats.get(zone);
  if (!format) todayFormats.set(zone, (format = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  const part = Object.fromEntries(format.formatToParts(now).map((p) => [p.type, p.value]));
  return `${part.year}-${part.month}-${part.day}`;
}

/** A real day of the years 2000 to 9999 written YYYY-MM-DD, or null. */
function day(text: string | undefined): string | null {
  if (!text || !ISO_DAY.test(text)) return null;
  const ms = msOf(text);
  const year = Number(text.slice(0, 4));
  return !Number.isNaN(ms) && dayOf(ms) === text && year >= 2000 && year <= 9999 ? text : null;
}

/** The range a query asks for, in the account's zone; `now` for tests. The default is the last
 * 30 days; a custom range that is not two days in order, at most MAX_RANGE_DAYS apart, falls back
 * to it with an error to show. */
export function chooseRange(query: { range?: string; from?: string; to?: string }, zone: string, now: Date = new Date()): ChosenRange {
  const today = todayIn(zone, now);
  const preset = (query.range ?? 'last30') as RangePreset;
  const presets: Record<Exclude<RangePreset, 'custom'>, () => [string, string]> = {
    today: () => [today, today],
    last7: () => [plusDays(today, -6), today],
    last30: () => [plusDays(today, -29), today],
    this_month: () => [monthStart(today), today],
    last_month: () => [monthStart(today, -1), plusDays(monthStart(today), -1)],
  };
  if (preset === 'custom') {
    const [from, to] = [day(query.from), day(query.to)];
    const error = !from || !to ? 'Choose a start and an end day (YYYY-MM-DD).' : to < from ? 'The end day comes before the start day.' : (msOf(to) - msOf(from)) / DAY_MS >= MAX_RANGE_DAYS ? `Choose at most ${MAX_RANGE_DAYS} days.` : null;
    if (!error) return described('custom', from!, to!, null);
    return { ...described('last30', ...presets.last30(), error), preset: 'custom', query: rangeQuery('custom', query.from ?? '', query.to ?? '') };
  }
  return described(preset, ...presets[preset](), null);
}

function rangeQuery(preset: RangePreset, from: string, to: string): string {
  return preset === 'custom' ? `range=custom&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}` : `range=${preset}`;
}

/** "2 Dec 2026" */
const dayLabel = (day: string) => `${Number(day.slice(8, 10))} ${MONTHS[Number(day.slice(5, 7)) - 1]} ${day.slice(0, 4)}`;

function described(preset: RangePreset, from: string, to: string, error: string | null): ChosenRange {
  return { preset, from, to, label: from === to ? dayLabel(from) : `${dayLabel(from)} – ${dayLabel(to)}`, error, query: rangeQuery(preset, from, to) };
}

/** Every day of the range, in order (the x axis of a chart by day). Counted in milliseconds, not
 * by comparing the text: the day after 9999-12-31 is written +010000-01-01, which sorts first. */
export function daysOf(range: DayRange): string[] {
  const days: string[] = [];
  for (let t = msOf(range.from), end = msOf(range.to); t <= end; t += DAY_MS) days.push(dayOf(t));
  return days;
}
