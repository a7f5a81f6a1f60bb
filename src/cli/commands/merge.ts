import type { Command } from 'commander';
import { mergeResults } from '../../output/merge.ts';
import { readResults, writeResults } from '../../output/results-files.ts';
import { summaryTable } from '../../output/summary-table.ts';

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .summary('join the results of sweep shards (--shard i/N) into one run')
    .description('Join the results.json of sweep shards into one run folder: rows, samples and points\nare concatenated in a fixed order and the complexity fits are recomputed over all scales.')
    .argument('<shard-dirs...>', 'results folders (or results.json files) of the shards')
    .requiredOption('-o, --out <dir>', 'output folder for the merged results')
    .addHelpText('after', '\nExample:\n  kpsim merge reports/shard1 reports/shard2 --out reports/merged')
    .action((dirs: string[], opts: { out: string }) => {
      const merged = mergeResults(dirs.map((path) => ({ path, results: readResults(path) })));
      const files = writeResults(opts.out, merged);
      process.stdout.write(`${summaryTable(merged)}\nresults: ${files.join(', ')}\n`);
    });
}
