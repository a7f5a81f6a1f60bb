// What a run's scenario said, read again from its file for the report: only when the file is
// still there and unchanged since the run (same SHA-256), else null, so a later edit never
// explains an older run.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { costModelWith } from '../metrics/cost-model.ts';
import type { RunResults } from '../metrics/results.ts';
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
 * The price of one cost-model constant in this run: the scenario's override, else the default;
 * `overridden` says which. Null when the constant is unknown.
 */
export function runCost(results: RunResults, name: string): { value: number; overridden: boolean } | null {
  const scenario = runScenario(results);
  const prices = costModelWith(undefined) as unknown as Record<string, number>;
  if (typeof prices[name] !== 'number') return null;
  const overrides = (scenario?.costModel ?? {}) as Record<string, unknown>;
  if (typeof overrides[name] === 'number') return { value: overrides[name], overridden: true };
  return { value: prices[name], overridden: false };
}
