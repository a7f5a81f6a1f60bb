import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { DEFAULT_GATE_CONFIG, loadGateConfig } from '../../gate/config.ts';
import { compareRuns } from '../../gate/gate.ts';
import { readGateInput } from '../../gate/inputs.ts';
import { readResults } from '../../output/results-files.ts';
import { type ComparisonInput, writeReport } from '../../report/index.ts';
import { InputError } from '../../util/errors.ts';

export function registerReport(program: Command): void {
  program
    .command('report')
    .summary("write the HTML report (index.html and charts/) of a sweep's results")
    .description(
      "Read <run-dir>/results.json and write <run-dir>/index.html: one self-contained\npage that opens offline, no network needed. Each chart is also written as\ncharts/<name>.vl.json (its Vega-Lite spec, data inline) and charts/<name>.svg.\nWith --baseline, a comparison report: first what changed beyond the regression gate's\nlevels (the gate's own verdicts), then every chart with the baseline drawn in.",
    )
    .argument('<run-dir>', "a sweep's output folder, e.g. reports/<run-id>")
    .option('-b, --baseline <run>', 'compare with this run (its folder or results.json, e.g. bench/baseline.json)')
    .option('--config <file>', "with --baseline: the gate's config (YAML) that decides what changed; default: gate.yaml's defaults")
    .addHelpText(
      'after',
      '\nExamples:\n  kpsim report reports/20261123-184501-scale-sweep\n  kpsim report reports/merged --baseline bench/baseline.json --config gate.yaml\n  xdg-open reports/20261123-184501-scale-sweep/index.html',
    )
    .action(async (dir: string, opts: { baseline?: string; config?: string }) => {
      if (!existsSync(dir)) throw new InputError('run folder not found (give the folder a sweep wrote, e.g. reports/<run-id>)', dir);
      if (!statSync(dir).isDirectory()) throw new InputError('not a folder (give the folder that holds results.json)', dir);
      if (opts.config && !opts.baseline)
        throw new InputError('--config only applies to a comparison: give --baseline too', undefined, '--config');
      const results = readResults(join(dir, 'results.json'));
      let comparison: ComparisonInput | undefined;
      if (opts.baseline) {
        const config = opts.config ? loadGateConfig(opts.config) : DEFAULT_GATE_CONFIG;
        const base = readGateInput(opts.baseline, 'baseline');
        const gate = compareRuns(base.results, results, config, { baseline: base.file, current: join(dir, 'results.json') });
        comparison = { baseline: base.results, baselineFile: base.file, gate };
      }
      const files = await writeReport(dir, results, { comparison });
      const index = shortPath(files[0]);
      const charts = (files.length - 1) / 2;
      process.stdout.write(
        `${comparison ? 'comparison ' : ''}report: ${index} (${charts} chart${charts === 1 ? '' : 's'} in ${shortPath(join(dir, 'charts'))})\n`,
      );
      if (comparison) process.stdout.write(`against ${comparison.baselineFile}: gate ${comparison.gate.outcome}\n`);
      process.stdout.write(`open it in a browser (it works offline): ${openHint(index)}\n  or ${pathToFileURL(resolve(index)).href}\n`);
    });
}

/** Relative to the working folder when inside it, else absolute. */
export function shortPath(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : resolve(path);
}

export function openHint(file: string): string {
  const q = /^[\w./-]+$/.test(file) ? file : `'${file.replace(/'/g, "'\\''")}'`;
  if (process.platform === 'darwin') return `open ${q}`;
  if (process.platform === 'win32') return `start ${q}`;
  return `xdg-open ${q}`;
}
