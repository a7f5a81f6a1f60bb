// Wall-clock sample sets (e.g. lookup.latency, ns per lookup per tinybench task): the current run
// against the baseline at each (mode, scale, metric), repetitions pooled.
//
// 1. Normalise: each repetition's samples are divided by the median of `normalizeBy`
//    (calibration.loop, a fixed integer loop timed in the same point), so the numbers are "cost in
//    calibration loops" and a uniformly slower machine is not a regression. If either run lacks
//    the reference at any repetition used, neither run is normalised (a warning says so).
// 2. Effect size: ratio of the medians of the normalised samples (current / baseline). With
//    several repetitions, each run's median is the median over its repetitions of each
//    repetition's median, so one disturbed repetition (a busy neighbour) does not move it.
// 3. Significance: a one-sided permutation test (simple-statistics permutationTest, difference of
//    means) on the logs of the normalised samples, with a seeded random source so the verdict is
//    reproducible. Logs make the test about a multiplicative shift and keep a few GC outliers from
//    dominating the means. simple-statistics returns count/k, which can be 0; we report
//    (count + 1) / (k + 1), so the smallest attainable p-value is 1/(k+1).
// 4. Verdict: FAIL when the ratio is beyond the fail factor AND p < the fail p (asv's rule:
//    1.1 and 0.002 by default); warn likewise with the warn levels; else pass.
import { permutationTest } from 'simple-statistics';
import { Rng } from '../engine/rng.ts';
import type { RunResults } from '../metrics/results.ts';
import { seriesKey } from '../metrics/results.ts';
import { type GateConfig, isIgnored, thresholdsFor } from './config.ts';
import { median, pointKey } from './keys.ts';
import type { Comparison, Direction, Verdict } from './types.ts';

interface SetsAt {
  mode: string;
  scale: number;
  metric: string;
  unit: string;
  reps: Map<number, number[]>;
}

export interface SampleOutcome {
  comparisons: Comparison[];
  /** `mode|scale|metric` keys with samples in either run: their wall rows are summaries of the samples and are not compared again. */
  sampled: Set<string>;
  ignored: Set<string>;
  warnings: string[];
}

export function compareSamples(baseline: RunResults, current: RunResults, common: Set<string>, config: GateConfig): SampleOutcome {
  const ref = config.wallSamples.normalizeBy;
  const b = indexSamples(baseline, common);
  const c = indexSamples(current, common);
  const sampled = new Set([...b.keys(), ...c.keys()]);
  const out: SampleOutcome = { comparisons: [], sampled, ignored: new Set(), warnings: [] };
  for (const key of [...sampled].sort()) {
    const at = (b.get(key) ?? c.get(key))!;
    const { mode, scale, metric, unit } = at;
    if (metric === ref) continue; // the yardstick is not gated itself
    const subject = { mode, metric, clock: 'wall' as const, statistic: null };
    if (isIgnored(config, subject)) {
      out.ignored.add(`${key}|samples`);
      continue;
    }
    const base = b.get(key);
    const cur = c.get(key);
    const skeleton = {
      kind: 'wall-samples' as const,
      mode,
      scale,
      repetition: null,
      metric,
      clock: 'wall' as const,
      statistic: null,
      unit,
      p: null,
    };
    if (!base || !cur) {
      const sets = (base ?? cur)!;
      const v = median([...sets.reps.values()].flat());
      out.comparisons.push({
        ...skeleton,
        baseline: base ? v : null,
        current: cur ? v : null,
        change: null,
        verdict: base ? 'missing' : 'new',
        note: base ? 'no samples in the current run' : 'no samples in the baseline',
      });
      continue;
    }
    const t = thresholdsFor(config, subject);
    const norm = normalise(base, cur, ref, ref ? [b.get(`${mode}|${scale}|${ref}`), c.get(`${mode}|${scale}|${ref}`)] : null);
    if (norm.warning) out.warnings.push(`${mode} ${scale} ${metric}: ${norm.warning}`);
    const rng = new Rng(config.wallSamples.seed).fork(`${mode}/${scale}/${metric}`);
    const max = config.wallSamples.maxSamples;
    const xb = subsample(norm.base, max, rng.fork('baseline'));
    const xc = subsample(norm.current, max, rng.fork('current'));
    const ratio = median(norm.repMedians[1]) / median(norm.repMedians[0]);
    const p = permutationP(xb, xc, t.direction, config.wallSamples.permutations, rng.fork('permutation'));
    const factor = badness(ratio, t.direction);
    const verdict: Verdict =
      factor > t.wallSamples.fail.factor && p < t.wallSamples.fail.p
        ? 'FAIL'
        : factor > t.wallSamples.warn.factor && p < t.wallSamples.warn.p
          ? 'warn'
          : 'pass';
    const reps = Math.max(base.reps.size, cur.reps.size) > 1 ? `; median of ${base.reps.size}/${cur.reps.size} repetition medians` : '';
    const counts = `n=${norm.base.length}/${norm.current.length}${norm.base.length > max || norm.current.length > max ? ` (subsampled to ${max})` : ''}${reps}`;
    out.comparisons.push({
      ...skeleton,
      baseline: median([...base.reps.values()].flat()),
      current: median([...cur.reps.values()].flat()),
      change: ratio - 1,
      p,
      verdict,
      note: `${norm.note}; ${counts}`,
    });
  }
  return out;
}

