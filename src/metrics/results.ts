// The shape of a run's results: tidy rows (one per point, metric and statistic), the raw
// wall-clock samples the regression gate tests, and the complexity fits.

/** Which clock a number comes from: the deterministic cost model, or this machine's wall clock. */
export type Clock = 'simulated' | 'wall';

export interface ResultRow {
  mode: string;
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
  scale: number;
  repetition: number;
  metric: string;
  unit: string;
  values: number[];
}

export interface PointRecord {
  mode: string;
  scale: number;
  repetition: number;
  /** Churn events per second, for a churn sweep's points (one per mode, scale and rate). */
  rate?: number;
  status: 'ok' | 'failed';
  error?: string;
  /** Wall-clock seconds the point took in its worker. */
  wallSeconds: number;
}

export interface FitRecord {
  mode: string;
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
  iptablesProfile?: 'modern' | 'legacy';
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
  /** Whether iptables+partial (KEP-3453 partial restore) points were run beside full-restore ones. */
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
  /** Wall-clock seconds the point took inside its worker (queue wait excluded). */
  wallSeconds?: number;
}

const MODE_ORDER = ['userspace', 'iptables', 'ipvs'];

/** A total order on rows so output never depends on which worker finished first. */
export function compareRows(a: ResultRow, b: ResultRow): number {
  return (
    modeRank(a.mode) - modeRank(b.mode) ||
    a.scale - b.scale ||
    a.repetition - b.repetition ||
    cmp(a.metric, b.metric) ||
    cmp(a.clock, b.clock) ||
    cmp(a.statistic, b.statistic)
  );
}

export function comparePoints(
  a: { mode: string; scale: number; repetition: number },
  b: { mode: string; scale: number; repetition: number },
): number {
  return modeRank(a.mode) - modeRank(b.mode) || a.scale - b.scale || a.repetition - b.repetition;
}

function modeRank(m: string): number {
  const i = MODE_ORDER.indexOf(m);
  return i < 0 ? MODE_ORDER.length : i;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
