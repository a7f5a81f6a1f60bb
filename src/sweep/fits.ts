// Complexity fits across scale points: for each mode and headline metric, the exponent of
// metric ~ services^k, from the numbers the engine measured at each scale.
import type { FitRecord, ResultRow } from '../metrics/results.ts';
import { fitOverScales } from '../metrics/fits.ts';

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
  return fitOverScales(rows, (r) => FITTED.some((f) => f.metric === r.metric && f.clock === r.clock && f.statistic === r.statistic));
}
