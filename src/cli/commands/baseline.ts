import type { Command } from 'commander';
import { DEFAULT_BASELINE, updateBaseline } from '../../gate/baseline.ts';

export function registerBaseline(program: Command): void {
  const baseline = program
    .command('baseline')
    .summary("manage the regression gate's baseline")
    .description('Manage the baseline that `kpsim gate` compares runs against (a results file).');
  baseline
    .command('update')
    .summary("make a run's results the new baseline")
    .description(
      "Write a run's results as the new baseline (atomically: a temporary file renamed into\nplace). Refuses a run with failed points, a single shard or an incomplete run unless told otherwise.",
    )
    .requiredOption('--from <file>', 'results of the run (reports/<run-id>/results.json or its folder)')
    .option('-o, --out <file>', 'baseline file to write (- for standard output)', DEFAULT_BASELINE)
    .option('--allow-failed', 'write it even if some points failed')
    .option('--allow-shard', 'write it even if the run is one shard of a sweep')
    .option('--allow-partial', 'write it even if the run is incomplete (interrupted, or merged from only some shards)')
    .addHelpText('after', '\nExample:\n  kpsim baseline update --from reports/merged/results.json --out bench/baseline.json')
    .action((opts: { from: string; out: string; allowFailed?: boolean; allowShard?: boolean; allowPartial?: boolean }) => {
      const { file, results } = updateBaseline(opts.from, opts.out, {
        allowFailed: opts.allowFailed,
        allowShard: opts.allowShard,
        allowPartial: opts.allowPartial,
      });
      if (opts.out === '-') return; // the baseline itself went to stdout
      const m = results.meta;
      const commit = m?.git?.commit ? ` at ${m.git.commit.slice(0, 12)}${m.git.dirty ? ' (dirty)' : ''}` : '';
      process.stdout.write(
        `baseline: wrote ${opts.out} from ${file} (run ${m?.runId ?? '?'}, scenario ${m?.scenario?.name ?? '?'} seed ${m?.scenario?.seed ?? '?'}${commit}): ` +
          `${results.points.length} points, ${results.rows.length} rows, ${results.samples.length} sample sets, ${results.fits.length} fits\n`,
      );
    });
}
