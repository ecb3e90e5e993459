// The Dashboard's figures, made from usage_daily's rows for a range (usageRows): the totals, the
// breakdown by country (sortable, with its CSV) and the figures per day and kind for the charts.
// Everything here works on those few hundred rows; nothing reads the message table.
import { COUNTRIES } from '../../phone.js';
import { MICROS_PER_UNIT } from '../../money.js';
import { csvLine } from '../contacts/index.js';
import { USAGE_KINDS, type UsageKind, type UsageRow } from './usage.queries.js';
import type { ChosenRange } from './date-range.js';
import type { SortDirection } from './sort-headers.js';

export interface Totals {
  messages: number;
  parts: number;
  costMicros: number;
  delivered: number;
  /** delivered / messages, 0 to 1; null when nothing was sent. */
  deliveryRate: number | null;
}

export interface CountryFigures {
  /** ISO code, '' when the number's country is not known. */
  code: string;
  /** "France", or "Unknown". */
  name: string;
  messages: number;
  parts: number;
  costMicros: number;
  /** cost / parts, in whole micros; null without parts. */
  pricePerPartMicros: number | null;
}

export const COUNTRY_SORTS = ['country', 'messages', 'parts', 'price', 'cost'] as const;
export type CountrySort = (typeof COUNTRY_SORTS)[number];

export interface DayFigures {
  day: string;
  messages: Record<UsageKind, number>;
  costMicros: Record<UsageKind, number>;
}

function totalsOf(rows: { messages: number; parts: number; costMicros: number; delivered?: number }[]): Totals {
  const totals = { messages: 0, parts: 0, costMicros: 0, delivered: 0 };
  for (const row of rows) {
    totals.messages += row.messages;
    totals.parts += row.parts;
    totals.costMicros += row.costMicros;
    totals.delivered += row.delivered ?? 0;
  }
  return { ...totals, deliveryRate: totals.messages > 0 ? totals.delivered / totals.messages : null };
}

export const usageTotals = (rows: UsageRow[]): Totals => totalsOf(rows);

const COUNTRY_NAMES = new Map(COUNTRIES.map((country) => [country.code, country.name]));

/** A country's name ("France"); "Unknown" when the number's country was not known. */
export const countryName = (code: string): string => (code ? (COUNTRY_NAMES.get(code) ?? code) : 'Unknown');

/** One line per country, in no particular order (see sortCountries). */
export function byCountry(rows: UsageRow[]): CountryFigures[] {
  const groups = new Map<string, UsageRow[]>();
  for (const row of rows) groups.set(row.country, [...(groups.get(row.country) ?? []), row]);
  return [...groups].map(([code, group]) => {
    const { messages, parts, costMicros } = totalsOf(group);
    return { code, name: countryName(code), messages, parts, costMicros, pricePerPartMicros: parts > 0 ? Math.round(costMicros / parts) : null };
  });
}

const SORT_VALUE: Record<Exclude<CountrySort, 'country'>, (c: CountryFigures) => number> = {
  messages: (c) => c.messages,
  parts: (c) => c.parts,
  price: (c) => c.pricePerPartMicros ?? -1,
  cost: (c) => c.costMicros,
};

/** Sorted by a column; ties go by name. Unknown stays last in either direction of the country column. */
export function sortCountries(countries: CountryFigures[], sort: CountrySort, dir: SortDirection): CountryFigures[] {
  const sign = dir === 'asc' ? 1 : -1;
  const unknownLast = (a: CountryFigures, b: CountryFigures) => Number(!a.code) - Number(!b.code);
  const byName = (a: CountryFigures, b: CountryFigures) => a.name.localeCompare(b.name);
  const compare =
    sort === 'country'
      ? (a: CountryFigures, b: CountryFigures) => unknownLast(a, b) || sign * byName(a, b)
      : (a: CountryFigures, b: CountryFigures) => sign * (SORT_VALUE[sort](a) - SORT_VALUE[sort](b)) || unknownLast(a, b) || byName(a, b);
  return [...countries].sort(compare);
}

/** The direction a column starts in when first chosen: names A to Z, figures largest first. */
export const firstDirection = (sort: CountrySort): SortDirection => (sort === 'country' ? 'asc' : 'desc');

/** Messages and cost per kind for every day of the range (days without messages included). */
export function byDay(rows: UsageRow[], days: string[]): DayFigures[] {
  const zero = () => Object.fromEntries(USAGE_KINDS.map((kind) => [kind, 0])) as Record<UsageKind, number>;
  const figures = new Map(days.map((day) => [day, { day, messages: zero(), costMicros: zero() }]));
  for (const row of rows) {
    const day = figures.get(row.day);
    if (!day) continue;
    day.messages[row.kind] += row.messages;
    day.costMicros[row.kind] += row.costMicros;
  }
  return [...figures.values()];
}

/** Money in a CSV cell: units of the currency, up to 6 decimals, no thousands separator. */
const csvMoney = (micros: number | null) => (micros === null ? '' : String(micros / MICROS_PER_UNIT));

/** The breakdown by country as CSV, each line carrying the range it covers. */
export function countriesCsv(countries: CountryFigures[], range: ChosenRange, currency: string): string {
  const header = ['from', 'to', 'country_code', 'country', 'messages', 'parts', 'price_per_part', 'total_cost', 'currency'];
  const lines = countries.map((c) => csvLine([range.from, range.to, c.code, c.name, c.messages, c.parts, csvMoney(c.pricePerPartMicros), csvMoney(c.costMicros), currency]));
  return csvLine(header) + lines.join('');
}
