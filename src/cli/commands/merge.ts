import type { Command } from 'commander';
import { mergeResults } from '../../output/merge.ts';
import { readResults, writeResults } from '../../output/results-files.ts';
import { summaryTable } from '../../output/summary-table.ts';
import { prepareOutDir, sameRunFolder } from '../../output/out-dir.ts';
import { InputError } from '../../util/errors.ts';
import { churnSweepTable } from './churn-sweep-table.ts';

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .summary('join the results of sweep shards (--shard i/N), or of churn sweeps, into one run')
    .description(
      'Join the results.json of sweep shards into one run folder: rows, samples and points\nare concatenated in a fixed order and the complexity fits are recomputed over all scales.\nChurn sweeps (kpsim churn --sweep) of one scenario run at other rates or scales join the\nsame way; their nodes, duration and sync-loop settings must agree.',
    )
    .argument('<shard-dirs...>', 'results folders (or results.json files) of the shards')
    .requiredOption('-o, --out <dir>', 'output folder for the merged results (new or empty)')
    .option('--force', 'write into a non-empty folder, even one of the inputs, replacing the results and report kpsim wrote there')
    .addHelpText(
      'after',
      '\nExamples:\n  kpsim merge reports/shard1 reports/shard2 --out reports/merged\n  kpsim merge reports/churn-slow reports/churn-fast --out reports/churn-all && kpsim report reports/churn-all',
    )
    .action((dirs: string[], opts: { out: string; force?: boolean }) => {
      const input = dirs.find((d) => sameRunFolder(d, opts.out));
      if (input !== undefined && !opts.force)
        throw new InputError(
          'is one of the inputs: merging would overwrite it; choose a new folder (or --force)',
          undefined,
          '--out',
          opts.out,
        );
      const merged = mergeResults(dirs.map((path) => ({ path, results: readResults(path) })));
      prepareOutDir(opts.out, opts.force);
      const files = writeResults(opts.out, merged);
      const table = merged.meta.churn ? churnSweepTable(merged) : summaryTable(merged);
      process.stdout.write(`${table}\nresults: ${files.join(', ')}\n`);
      if (merged.meta.incomplete) process.stderr.write(`kpsim: warning: the merged run is incomplete: ${merged.meta.incomplete.reason}\n`);
    });
}
