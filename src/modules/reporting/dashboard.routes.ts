// The Dashboard tab: usage in a date range of the account's local days (a preset or custom days,
// kept in the URL): totals, the breakdown by country (sortable, CSV), and messages and cost per
// day by kind. Every figure comes from the usage_daily rollup, never from the message table.
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { TypedApp } from '../../plugins/validation.js';
import { formatMoney } from '../../money.js';
import { chooseRange, daysOf, RANGE_PRESETS, RANGE_QUERY, type ChosenRange } from './date-range.js';
import { usageWithZone, USAGE_KINDS, type UsageKind } from './usage.queries.js';
import { byCountry, byDay, COUNTRY_SORTS, countriesCsv, firstDirection, sortCountries, usageTotals, type CountrySort, type DayFigures } from './dashboard.js';
import { stackedBars } from './bar-chart.js';
import { sortHeaders, type SortDirection } from './sort-headers.js';

const DashboardQuery = Type.Object({
  ...RANGE_QUERY,
  sort: Type.Optional(Type.Enum(COUNTRY_SORTS, { type: 'string' })),
  dir: Type.Optional(Type.Enum(['asc', 'desc'], { type: 'string' })),
});
type DashboardQuery = { range?: string; from?: string; to?: string; sort?: CountrySort; dir?: SortDirection };

const KIND_NAMES: Record<UsageKind, string> = { batch: 'Batch', automated: 'Automated', transactional: 'Transactional' };

/** The chosen range and order, the rows of the range, and whether the rollups are being rebuilt. */
async function usageOf(request: FastifyRequest, query: DashboardQuery) {
  const account = request.account!;
  const range = chooseRange(query, account.timeZone);
  const sort = query.sort ?? 'messages';
  const dir = query.dir ?? firstDirection(sort);
  const { rows, stale } = await usageWithZone(request.em, account.id, range);
  return { range, sort, dir, rows, stale };
}

/** 30-11-2026 from 2026-11-30 (the app's day format); the chart's labels leave the year out. */
const dayLabel = (day: string) => day.split('-').reverse().join('-');
const shortDayLabel = (day: string) => dayLabel(day).slice(0, 5);

/** The two charts: messages and cost per day, stacked by kind. */
function charts(days: DayFigures[], currency: string) {
  const labels = days.map((d) => shortDayLabel(d.day));
  const series = (pick: (d: DayFigures) => Record<UsageKind, number>) =>
    USAGE_KINDS.map((kind) => ({ name: KIND_NAMES[kind], className: `chart-${kind}`, values: days.map((d) => pick(d)[kind]) }));
  return {
    messages: stackedBars(labels, series((d) => d.messages), (n) => n.toLocaleString('en')),
    cost: stackedBars(labels, series((d) => d.costMicros), (micros) => formatMoney(micros, currency)),
  };
}

/** The country table's headers: each sorts by its column, keeping the range. */
const countryHeaders = (range: ChosenRange, sort: CountrySort, dir: SortDirection) =>
  sortHeaders(COUNTRY_SORTS, { sort, dir }, firstDirection, (column, next) => `/dashboard?${range.query}&sort=${column}&dir=${next}`);

export async function dashboardRoutes(app: TypedApp) {
  app.get('/dashboard', { schema: { querystring: DashboardQuery } }, async (request, reply) => {
    const { range, sort, dir, rows, stale } = await usageOf(request, request.query);
    const currency = request.account!.currency;
    const days = byDay(rows, daysOf(range));
    const custom = range.preset === 'custom';
    const data = {
      range,
      presets: RANGE_PRESETS,
      values: { from: custom ? (request.query.from ?? '') : range.from, to: custom ? (request.query.to ?? '') : range.to },
      totals: usageTotals(rows),
      countries: sortCountries(byCountry(rows), sort, dir),
      sort,
      dir,
      sortHeaders: countryHeaders(range, sort, dir),
      csvUrl: `/dashboard/countries.csv?${range.query}&sort=${sort}&dir=${dir}`,
      days: days.map((d) => ({ ...d, label: dayLabel(d.day) })),
      kinds: USAGE_KINDS.map((kind) => ({ kind, name: KIND_NAMES[kind] })),
      charts: rows.length ? charts(days, currency) : null,
      stale,
    };
    if (range.error) reply.code(400);
    return reply.page('reporting/dashboard', data, { title: 'Dashboard', tab: 'dashboard' });
  });

  app.get('/dashboard/countries.csv', { schema: { querystring: DashboardQuery } }, async (request, reply) => {
    const { range, sort, dir, rows } = await usageOf(request, request.query);
    if (range.error) return reply.code(400).type('text/plain; charset=utf-8').send(range.error);
    const csv = countriesCsv(sortCountries(byCountry(rows), sort, dir), range, request.account!.currency);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="countries-${range.from}-to-${range.to}.csv"`)
      .header('cache-control', 'no-store')
      .send(csv);
  });
}
