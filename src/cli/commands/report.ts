import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { readResults } from '../../output/results-files.ts';
import { writeReport } from '../../report/index.ts';
import { InputError } from '../../util/errors.ts';

export function registerReport(program: Command): void {
  program
    .command('report')
    .summary("write the HTML report (index.html and charts/) of a sweep's results")
    .description(
      'Read <run-dir>/results.json and write <run-dir>/index.html: one self-contained\npage that opens offline, no network needed. Each chart is also written as\ncharts/<name>.vl.json (its Vega-Lite spec, data inline) and charts/<name>.svg.',
    )
    .argument('<run-dir>', "a sweep's output folder, e.g. reports/<run-id>")
    .addHelpText(
      'after',
      '\nExample:\n  kpsim report reports/20261123-184501-scale-sweep\n  xdg-open reports/20261123-184501-scale-sweep/index.html',
    )
    .action(async (dir: string) => {
      if (!existsSync(dir)) throw new InputError('run folder not found (give the folder a sweep wrote, e.g. reports/<run-id>)', dir);
      if (!statSync(dir).isDirectory()) throw new InputError('not a folder (give the folder that holds results.json)', dir);
      const results = readResults(join(dir, 'results.json'));
      const files = await writeReport(dir, results);
      const index = shortPath(files[0]);
      const charts = (files.length - 1) / 2;
      process.stdout.write(`report: ${index} (${charts} chart${charts === 1 ? '' : 's'} in ${shortPath(join(dir, 'charts'))})\n`);
      process.stdout.write(`open it in a browser (it works offline): ${openHint(index)}\n  or ${pathToFileURL(resolve(index)).href}\n`);
    });
}

/** Relative to the working folder when inside it, else absolute. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : resolve(path);
}

function openHint(file: string): string {
  const q = /^[\w./-]+$/.test(file) ? file : `'${file.replace(/'/g, "'\\''")}'`;
  if (process.platform === 'darwin') return `open ${q}`;
  if (process.platform === 'win32') return `start ${q}`;
  return `xdg-open ${q}`;
}
