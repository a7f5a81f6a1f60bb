import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_GATE_CONFIG, loadGateConfig } from '../../gate/config.ts';
import { loadHistory, writeHistory } from '../../report/history.ts';
import { openHint, shortPath } from './report.ts';

export function registerHistory(program: Command): void {
  program
    .command('history')
    .summary('chart each metric across runs (commits, dates), with the regressions the gate found')
    .description(
      'Read several runs of a scenario and write one HTML page with one chart per metric against\nthe runs in the order they started (date and commit on the x axis), as asv draws one graph per\nbenchmark. Each run is compared with the one before it by the regression gate (its rules and\nlevels: --config), and the numbers it flagged are ringed. A path is a run folder, a results\nfile, or a folder of them (a results store CI appends to, e.g. one file per commit).',
    )
    .argument('<paths...>', 'run folders, results.json files, or folders holding them')
    .option('-o, --out <dir>', 'where to write index.html and charts/', join('reports', 'history'))
    .option('--config <file>', "the gate's config (YAML) that decides what is flagged; default: gate.yaml's defaults")
    .addHelpText(
      'after',
      '\nExamples:\n  kpsim history reports/run-a reports/run-b reports/run-c\n  kpsim history bench-history/runs --config gate.yaml --out reports/history',
    )
    .action(async (paths: string[], opts: { out: string; config?: string }) => {
      const config = opts.config ? loadGateConfig(opts.config) : DEFAULT_GATE_CONFIG;
      const runs = loadHistory(paths);
      const { files, model } = await writeHistory(opts.out, runs, config);
      const index = shortPath(files[0]);
      const charts = (files.length - 1) / 2;
      process.stdout.write(
        `history: ${runs.length} run${runs.length === 1 ? '' : 's'}, ${charts} chart${charts === 1 ? '' : 's'}, ${model.flags.length} flag${model.flags.length === 1 ? '' : 's'} from the gate: ${index}\nopen it in a browser (it works offline): ${openHint(index)}\n`,
      );
    });
}
