// Writes a run's results.csv / results.json / fits.csv and reads results.json back.
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { normalizeVariants, type RunResults } from '../metrics/results.ts';
import { parseJson } from '../util/data-text.ts';
import { InputError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { STDIO, ioName, readInput } from '../util/stdio.ts';

export const ROW_COLUMNS = ['mode', 'variant', 'scale', 'repetition', 'metric', 'clock', 'unit', 'statistic', 'value'] as const;
export const FIT_COLUMNS = [
  'mode',
  'variant',
  'metric',
  'clock',
  'statistic',
  'unit',
  'exponent',
  'ciLow',
  'ciHigh',
  'intercept',
  'r2',
  'n',
  'verdict',
] as const;

export function resultsCsv(results: RunResults): string {
  return stringify(results.rows, { header: true, columns: [...ROW_COLUMNS] });
}

export function fitsCsv(results: RunResults): string {
  return stringify(results.fits, { header: true, columns: [...FIT_COLUMNS] });
}

export function writeResults(dir: string, results: RunResults): string[] {
  const files = [join(dir, 'results.csv'), join(dir, 'fits.csv'), join(dir, 'results.json')];
  writeFileAtomic(files[0], resultsCsv(results));
  writeFileAtomic(files[1], fitsCsv(results));
  writeFileAtomic(files[2], JSON.stringify(results, null, 1) + '\n');
  return files;
}

export function readResults(path: string): RunResults {
  const file = path === STDIO || /\.json$/.test(path) ? path : join(path, 'results.json');
  const data = parseJson(readInput(file, 'results'), ioName(file));
  const r = data as Partial<RunResults>;
  if (typeof r !== 'object' || r === null || r.schema !== 'kpsim-results/1') {
    throw new InputError(
      'not a kpsim results file (expected schema "kpsim-results/1")',
      file,
      'schema',
      (r as { schema?: unknown } | null)?.schema,
    );
  }
  for (const key of ['meta', 'points', 'rows', 'samples', 'fits'] as const) {
    if (key === 'meta' ? typeof r.meta !== 'object' || r.meta === null : !Array.isArray(r[key])) {
      throw new InputError(`missing or malformed "${key}"`, file, key, r[key]);
    }
  }
  r.rows!.forEach((row, i) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new InputError('must be an object', file, `rows[${i}]`, row);
    }
    if (
      typeof row.mode !== 'string' ||
      typeof row.metric !== 'string' ||
      typeof row.value !== 'number' ||
      (row.clock !== 'simulated' && row.clock !== 'wall')
    ) {
      throw new InputError('row must have mode, metric, clock (simulated|wall) and a numeric value', file, `rows[${i}]`, row);
    }
  });
  for (const list of [r.rows!, r.samples!, r.points!]) normalizeVariants(list as { mode: string; variant?: string }[]);
  return r as RunResults;
}
