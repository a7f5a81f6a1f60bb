// Reading series out of a run's tidy rows for the report: one value per (mode, scale), the mean
// over repetitions, finite values only. Nothing here assumes a metric exists.
import { type Clock, type ResultRow, type RunResults, type SampleSet, splitSeries } from '../metrics/results.ts';
import { findMode, modeRank } from '../proxy/modes.ts';
import { quantile } from '../metrics/stats.ts';

// Series are modes, or a mode's variant ("iptables+partial": KEP-3453 partial restores): each
// keeps the colour and shape its descriptor gives it (colour-blind-safe Tableau hues), in
// registry order with variants right after their mode; anything unknown comes last.
const EXTRA_COLORS = ['#59a14f', '#b07aa1', '#76b7b2', '#9c755f', '#edc948'];

/** A series' own display (colour, shape), from the registry; undefined for an unknown one. */
export function seriesDisplay(key: string): { color: string; shape: string } | undefined {
  const { mode, variant } = splitSeries(key);
  const m = findMode(mode);
  if (!m) return undefined;
  if (!variant) return m.display;
  return m.variants.find((v) => v.name === variant)?.display;
}

/** Display name of a series: the mode's label, with its variant's ("iptables, partial restores (KEP-3453)"). */
export function seriesLabel(key: string): string {
  const { mode, variant } = splitSeries(key);
  const m = findMode(mode);
  if (!m) return key;
  const v = variant ? m.variants.find((x) => x.name === variant) : undefined;
  return v ? `${m.label}, ${v.label}` : variant ? `${m.label} (${variant})` : m.label;
}

export interface SeriesPoint {
  mode: string;
  scale: number;
  value: number;
  /** Repetitions averaged into `value`. */
  n: number;
  /** Smallest and largest repetition (equal to `value` with one repetition). */
  min?: number;
  max?: number;
}

/** Series of the run in the registry's order (variants after their mode, then any others by name). */
export function runModes(results: RunResults): string[] {
  const seen = new Set<string>([...(Array.isArray(results.meta?.modes) ? results.meta.modes : []), ...results.rows.map((r) => r.mode)]);
  return sortModes([...seen]);
}

export function sortModes(modes: Iterable<string>): string[] {
  const rank = (key: string) => {
    const { mode, variant } = splitSeries(key);
    return modeRank(mode) * 2 + (variant ? 1 : 0);
  };
  return [...new Set(modes)].filter((m) => typeof m === 'string').sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** A vega-lite colour scale fixed to the run's modes, so a mode keeps its colour in every chart. */
export function modeColorScale(modes: string[]): { domain: string[]; range: string[] } {
  let extra = 0;
  // Extra modes never take a colour a known mode of this run already has.
  const free = EXTRA_COLORS.filter((c) => !modes.some((m) => seriesDisplay(m)?.color === c));
  return { domain: modes, range: modes.map((m) => seriesDisplay(m)?.color ?? free[extra++ % free.length]) };
}

/** Mean over repetitions of one (metric, clock, statistic), per mode and scale, sorted by mode then scale. */
export function series(rows: ResultRow[], metric: string, clock: Clock, statistic: string): SeriesPoint[] {
  const acc = new Map<string, { mode: string; scale: number; sum: number; n: number; min: number; max: number }>();
  for (const r of rows) {
    if (r.metric !== metric || r.clock !== clock || r.statistic !== statistic) continue;
    if (typeof r.value !== 'number' || !Number.isFinite(r.value) || !Number.isFinite(r.scale)) continue;
    const key = `${r.mode}\u0000${r.scale}`;
    const a = acc.get(key) ?? { mode: r.mode, scale: r.scale, sum: 0, n: 0, min: Infinity, max: -Infinity };
    a.sum += r.value;
    a.n += 1;
    a.min = Math.min(a.min, r.value);
    a.max = Math.max(a.max, r.value);
    acc.set(key, a);
  }
  const modes = sortModes([...acc.values()].map((a) => a.mode));
  return [...acc.values()]
    .map((a) => ({ mode: a.mode, scale: a.scale, value: a.sum / a.n, n: a.n, min: a.min, max: a.max }))
    .sort((a, b) => modes.indexOf(a.mode) - modes.indexOf(b.mode) || a.scale - b.scale);
}

/** The unit rows of a metric on a clock carry ('' when there are none). */
export function unitOf(rows: ResultRow[], metric: string, clock: Clock): string {
  return rows.find((r) => r.metric === metric && r.clock === clock)?.unit ?? '';
}

/** Points with a value a log axis can show (> 0), and how many were dropped. */
export function positiveOnly<T extends { value: number }>(points: T[]): { kept: T[]; dropped: number } {
  const kept = points.filter((p) => p.value > 0);
  return { kept, dropped: points.length - kept.length };
}

/**
 * kpsim's value of a series at `scale`: exact when the run measured that scale, else interpolated
 * on log-log axes between the two scales around it; null outside the run's range.
 */
export function valueAt(points: SeriesPoint[], mode: string, scale: number): { value: number; exact: boolean } | null {
  const own = points.filter((p) => p.mode === mode).sort((a, b) => a.scale - b.scale);
  const hit = own.find((p) => p.scale === scale);
  if (hit) return { value: hit.value, exact: true };
  for (let i = 1; i < own.length; i++) {
    const lo = own[i - 1];
    const hi = own[i];
    if (lo.scale < scale && scale < hi.scale && lo.value > 0 && hi.value > 0 && lo.scale > 0) {
      const t = Math.log(scale / lo.scale) / Math.log(hi.scale / lo.scale);
      return { value: Math.exp(Math.log(lo.value) + t * Math.log(hi.value / lo.value)), exact: false };
    }
  }
  return null;
}

export interface SampleSpread {
  q1: number;
  q3: number;
  min: number;
  max: number;
  n: number;
  /** Repetitions pooled. */
  repetitions: number;
}

/** p25, p75, min and max of a metric's raw wall-clock samples per (mode, scale), repetitions pooled. */
export function sampleQuartiles(samples: SampleSet[] | undefined, metric: string): Map<string, SampleSpread> {
  const pooled = new Map<string, { values: number[]; reps: Set<number> }>();
  for (const s of Array.isArray(samples) ? samples : []) {
    if (!s || s.metric !== metric || !Array.isArray(s.values)) continue;
    const key = pointKey(s.mode, s.scale);
    const at = pooled.get(key) ?? { values: [], reps: new Set<number>() };
    for (const v of s.values) if (typeof v === 'number' && Number.isFinite(v)) at.values.push(v);
    at.reps.add(s.repetition);
    pooled.set(key, at);
  }
  const out = new Map<string, SampleSpread>();
  for (const [key, { values, reps }] of pooled) {
    if (values.length < 4) continue;
    values.sort((a, b) => a - b);
    out.set(key, {
      q1: quantile(values, 0.25),
      q3: quantile(values, 0.75),
      min: values[0],
      max: values[values.length - 1],
      n: values.length,
      repetitions: reps.size,
    });
  }
  return out;
}

export function pointKey(mode: string, scale: number): string {
  return `${mode}\u0000${scale}`;
}
