// The complexity table: each fit of metric ~ services^k, with its 95% CI, R² and a verdict in
// plain words, and the one-line headline (is iptables O(n) and ipvs O(1)?).
import { parseChurnMetric } from '../metrics/churn-rows.ts';
import type { FitRecord, RunResults } from '../metrics/results.ts';
import { fitCertainty, fitExponentText, fitVerdictText } from '../metrics/stats.ts';
import { unitLabel } from '../metrics/units.ts';
import { sortModes } from './data.ts';
import { fmtFixed } from './format.ts';

export interface ComplexityRow {
  metric: string;
  clock: string;
  statistic: string;
  mode: string;
  unit: string;
  exponent: string;
  ci: string;
  r2: string;
  n: string;
  verdict: string;
  words: string;
}

/** Table order: the lookup result first, then sync, then throughput, then churn; other metrics by name. */
const METRIC_ORDER = [
  'lookup.rules_evaluated',
  'lookup.latency',
  'first_packet.latency',
  'sync.full',
  'sync.add_service',
  'sync.remove_endpoint',
  'throughput.node_core',
  'cpu.per_connection',
  'sync.duration.full',
  'programming.latency',
];

// A churn sweep's metrics carry their rate ("sync.duration.full@10/s"): rank by the metric, then by rate.
function metricRank(m: string): number {
  const i = METRIC_ORDER.indexOf(parseChurnMetric(m).base);
  return i < 0 ? METRIC_ORDER.length : i;
}

function rateOf(m: string): number {
  return parseChurnMetric(m).rate ?? -1;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** What an exponent means for someone who doubles the number of services. */
export function plainVerdict(f: Pick<FitRecord, 'exponent' | 'ciLow' | 'ciHigh' | 'r2' | 'n'>): string {
  const k = f.exponent;
  if (!finite(k)) return 'no fit';
  const times = (x: number) => `×${x < 10 ? x.toFixed(2).replace(/\.?0+$/, '') : x.toFixed(0)}`;
  let words: string;
  if (Math.abs(k) < 0.2) words = 'constant: does not grow with the number of services';
  else if (k >= 0.8 && k < 1.2) words = 'linear: doubles when the services double';
  else if (k >= 1.8 && k < 2.2) words = 'quadratic: ×4 when the services double';
  else if (k <= -0.8 && k > -1.2) words = 'inverse-linear: halves when the services double';
  else if (k > 0) words = `grows ${k < 1 ? 'slower' : 'faster'} than linear: ${times(2 ** k)} when the services double`;
  else words = `falls: ${times(2 ** k)} when the services double`;
  const caveats: string[] = [];
  const certainty = fitCertainty(f);
  if (certainty === 'too few scales') return 'no exponent: a fit needs 3 scales (two points always lie on a line)';
  if (certainty === 'uncertain') caveats.push('uncertain: wide confidence interval');
  // R² measures how much of the spread the slope explains: a flat series has almost none to
  // explain, so a low R² there says nothing about the fit. Flag it only for a real slope.
  const flat = finite(f.ciLow) && finite(f.ciHigh) && f.ciLow > -0.2 && f.ciHigh < 0.2;
  if (finite(f.r2) && f.r2 < 0.9 && !flat) caveats.push(`poor power-law fit (R² ${f.r2.toFixed(2)})`);
  return caveats.length > 0 ? `${words} (${caveats.join('; ')})` : words;
}

export function complexityRows(results: RunResults): ComplexityRow[] {
  const fits = results.fits.filter((f) => f && typeof f.metric === 'string' && typeof f.mode === 'string');
  const modes = sortModes(fits.map((f) => f.mode));
  const sorted = [...fits].sort(
    (a, b) =>
      metricRank(a.metric) - metricRank(b.metric) ||
      cmp(parseChurnMetric(a.metric).base, parseChurnMetric(b.metric).base) ||
      rateOf(a.metric) - rateOf(b.metric) ||
      cmp(a.metric, b.metric) ||
      cmp(a.clock, b.clock) ||
      cmp(a.statistic, b.statistic) ||
      modes.indexOf(a.mode) - modes.indexOf(b.mode),
  );
  return sorted.map((f) => ({
    metric: f.metric,
    clock: f.clock,
    statistic: f.statistic,
    mode: f.mode,
    unit: unitLabel(f.unit ?? ''),
    exponent: fitExponentText(f).replace(/^-$/, '—'),
    ci: fitCertainty(f) !== 'too few scales' ? `[${f.ciLow.toFixed(2)}, ${f.ciHigh.toFixed(2)}]` : '—',
    r2: fitCertainty(f) !== 'too few scales' ? fmtFixed(f.r2, 3) : '—',
    n: finite(f.n) ? String(f.n) : '—',
    verdict: fitVerdictText(f),
    words: plainVerdict(f),
  }));
}

/** "iptables O(n) (k = 1.00), ipvs O(1) (k = 0.02)" for the first lookup metric that has fits. */
export function headline(
  results: RunResults,
): { metric: string; clock: string; parts: { mode: string; verdict: string; exponent: string }[] } | null {
  for (const [metric, clock, statistic] of [
    ['lookup.rules_evaluated', 'simulated', 'mean'],
    ['lookup.latency', 'simulated', 'mean'],
    ['lookup.latency', 'wall', 'p50'],
  ]) {
    const fits = results.fits.filter(
      (f) => f && f.metric === metric && f.clock === clock && f.statistic === statistic && finite(f.exponent),
    );
    if (fits.length === 0) continue;
    const modes = sortModes(fits.map((f) => f.mode));
    return {
      metric,
      clock,
      parts: modes.map((m) => {
        const f = fits.find((x) => x.mode === m)!;
        return { mode: m, verdict: fitVerdictText(f), exponent: fitExponentText(f) };
      }),
    };
  }
  return null;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
