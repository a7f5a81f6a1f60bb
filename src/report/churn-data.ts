// Reading a churn sweep's rows for the report: one value per (mode, services, churn rate), the
// mean over repetitions. The rate lives in the metric name ("programming.latency@10/s").
import { churnRates, parseChurnMetric } from '../metrics/churn-rows.ts';
import type { ResultRow, RunResults } from '../metrics/results.ts';
import type { SeriesPoint } from './data.ts';
import { sortModes } from './data.ts';

export interface ChurnPoint {
  mode: string;
  scale: number;
  /** Churn events per second; null for rows whose metric names carry no rate. */
  rate: number | null;
  value: number;
  n: number;
}

/** Mean over repetitions of one churn metric (simulated clock) per mode, scale and rate. */
export function churnSeries(rows: readonly ResultRow[], base: string, statistic: string): ChurnPoint[] {
  const acc = new Map<string, { mode: string; scale: number; rate: number | null; sum: number; n: number }>();
  for (const r of rows) {
    if (r.clock !== 'simulated' || r.statistic !== statistic || !Number.isFinite(r.value) || !Number.isFinite(r.scale)) continue;
    const m = parseChurnMetric(r.metric);
    if (m.base !== base) continue;
    const key = `${r.mode}\u0000${r.scale}\u0000${m.rate}`;
    const a = acc.get(key) ?? { mode: r.mode, scale: r.scale, rate: m.rate, sum: 0, n: 0 };
    a.sum += r.value;
    a.n += 1;
    acc.set(key, a);
  }
  const modes = sortModes([...acc.values()].map((a) => a.mode));
  return [...acc.values()]
    .map((a) => ({ mode: a.mode, scale: a.scale, rate: a.rate, value: a.sum / a.n, n: a.n }))
    .sort((a, b) => modes.indexOf(a.mode) - modes.indexOf(b.mode) || (a.rate ?? -1) - (b.rate ?? -1) || a.scale - b.scale);
}

/** The points at one rate, as the data-plane helpers (valueAt, positiveOnly) take them. */
export function atRate(points: readonly ChurnPoint[], rate: number | null): SeriesPoint[] {
  return points.filter((p) => p.rate === rate).map((p) => ({ mode: p.mode, scale: p.scale, value: p.value, n: p.n }));
}

/** The run's churn rates, ascending. */
export function runRates(results: RunResults): (number | null)[] {
  const fromMeta = Array.isArray(results.meta?.churn?.rates)
    ? results.meta.churn.rates.filter((r) => typeof r === 'number' && Number.isFinite(r))
    : [];
  const rates = new Set<number | null>(churnRates(results.rows));
  for (const r of fromMeta) rates.add(r);
  return [...rates].sort((a, b) => (a ?? -1) - (b ?? -1));
}

/** A facet header or legend label: "10 events/s". */
export function rateLabel(rate: number | null): string {
  return rate === null ? "the scenario's churn rate" : `${Number(rate.toPrecision(6))} events/s`;
}

/** The middle rate (the lower of the two middle ones): a single-rate chart's choice. */
export function middleRate(rates: readonly (number | null)[]): number | null {
  return rates.length === 0 ? null : rates[Math.floor((rates.length - 1) / 2)];
}

/**
 * The scale a chart against churn rate is drawn at: the largest at which every mode has values
 * at the most rates (so no mode's line is missing), services ascending as the tie-break.
 */
export function fixedScale(points: readonly ChurnPoint[]): number | null {
  const modes = [...new Set(points.map((p) => p.mode))];
  const scales = [...new Set(points.map((p) => p.scale))].sort((a, b) => a - b);
  let best: number | null = null;
  let bestCover = -1;
  for (const s of scales) {
    // Rates covered by the mode with the fewest rates at this scale.
    const cover = Math.min(...modes.map((m) => new Set(points.filter((p) => p.mode === m && p.scale === s).map((p) => p.rate)).size));
    if (cover >= bestCover) {
      best = s;
      bestCover = cover;
    }
  }
  return best;
}
