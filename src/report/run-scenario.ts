// What a run's scenario said, read again from its file for the report: only when the file is
// still there and unchanged since the run (same SHA-256), else null, so a later edit never
// explains an older run.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { costSources } from '../metrics/cost-model.ts';
import type { RunResults } from '../metrics/results.ts';
import { allModes } from '../proxy/modes.ts';
import { loadScenario } from '../scenario/load.ts';
import type { Scenario } from '../scenario/schema.ts';

export function runScenario(results: RunResults): Scenario | null {
  const file = results.meta?.scenario?.file;
  if (typeof file !== 'string' || !file) return null;
  try {
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    if (results.meta.scenario.sha256 && sha !== results.meta.scenario.sha256) return null;
    return loadScenario(file);
  } catch {
    return null;
  }
}

/**
 * One cost-model constant as this run priced it: the scenario's override, else the default,
 * with the cost model's own unit and source text. Null when no such constant exists.
 */
export function runCost(
  results: RunResults,
  name: string,
): { value: number; overridden: boolean; unit: string; source: string; mode: string | null } | null {
  const entry = costSources()[name];
  if (!entry) return null;
  const overrides = runScenario(results)?.costModel ?? {};
  const override = overrides[name];
  const mode = allModes().find((m) => Object.hasOwn(m.costs, name))?.name ?? null;
  return typeof override === 'number'
    ? { value: override, overridden: true, unit: entry.unit, source: entry.source, mode }
    : { value: entry.value, overridden: false, unit: entry.unit, source: entry.source, mode };
}
