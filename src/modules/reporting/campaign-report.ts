// A campaign's report (/reporting/:id): its figures summed from its rollup (campaign_rollup, per
// status, reason, country, program and local hour), never from its messages, plus the STOP
// replies attributed to it by time and the clicks on its links. An automation campaign has no
// launch: it is reported for a period of local days, with a line per automation program.
import type { EntityManager } from '@mikro-orm/postgresql';
import { DateTime } from 'luxon';
import { campaignRollupRows, SENT_STATUSES, type CampaignRollupRow } from '../sending/index.js';
import { Program } from '../automation/index.js';
import type { Campaign } from '../campaigns/index.js';
import { stackedBars, type ChartLayout } from './bar-chart.js';
import { linkClicks, stopRepliesAfter, type LinkClicks } from './campaign-report.queries.js';
import type { DayRange } from './usage.queries.js';

/** Why a recipient got no message, in the order the report lists them, with their labels. */
export const NOT_SENT_REASONS = [
  { key: 'opted_out', label: 'Opted out' },
  { key: 'bad_number', label: 'Bad number' },
  { key: 'opted_out_of_number', label: 'Opted out of this number' },
  { key: 'insufficient_credit', label: 'Insufficient credit' },
  { key: 'quiet_hours', label: 'Quiet hours, waiting' },
  { key: 'cancelled', label: 'Cancelled' },
  { key: 'erased', label: 'Erased' },
  { key: 'duplicate', label: 'Duplicate' },
  { key: 'refused', label: 'Refused by the gateway' },
] as const;

/** A report's chart is per local hour up to this many hours, per local day beyond. */
const HOURLY_CHART_MAX_HOURS = 72;

export interface ReportFigures {
  recipients: number;
  sent: number;
  delivered: number;
  undelivered: { hard: number; soft: number; unknown: number; total: number };
  /** Queued (not waiting for quiet hours) or being handed to the gateway. */
  pending: number;
  notSent: Record<string, number>;
  notSentTotal: number;
  /** Delivered out of sent, 0–1; null before anything was sent. */
  deliveryRate: number | null;
  parts: number;
  costMicros: number;
  unsubscribes: number;
}

export interface CountryLine {
  country: string;
  sent: number;
  parts: number;
  costMicros: number;
}

export interface ProgramLine extends ReportFigures {
  programId: string | null;
  name: string;
}

export interface Timeline {
  /** 'hour' or 'day': what one bar is. */
  step: 'hour' | 'day';
  labels: string[];
  delivered: number[];
  undelivered: number[];
  otherSent: number[];
}

const isSent = (status: string) => (SENT_STATUSES as readonly string[]).includes(status);

/** The report's figures summed from rollup rows. */
export function reportFigures(rows: CampaignRollupRow[]): ReportFigures {
  const figures: ReportFigures = {
    recipients: 0, sent: 0, delivered: 0, undelivered: { hard: 0, soft: 0, unknown: 0, total: 0 }, pending: 0,
    notSent: {}, notSentTotal: 0, deliveryRate: null, parts: 0, costMicros: 0, unsubscribes: 0,
  };
  for (const row of rows) {
    figures.recipients += row.messages;
    figures.parts += row.parts;
    figures.costMicros += row.costMicros;
    figures.unsubscribes += row.unsubscribes;
    if (isSent(row.status)) figures.sent += row.messages;
    if (row.status === 'delivered') figures.delivered += row.messages;
    if (row.status === 'undelivered' || row.status === 'failed') {
      const bounce = row.bounce === 'hard' || row.bounce === 'soft' ? row.bounce : 'unknown';
      figures.undelivered[bounce] += row.messages;
      figures.undelivered.total += row.messages;
    }
    const reason = notSentReason(row);
    if (reason) {
      figures.notSent[reason] = (figures.notSent[reason] ?? 0) + row.messages;
      figures.notSentTotal += row.messages;
    } else if (row.status === 'queued' || row.status === 'sending') figures.pending += row.messages;
  }
  figures.deliveryRate = figures.sent > 0 ? figures.delivered / figures.sent : null;
  return figures;
}

/** Why the row's messages were not sent, or null when they were (or still may be). */
function notSentReason(row: CampaignRollupRow): string | null {
  if (row.status === 'skipped') return row.skipReason ?? 'other';
  if (row.status === 'refused') return 'refused';
  if (row.status === 'queued' && row.waiting === 'quiet_hours') return 'quiet_hours';
  return null;
}

/** Parts and cost per country, the countries with something sent or billed, most sent first. */
export function countryLines(rows: CampaignRollupRow[]): CountryLine[] {
  const lines = new Map<string, CountryLine>();
  for (const row of rows) {
    const line = lines.get(row.country) ?? { country: row.country, sent: 0, parts: 0, costMicros: 0 };
    if (isSent(row.status)) line.sent += row.messages;
    line.parts += row.parts;
    line.costMicros += row.costMicros;
    lines.set(row.country, line);
  }
  return [...lines.values()].filter((line) => line.sent > 0 || line.costMicros !== 0).sort((a, b) => b.sent - a.sent || a.country.localeCompare(b.country));
}

