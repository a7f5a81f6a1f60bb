// Output folders of runs (sweep, churn --sweep, merge): a folder that already holds files is
// refused unless --force, and --force first removes kpsim's own files there, so a report never
// sits beside results it was not drawn from.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../util/errors.ts';

/** What kpsim writes into a run folder (the report's charts are a folder of their own). */
export const RUN_OUTPUTS = ['results.csv', 'fits.csv', 'results.json', 'results.partial.jsonl', 'index.html', 'charts'];

export function prepareOutDir(dir: string, force: boolean | undefined, flag = '--out'): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new InputError('exists and is not a folder', undefined, flag, dir);
  const entries = readdirSync(dir);
  if (entries.length === 0) return;
  if (!force) {
    const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? `, ... ${entries.length} in all` : '');
    throw new InputError(
      `the folder is not empty (${shown}): choose a new folder, or --force to replace the results and report kpsim wrote there`,
      undefined,
      flag,
      dir,
    );
  }
  for (const f of RUN_OUTPUTS) rmSync(join(dir, f), { recursive: true, force: true });
}

/** Whether two paths name the same run folder (a folder or its results.json). */
export function sameRunFolder(a: string, b: string): boolean {
  const folder = (p: string) => resolve(/\.json$/.test(p) ? join(p, '..') : p);
  return folder(a) === folder(b);
}
