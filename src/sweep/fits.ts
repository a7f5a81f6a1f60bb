// Complexity fits across scale points: for each mode and headline metric, the exponent of
// metric ~ services^k, from the numbers the engine measured at each scale.
import type { FitRecord, ResultRow } from '../metrics/results.ts';
import { complexityVerdict, fitPowerLaw } from '../metrics/stats.ts';

/** The (metric, clock, statistic) series that get a fit. */
export const FITTED: { metric: string; clock: 'simulated' | 'wall'; statistic: string }[] = [
  { metric: 'lookup.rules_evaluated', clock: 'simulated', statistic: 'mean' },
  { metric: 'lookup.hash_probes', clock: 'simulated', statistic: 'mean' },
  { metric: 'lookup.latency', clock: 'simulated', statistic: 'mean' },
  { metric: 'lookup.latency', clock: 'wall', statistic: 'p50' },
  { metric: 'sync.full', clock: 'simulated', statistic: 'value' },
  { metric: 'sync.full', clock: 'wall', statistic: 'value' },
  { metric: 'sync.add_service', clock: 'simulated', statistic: 'value' },
  { metric: 'sync.add_service', clock: 'wall', statistic: 'value' },
  { metric: 'throughput.node_core', clock: 'simulated', statistic: 'value' },
];

export function computeFits(rows: ResultRow[]): FitRecord[] {
  const fits: FitRecord[] = [];
  const modes = [...new Set(rows.map((r) => r.mode))];
  for (const mode of modes) {
    for (const f of FITTED) {
      // Repetitions at one scale are averaged: the fit is over scales.
      const byScale = new Map<number, number[]>();
      let unit = '';
      for (const r of rows) {
        if (r.mode !== mode || r.metric !== f.metric || r.clock !== f.clock || r.statistic !== f.statistic) continue;
        unit = r.unit;
        const list = byScale.get(r.scale) ?? [];
        list.push(r.value);
        byScale.set(r.scale, list);
      }
      const scales = [...byScale.keys()].sort((a, b) => a - b);
      if (scales.length < 2) continue;
      const ys = scales.map((s) => byScale.get(s)!.reduce((a, b) => a + b, 0) / byScale.get(s)!.length);
      const fit = fitPowerLaw(scales, ys);
      if (!fit) continue;
      fits.push({
        mode,
        metric: f.metric,
        clock: f.clock,
        statistic: f.statistic,
        unit,
        exponent: fit.exponent,
        ciLow: fit.ciLow,
        ciHigh: fit.ciHigh,
        intercept: fit.intercept,
        r2: fit.r2,
        n: fit.n,
        verdict: complexityVerdict(fit),
      });
    }
  }
  return fits;
}
