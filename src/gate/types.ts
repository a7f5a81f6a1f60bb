// What the regression gate produces: one comparison per checked number, one check per complexity
// band, and the overall verdict.
import type { Clock } from '../metrics/results.ts';

/** pass, warn (reported, exit 0), FAIL (regression), new (only in current), missing (only in baseline: a failure). */
export type Verdict = 'pass' | 'warn' | 'FAIL' | 'new' | 'missing';

/** Which rule produced a comparison. */
export type ComparisonKind = 'simulated' | 'wall-samples' | 'wall-row' | 'point';

/** Which way is worse: 'lower' is better (latency), 'higher' is better (throughput), 'both' = any change. */
export type Direction = 'lower' | 'higher' | 'both';

export interface Comparison {
  kind: ComparisonKind;
  mode: string;
  scale: number;
  /** The repetition compared, or null when repetitions are pooled (wall clock). */
  repetition: number | null;
  metric: string;
  clock: Clock | null;
  statistic: string | null;
  unit: string;
  baseline: number | null;
  current: number | null;
  /** Relative change current/baseline - 1 (for sample tests: of the normalised medians). */
  change: number | null;
  /** Permutation-test p-value (sample tests only). */
  p: number | null;
  verdict: Verdict;
  note?: string;
}

export interface BandCheck {
  mode: string;
  metric: string;
  clock: Clock;
  statistic: string;
  min: number | null;
  max: number | null;
  baselineExponent: number | null;
  exponent: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  verdict: 'pass' | 'FAIL' | 'missing';
}

export type Outcome = 'pass' | 'warn' | 'FAIL';

export interface GateReport {
  baselineFile: string;
  currentFile: string;
  baselineRun: string;
  currentRun: string;
  comparisons: Comparison[];
  bands: BandCheck[];
  /** Bands of the config that matched no fit in either run (e.g. a mode the run does not have). */
  bandsSkipped: number;
  /** Numbers left out by the ignore list. */
  ignored: number;
  /** Things the reader must know (normalisation fallback, different scenario, ...). */
  warnings: string[];
  outcome: Outcome;
}

const RANK: Record<Verdict, number> = { FAIL: 4, missing: 3, warn: 2, new: 1, pass: 0 };

/** Higher is worse: FAIL > missing > warn > new > pass. */
export function severity(v: Verdict): number {
  return RANK[v];
}

export function isFailure(v: Verdict): boolean {
  return v === 'FAIL' || v === 'missing';
}
