// The date range of the Dashboard and of the automated campaigns' reports: a preset or custom
// days, always the account's local days, kept in the URL (`?range=last7`, or
// `?range=custom&from=2026-11-01&to=2026-11-30`).
import { Type } from 'typebox';
import { DateTime } from 'luxon';
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

function day(text: string | undefined, zone: string): DateTime | null {
  if (!text || !ISO_DAY.test(text)) return null;
  const parsed = DateTime.fromISO(text, { zone });
  return parsed.isValid && parsed.year >= 2000 && parsed.year <= 9999 ? parsed : null;
}

/** The range a query asks for, in the account's zone; `now` for tests. The default is the last
 * 30 days; a custom range that is not two days in order, at most MAX_RANGE_DAYS apart, falls back
 * to it with an error to show. */
export function chooseRange(query: { range?: string; from?: string; to?: string }, zone: string, now: Date = new Date()): ChosenRange {
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  const preset = (query.range ?? 'last30') as RangePreset;
  const presets: Record<Exclude<RangePreset, 'custom'>, [DateTime, DateTime]> = {
    today: [today, today],
    last7: [today.minus({ days: 6 }), today],
    last30: [today.minus({ days: 29 }), today],
    this_month: [today.startOf('month'), today],
    last_month: [today.minus({ months: 1 }).startOf('month'), today.startOf('month').minus({ days: 1 })],
  };
  if (preset === 'custom') {
    const [from, to] = [day(query.from, zone), day(query.to, zone)];
    const error = !from || !to ? 'Choose a start and an end day (YYYY-MM-DD).' : to < from ? 'The end day comes before the start day.' : to.diff(from, 'days').days >= MAX_RANGE_DAYS ? `Choose at most ${MAX_RANGE_DAYS} days.` : null;
    if (!error) return described('custom', from!, to!, null);
    return { ...described('last30', ...presets.last30, error), preset: 'custom', query: rangeQuery('custom', query.from ?? '', query.to ?? '') };
  }
  return described(preset, ...presets[preset], null);
}

function rangeQuery(preset: RangePreset, from: string, to: string): string {
  return preset === 'custom' ? `range=custom&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}` : `range=${preset}`;
}

function described(preset: RangePreset, from: DateTime, to: DateTime, error: string | null): ChosenRange {
  const [fromDay, toDay] = [from.toISODate()!, to.toISODate()!];
  const format = (d: DateTime) => d.toFormat('d LLL yyyy');
  return { preset, from: fromDay, to: toDay, label: fromDay === toDay ? format(from) : `${format(from)} – ${format(to)}`, error, query: rangeQuery(preset, fromDay, toDay) };
}

/** Every day of the range, in order (the x axis of a chart by day). */
export function daysOf(range: DayRange): string[] {
  const days: string[] = [];
  for (let d = DateTime.fromISO(range.from, { zone: 'UTC' }); d.toISODate()! <= range.to; d = d.plus({ days: 1 })) days.push(d.toISODate()!);
  return days;
}
