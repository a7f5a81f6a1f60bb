// Two runs for comparison-mode tests: the report fixture, and the same with iptables' simulated
// lookups slower at the two largest scales (a change the gate fails exactly).
import type { RunResults } from '../../src/metrics/results.ts';
import { syntheticResults } from './fixture.ts';

/** The fixture with iptables' simulated lookups 1.5x slower at 10,000 and 3x at 30,000 services. */
export function slowerRun(): { baseline: RunResults; current: RunResults } {
  const baseline = syntheticResults();
  baseline.meta.runId = 'base-run';
  const current = syntheticResults();
  current.meta.runId = 'current-run';
  for (const r of current.rows) {
    if (r.mode !== 'iptables' || r.metric !== 'lookup.latency' || r.clock !== 'simulated') continue;
    if (r.scale === 10000) r.value *= 1.5;
    if (r.scale === 30000) r.value *= 3;
  }
  return { baseline, current };
}
