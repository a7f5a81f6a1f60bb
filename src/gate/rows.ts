// Single numbers (result rows) of the two runs at the points both have.
//
// Simulated clock: per (mode, scale, repetition, metric, statistic), exact by default. The cost
// model is deterministic (same scenario and seed, byte-identical results), so any difference is
// a change in the code or the model, in either direction; a configured relative threshold
// (|current - baseline| / |baseline|) relaxes that per metric.
//
// Wall clock without samples (sync times, ...): one measurement per repetition, so no test is
// possible. Repetitions are pooled by their median and only the ratio is gated, with generous
// factors (warn 2x, fail 3x by default) and a per-unit noise floor (by default a change under
// 500 ms never counts: one-shot timings of small syncs moved 2-15x between unchanged runs).
// These are not normalised by the calibration loop. Wall rows that summarise a sample set
// (lookup.latency p50, ...) are left to the sample test.
import type { ResultRow, RunResults } from '../metrics/results.ts';
import { seriesKey } from '../metrics/results.ts';
import { type GateConfig, isIgnored, thresholdsFor } from './config.ts';
import { median, pointKey } from './keys.ts';
import { badness } from './samples.ts';
import type { Comparison, Direction, Verdict } from './types.ts';

export interface RowOutcome {
  comparisons: Comparison[];
  ignored: Set<string>;
}

export function compareRows(
  baseline: RunResults,
  current: RunResults,
  common: Set<string>,
  sampled: Set<string>,
  config: GateConfig,
): RowOutcome {
  const out: RowOutcome = { comparisons: [], ignored: new Set() };
  const ref = config.wallSamples.normalizeBy;
  const keep = (r: ResultRow) =>
    common.has(pointKey(seriesKey(r), r.scale, r.repetition)) &&
    !(r.clock === 'wall' && (r.metric === ref || sampled.has(`${seriesKey(r)}|${r.scale}|${r.metric}`)));
  const b = group(baseline.rows.filter(keep));
  const c = group(current.rows.filter(keep));
  const keys = [...new Set([...b.keys(), ...c.keys()])];
  for (const key of keys) {
    const rb = b.get(key);
    const rc = c.get(key);
    const first = (rb ?? rc)![0];
    const subject = { mode: seriesKey(first), metric: first.metric, clock: first.clock, statistic: first.statistic };
    if (isIgnored(config, subject)) {
      out.ignored.add(key);
      continue;
    }
    const skeleton = {
      kind: first.clock === 'simulated' ? ('simulated' as const) : ('wall-row' as const),
      mode: seriesKey(first),
      scale: first.scale,
      repetition: first.clock === 'simulated' ? first.repetition : null,
      metric: first.metric,
      clock: first.clock,
      statistic: first.statistic,
      unit: first.unit,
      p: null,
    };
    const vb = rb ? median(rb.map((r) => r.value)) : null;
    const vc = rc ? median(rc.map((r) => r.value)) : null;
    if (vb === null || vc === null) {
      out.comparisons.push({
        ...skeleton,
        baseline: vb,
        current: vc,
        change: null,
        verdict: vb === null ? 'new' : 'missing',
        note: vb === null ? 'not in the baseline' : 'not in the current run',
      });
      continue;
    }
    const t = thresholdsFor(config, subject);
    const change = relativeChange(vb, vc);
    if (first.clock === 'simulated') {
      const bad = worse(change, t.direction);
      const verdict: Verdict = bad > t.simulated.fail ? 'FAIL' : bad > t.simulated.warn ? 'warn' : 'pass';
      out.comparisons.push({
        ...skeleton,
        baseline: vb,
        current: vc,
        change,
        verdict,
        note: verdict === 'pass' ? undefined : t.simulated.fail === 0 ? 'simulated numbers must match exactly' : undefined,
      });
    } else {
      const floor = config.wallRows.noiseFloor[first.unit] ?? 0;
      const factor = vb === vc ? 1 : badness(vb === 0 ? (vc > 0 ? Infinity : -Infinity) : vc / vb, t.direction);
      const underFloor = Math.abs(vc - vb) < floor;
      const verdict: Verdict = underFloor ? 'pass' : factor > t.wallRows.fail ? 'FAIL' : factor > t.wallRows.warn ? 'warn' : 'pass';
      const reps = Math.max(rb!.length, rc!.length);
      const notes = [
        reps > 1 ? `median of ${rb!.length}/${rc!.length} repetitions` : '',
        underFloor && factor > t.wallRows.warn ? `change under the ${floor} ${first.unit} noise floor` : '',
      ].filter(Boolean);
      out.comparisons.push({ ...skeleton, baseline: vb, current: vc, change, verdict, note: notes.join('; ') || undefined });
    }
  }
  return out;
}

/** Simulated rows are keyed per repetition (each is deterministic); wall rows pool repetitions. */
function group(rows: ResultRow[]): Map<string, ResultRow[]> {
  const m = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const key = [r.clock, seriesKey(r), r.scale, r.clock === 'simulated' ? r.repetition : '*', r.metric, r.statistic].join('|');
    const list = m.get(key);
    if (list) list.push(r);
    else m.set(key, [r]);
  }
  return m;
}

export function relativeChange(b: number, c: number): number {
  if (b === c) return 0;
  if (b === 0) return c > 0 ? Infinity : -Infinity;
  return (c - b) / Math.abs(b);
}

/** The relative change that counts against the number, given which way is worse. */
function worse(change: number, direction: Direction): number {
  return direction === 'both' ? Math.abs(change) : direction === 'lower' ? Math.max(change, 0) : Math.max(-change, 0);
}