function indexSamples(r: RunResults, common: Set<string>): Map<string, SetsAt> {
  const m = new Map<string, SetsAt>();
  for (const s of r.samples) {
    if (s.values.length === 0 || !common.has(pointKey(seriesKey(s), s.scale, s.repetition))) continue;
    const key = `${seriesKey(s)}|${s.scale}|${s.metric}`;
    let at = m.get(key);
    if (!at) m.set(key, (at = { mode: seriesKey(s), scale: s.scale, metric: s.metric, unit: s.unit, reps: new Map() }));
    at.reps.set(s.repetition, [...(at.reps.get(s.repetition) ?? []), ...s.values]);
  }
  return m;
}

interface Normalised {
  base: number[];
  current: number[];
  /** Per repetition, the median of its (normalised) samples: [baseline, current]. */
  repMedians: [number[], number[]];
  note: string;
  warning?: string;
}

function normalise(base: SetsAt, cur: SetsAt, ref: string | null, refs: [SetsAt | undefined, SetsAt | undefined] | null): Normalised {
  const flat = (s: SetsAt) => [...s.reps.values()].flat();
  const raw = (): [number[], number[]] => [[...base.reps.values()].map(median), [...cur.reps.values()].map(median)];
  if (!ref || !refs) return { base: flat(base), current: flat(cur), repMedians: raw(), note: 'not normalised (normalizeBy: none)' };
  const [rb, rc] = refs;
  const lacking = (s: SetsAt, r: SetsAt | undefined) =>
    [...s.reps.keys()].filter((rep) => !r?.reps.has(rep) || !(median(r.reps.get(rep)!) > 0));
  const lb = lacking(base, rb);
  const lc = lacking(cur, rc);
  if (lb.length || lc.length) {
    const where = [lb.length ? `baseline repetition ${lb.join(', ')}` : '', lc.length ? `current repetition ${lc.join(', ')}` : '']
      .filter(Boolean)
      .join(' and ');
    return {
      base: flat(base),
      current: flat(cur),
      repMedians: raw(),
      note: 'NOT normalised',
      warning: `no ${ref} samples in ${where}: compared without normalisation, so a slower machine would look like a regression`,
    };
  }
  const scaled = (s: SetsAt, r: SetsAt) =>
    [...s.reps].map(([rep, values]) => {
      const m = median(r.reps.get(rep)!);
      return values.map((v) => v / m);
    });
  const sb = scaled(base, rb!);
  const sc = scaled(cur, rc!);
  const machine = median([...rc!.reps.values()].map(median)) / median([...rb!.reps.values()].map(median));
  return {
    base: sb.flat(),
    current: sc.flat(),
    repMedians: [sb.map(median), sc.map(median)],
    note: `normalised by ${rb!.metric} (machine ×${machine.toFixed(2)})`,
  };
}

/** Seeded subsample without replacement (partial Fisher-Yates) when there are more than `max` values. */
function subsample(values: number[], max: number, rng: Rng): number[] {
  if (values.length <= max) return values;
  const a = values.slice();
  for (let i = 0; i < max; i++) {
    const j = rng.int(i, a.length);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, max);
}

/** One-sided (or two-sided for 'both') permutation p-value on the logs, never 0: (count+1)/(k+1). */
export function permutationP(base: number[], cur: number[], direction: Direction, k: number, rng: Rng): number {
  const lb = base.map(safeLog);
  const lc = cur.map(safeLog);
  // permutationTest(x, y, 'greater') asks whether mean(x) - mean(y) is larger than chance.
  const alternative = direction === 'lower' ? 'greater' : direction === 'higher' ? 'less' : 'two_side';
  const frac = permutationTest(lc, lb, alternative, k, () => rng.next());
  const count = Math.round(frac * k);
  return (count + 1) / (k + 1);
}

function safeLog(v: number): number {
  return Math.log(Math.max(v, Number.MIN_VALUE));
}

/** How much worse, as a factor ≥ 1 when worse: the ratio itself when lower is better. */
export function badness(ratio: number, direction: Direction): number {
  if (Number.isNaN(ratio)) return 1;
  return direction === 'lower' ? ratio : direction === 'higher' ? 1 / ratio : Math.max(ratio, 1 / ratio);
}