/** The figures per automation program, named (a deleted program's messages stay, nameless). */
export function programLines(rows: CampaignRollupRow[], names: Map<string, string>): ProgramLine[] {
  const byProgram = new Map<string | null, CampaignRollupRow[]>();
  for (const row of rows) byProgram.set(row.programId, [...(byProgram.get(row.programId) ?? []), row]);
  return [...byProgram.entries()]
    .map(([programId, programRows]) => ({ programId, name: (programId && names.get(programId)) || 'Deleted program', ...reportFigures(programRows) }))
    .sort((a, b) => b.recipients - a.recipients || a.name.localeCompare(b.name));
}

// The rollup's hour is the local wall-clock hour (a timestamp without zone), as its text
// ('2026-03-10 09:00:00').
const wallClock = (hour: string) => DateTime.fromSQL(hour, { zone: 'UTC' });

/** Sends and their outcome over time, per local hour from the first to the last hour with a send
 * (or the period's), per local day when that spans more than three days. */
export function timeline(rows: CampaignRollupRow[], period: DayRange | null = null): Timeline {
  const sent = rows.filter((row) => isSent(row.status) && row.messages > 0);
  const hours = sent.map((row) => wallClock(row.hour));
  const first = period ? DateTime.fromISO(period.from, { zone: 'UTC' }) : DateTime.min(...hours);
  const last = period ? DateTime.fromISO(period.to, { zone: 'UTC' }).endOf('day') : DateTime.max(...hours);
  if (!first || !last) return { step: 'hour', labels: [], delivered: [], undelivered: [], otherSent: [] };
  const step = last.diff(first, 'hours').hours >= HOURLY_CHART_MAX_HOURS ? 'day' : 'hour';
  const slots: string[] = [];
  for (let at = first.startOf(step); at <= last; at = at.plus({ [step]: 1 })) slots.push(slotOf(at, step));
  const series = { delivered: slots.map(() => 0), undelivered: slots.map(() => 0), otherSent: slots.map(() => 0) };
  sent.forEach((row, i) => {
    const index = slots.indexOf(slotOf(hours[i]!, step));
    if (index < 0) return;
    const outcome = row.status === 'delivered' ? 'delivered' : row.status === 'undelivered' || row.status === 'failed' ? 'undelivered' : 'otherSent';
    series[outcome][index]! += row.messages;
  });
  return { step, labels: slots, ...series };
}

const slotOf = (at: DateTime, step: 'hour' | 'day') => at.toFormat(step === 'hour' ? 'dd-LL HH:00' : 'dd-LL-yyyy');

export function timelineChart(line: Timeline): ChartLayout {
  return stackedBars(
    line.labels,
    [
      { name: 'Delivered', className: 'chart-delivered', values: line.delivered },
      { name: 'Undelivered', className: 'chart-undelivered', values: line.undelivered },
      { name: 'Sent, other outcome', className: 'chart-sent', values: line.otherSent },
    ],
    (value) => Math.round(value).toLocaleString('en'),
  );
}

/** The local hours [from, to) of a period's days, as campaignRollupRows takes them. */
export function hoursOf(period: DayRange): { from: string; to: string } {
  return { from: `${period.from} 00:00`, to: `${DateTime.fromISO(period.to, { zone: 'UTC' }).plus({ days: 1 }).toISODate()} 00:00` };
}

/** Everything a campaign's report shows; `period` for an automation campaign. */
export async function campaignReport(em: EntityManager, campaign: Campaign, period: DayRange | null) {
  const accountId = campaign.account.id;
  const [rows, stops, clicks] = await Promise.all([
    campaignRollupRows(em, accountId, campaign.id, period ? hoursOf(period) : undefined),
    stopRepliesAfter(em, accountId, campaign.id),
    linkClicks(em, accountId, campaign.id),
  ]);
  const stopDays = period ? stops.byDay.filter((d) => d.day >= period.from && d.day <= period.to) : stops.byDay;
  const figures = reportFigures(rows);
  const line = timeline(rows, period);
  const live = campaign.status === 'sending' || campaign.status === 'paused' || figures.pending > 0;
  return {
    figures,
    live,
    countries: countryLines(rows),
    programs: period ? programLines(rows, await programNames(em, rows)) : [],
    timeline: line,
    chart: timelineChart(line),
    stops: { count: stopDays.reduce((sum, d) => sum + d.count, 0), byDay: stopDays },
    clicks: clicks satisfies LinkClicks[],
  };
}
export type CampaignReport = Awaited<ReturnType<typeof campaignReport>>;

async function programNames(em: EntityManager, rows: CampaignRollupRow[]): Promise<Map<string, string>> {
  const ids = [...new Set(rows.flatMap((row) => (row.programId ? [row.programId] : [])))];
  if (!ids.length) return new Map();
  const programs = await em.find(Program, { id: { $in: ids } }, { fields: ['id', 'name'] });
  return new Map(programs.map((program) => [program.id, program.name]));
}
