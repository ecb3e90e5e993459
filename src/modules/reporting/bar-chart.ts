// Bar charts drawn on the server as SVG (views/reporting/_bar-chart.eta): no script, no build
// step, nothing for the CSP to refuse, and the same figures in a table beside it for screen
// readers. This file only lays the bars out; colours come from app.css by series class.

export interface ChartSeries {
  /** What the series counts, in the legend and each bar's tooltip ("Batch"). */
  name: string;
  /** Its CSS class (`chart-batch`): the fill comes from the stylesheet. */
  className: string;
  /** One value per label, in order. */
  values: number[];
}

export interface ChartBar {
  x: number;
  y: number;
  width: number;
  height: number;
  className: string;
  /** The tooltip: label, series and value. */
  title: string;
}

export interface ChartLayout {
  width: number;
  height: number;
  /** The plot's left edge and bottom (the axes). */
  left: number;
  bottom: number;
  bars: ChartBar[];
  /** Horizontal grid lines with their value. */
  ticks: { y: number; label: string }[];
  /** Labels under some bars (as many as fit). */
  xLabels: { x: number; label: string }[];
  legend: { name: string; className: string }[];
}

const WIDTH = 640;
const HEIGHT = 220;
const LEFT = 56;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 24;
/** At most this many x labels, evenly spread. */
const MAX_X_LABELS = 8;

/** A round step for about four grid lines up to `max` (1, 2 or 5 times a power of ten). */
function niceStep(max: number): number {
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const multiple = [1, 2, 5, 10].find((m) => m * power >= rough) ?? 10;
  return multiple * power;
}

/** Stacked bars, one per label, the series on top of one another in the order given. */
export function stackedBars(labels: string[], series: ChartSeries[], format: (value: number) => string): ChartLayout {
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const max = Math.max(0, ...totals);
  const step = max > 0 ? niceStep(max) : 1;
  const top = Math.max(step, Math.ceil(max / step) * step);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = labels.length ? plotWidth / labels.length : plotWidth;
  const barWidth = Math.max(1, slot * 0.8);
  const scale = (value: number) => (value / top) * plotHeight;
  const bars: ChartBar[] = [];
  labels.forEach((label, i) => {
    let base = HEIGHT - BOTTOM;
    for (const s of series) {
      const value = s.values[i] ?? 0;
      if (value <= 0) continue;
      const height = scale(value);
      base -= height;
      bars.push({ x: round(LEFT + i * slot + (slot - barWidth) / 2), y: round(base), width: round(barWidth), height: round(height), className: s.className, title: `${label} · ${s.name}: ${format(value)}` });
    }
  });
  const ticks = [];
  for (let value = 0; value <= top + step / 2; value += step) ticks.push({ y: round(HEIGHT - BOTTOM - scale(value)), label: format(value) });
  const every = Math.max(1, Math.ceil(labels.length / MAX_X_LABELS));
  const xLabels = labels.flatMap((label, i) => (i % every === 0 ? [{ x: round(LEFT + i * slot + slot / 2), label }] : []));
  return { width: WIDTH, height: HEIGHT, left: LEFT, bottom: HEIGHT - BOTTOM, bars, ticks, xLabels, legend: series.map((s) => ({ name: s.name, className: s.className })) };
}

const round = (n: number) => Math.round(n * 10) / 10;
