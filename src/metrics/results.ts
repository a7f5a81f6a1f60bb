// The shape of a run's results: tidy rows (one per point, metric and statistic), the raw
// wall-clock samples the regression gate tests, and the complexity fits.
import type { IptablesProfile } from '../netfilter/costs.ts';
import { modeRank } from '../proxy/modes.ts';
import type { CostModelInfo } from './cost-model-source.ts';

/** Which clock a number comes from: the deterministic cost model, or this machine's wall clock. */
export type Clock = 'simulated' | 'wall';

export interface ResultRow {
  mode: string;
  /** A variant of the mode (descriptor.variants, e.g. iptables' 'partial'); absent for the mode as it is. */
  variant?: string;
  scale: number;
  repetition: number;
  metric: string;
  clock: Clock;
  unit: string;
  statistic: string;
  value: number;
}

/** Raw wall-clock samples of one metric at one point (e.g. ns per lookup per tinybench task). */
export interface SampleSet {
  mode: string;
  variant?: string;
  scale: number;
  repetition: number;
  metric: string;
  unit: string;
  values: number[];
}

/** A capacity a point's data plane exceeded: the finding, with a sample of what did not fit. */
export interface PointLimit {
  name: string;
  capacity: number;
  wanted: number;
  droppedCount: number;
  dropped: string[];
  consequence: string;
}

export interface PointRecord {
  mode: string;
  variant?: string;
  scale: number;
  repetition: number;
  /** Churn events per second, for a churn sweep's points (one per mode, scale and rate). */
  rate?: number;
  status: 'ok' | 'failed';
  error?: string;
  /** Capacities the data plane exceeded (the point completed, as the real system does). */
  limits?: PointLimit[];
  /** Wall-clock seconds the point took in its worker. */
  wallSeconds: number;
}

export interface FitRecord {
  mode: string;
  variant?: string;
  metric: string;
  clock: Clock;
  statistic: string;
  unit: string;
  exponent: number;
  ciLow: number;
  ciHigh: number;
  intercept: number;
  r2: number;
  n: number;
  verdict: string;
}

export interface RunMeta {
  runId: string;
  kpsimVersion: string;
  scenario: { name: string; file: string; seed: number | string; sha256: string };
  modes: string[];
  scales: number[];
  repetitions: number;
  /** Which iptables-restore cost profile priced the simulated sync times. */
  iptablesProfile?: IptablesProfile;
  /** Which cost model priced the simulated clock (absent in older results: the defaults). */
  costModel?: CostModelInfo;
  /** The loop and churn settings of a churn sweep (`kpsim churn --sweep`). */
  churn?: ChurnRunMeta;
  shard: { index: number; count: number } | null;
  workers: number;
  git: { commit: string | null; dirty: boolean | null };
  machine: { node: string; platform: string; arch: string; cpuModel: string; cores: number; memoryBytes: number };
  startedAt: string;
  wallSeconds: number;
  /** Set when points the run planned are missing (interrupted, or merged from only some shards). */
  incomplete?: { reason: string; missingPoints: number };
  /** A --simulated-only run: no wall-clock rows or samples. */
  simulatedOnly?: true;
}

export interface ChurnRunMeta {
  /** Churn events per second, one per point; the rows' metric names carry the rate ("@10/s"). */
  rates: number[];
  /** Simulated kube-proxy instances per point. */
  nodes: number;
  durationS: number;
  minSyncPeriodS: number;
  syncPeriodS: number;
  fullSyncPeriodS: number;
  burstSyncs: number;
  /** Whether points of the modes' partial-sync variants (iptables: KEP-3453 partial restores) were run beside full-sync ones. */
  partialSyncToo: boolean;
}

export interface RunResults {
  schema: 'kpsim-results/1';
  meta: RunMeta;
  points: PointRecord[];
  rows: ResultRow[];
  samples: SampleSet[];
  fits: FitRecord[];
}

export interface PointOutput {
  rows: ResultRow[];
  samples: SampleSet[];
  /** Capacities the data plane exceeded at this point (see DataPlane.limits). */
  limits?: PointLimit[];
  /** Wall-clock seconds the point took inside its worker (queue wait excluded). */
  wallSeconds?: number;
}

type Keyed = { mode: string; variant?: string };

/** The series a row, sample or point belongs to: its mode, or "mode+variant" (charts and comparisons key by it). */
export function seriesKey(r: Keyed): string {
  return r.variant ? `${r.mode}+${r.variant}` : r.mode;
}

/** A series key split back into mode and variant. */
export function splitSeries(key: string): { mode: string; variant?: string } {
  const i = key.indexOf('+');
  return i < 0 ? { mode: key } : { mode: key.slice(0, i), variant: key.slice(i + 1) };
}

/**
 * The results with each row's, sample's, point's and fit's mode replaced by its series key
 * ("iptables+partial"): what charts and tables that draw one line per series read.
 */
export function seriesView(results: RunResults): RunResults {
  // Idempotent: a viewed entry has its variant folded into the mode and none left.
  const view = <T extends Keyed>(list: T[]): T[] =>
    Array.isArray(list) ? list.map((r) => (r.variant ? { ...r, mode: seriesKey(r), variant: undefined } : r)) : list;
  return { ...results, rows: view(results.rows), samples: view(results.samples), points: view(results.points), fits: view(results.fits) };
}

/** Results written before variants had a column carried them in the mode ("iptables+partial"): split them. */
export function normalizeVariants<T extends Keyed>(items: T[]): T[] {
  for (const r of items) {
    if (r.variant === undefined && typeof r.mode === 'string' && r.mode.includes('+')) Object.assign(r, splitSeries(r.mode));
  }
  return items;
}

/** A total order on rows so output never depends on which worker finished first. */
export function compareRows(a: ResultRow, b: ResultRow): number {
  return (
    modeRank(a.mode) - modeRank(b.mode) ||
    cmp(a.mode, b.mode) ||
    cmp(a.variant ?? '', b.variant ?? '') ||
    a.scale - b.scale ||
    a.repetition - b.repetition ||
    cmp(a.metric, b.metric) ||
    cmp(a.clock, b.clock) ||
    cmp(a.statistic, b.statistic)
  );
}

export function comparePoints(
  a: { mode: string; variant?: string; scale: number; repetition: number },
  b: { mode: string; variant?: string; scale: number; repetition: number },
): number {
  return (
    modeRank(a.mode) - modeRank(b.mode) ||
    cmp(a.mode, b.mode) ||
    cmp(a.variant ?? '', b.variant ?? '') ||
    a.scale - b.scale ||
    a.repetition - b.repetition
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
