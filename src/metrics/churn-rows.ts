// Control-plane churn rows inside a run's results: a churn sweep appends the churn rate to every
// metric name ("programming.latency@10/s", see churnSweep in src/controlplane), so one
// results.csv holds services x rate x mode. Here: naming, parsing, and the power-law fits of
// sync time and programming latency against services (fits.csv, the report's complexity table).
import { fitOverScales } from './fits.ts';
import { type FitRecord, type ResultRow, seriesKey } from './results.ts';

/** "programming.latency" at 10 events/s -> "programming.latency@10/s". */
export function churnMetricName(base: string, rate: number): string {
  return `${base}@${rate}/s`;
}

/** The metric without its rate suffix, and the rate (null when the name carries none). */
export function parseChurnMetric(metric: string): { base: string; rate: number | null } {
  const m = /^(.+)@([0-9.eE+-]+)\/s$/.exec(metric);
  if (m && Number.isFinite(Number(m[2]))) return { base: m[1], rate: Number(m[2]) };
  return { base: metric, rate: null };
}

// The metric names summaryRows (src/controlplane/report.ts) writes; none collides with a
// data-plane sweep metric (sync.full, sync.add_service, lookup.*, ...).
const CHURN_BASE = /^(programming|queue|churn|ruleset)\.|^sync\.(duration\.|count$)|^proxy\.cpu_share$/;

export function isChurnRow(row: Pick<ResultRow, 'metric'>): boolean {
  return CHURN_BASE.test(parseChurnMetric(row.metric).base);
}

/** A run has churn results when it has network programming latency rows. */
export function hasChurnRows(rows: readonly ResultRow[]): boolean {
  return rows.some((r) => parseChurnMetric(r.metric).base === 'programming.latency');
}

/** The churn rates of a run's rows, ascending (null when the names carry no rate). */
export function churnRates(rows: readonly ResultRow[]): (number | null)[] {
  const rates = new Set<number | null>();
  for (const r of rows) if (isChurnRow(r)) rates.add(parseChurnMetric(r.metric).rate);
  return [...rates].sort((a, b) => (a ?? -1) - (b ?? -1));
}

/** The (metric, statistic) pairs fitted against services, per mode and churn rate. */
export const CHURN_FITTED = [
  { base: 'sync.duration.full', statistic: 'p50' },
  { base: 'programming.latency', statistic: 'p50' },
] as const;

/** metric ~ services^k per mode and rate, over the scales of the run (repetitions averaged). */
export function churnFits(rows: readonly ResultRow[]): FitRecord[] {
  const wanted = (r: ResultRow) =>
    r.clock === 'simulated' && CHURN_FITTED.some((f) => f.base === parseChurnMetric(r.metric).base && f.statistic === r.statistic);
  return fitOverScales(rows, wanted).sort(
    (a, b) => cmp(a.metric, b.metric) || cmp(a.statistic, b.statistic) || cmp(seriesKey(a), seriesKey(b)),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
