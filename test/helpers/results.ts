// Reads what a sweep wrote, for comparing runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The simulated-clock rows of a run folder's results.csv: the same for a scenario and seed, however the run was split. */
export function simulatedRows(dir: string): string {
  return readFileSync(join(dir, 'results.csv'), 'utf8')
    .split('\n')
    .filter((l) => l.includes(',simulated,'))
    .join('\n');
}
