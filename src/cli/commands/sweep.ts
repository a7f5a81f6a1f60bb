import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { summaryTable } from '../../output/summary-table.ts';
import { parseShard } from '../../sweep/plan.ts';
import { runSweep } from '../../sweep/run-sweep.ts';
import { InputError } from '../../util/errors.ts';
import { knownModes, parseCount, parseModes, parsePositive } from '../options.ts';

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .summary('run a benchmark sweep over proxy modes and scales (what `npm run bench` runs)')
    .description(
      'Run every (mode, scale, repetition) point of a scenario in worker threads and write\nreports/<run-id>/results.csv, fits.csv and results.json, then print a summary.\nSimulated-clock columns are deterministic for a scenario and seed; wall-clock columns\nmeasure this machine.',
    )
    .argument('<scenario>', 'scenario file, e.g. scenarios/scale-sweep.yaml')
    .option('-w, --workers <n>', 'worker threads (default: the number of cores)', parsePositive)
    .option('--shard <i/N>', 'run only slice i of N of the points (merge shards with `kpsim merge`)')
    .option('--modes <list>', `comma-separated proxy modes (default: the scenario's; known: ${knownModes()})`, parseModes)
    .option('--scales <list>', "comma-separated numbers of services (default: the scenario's)", parseScales)
    .option('--repetitions <n>', 'repetitions of each point', parsePositive)
    .option('--reports <dir>', 'parent folder of the run folder', 'reports')
    .option('-o, --out <dir>', 'exact output folder (default: <reports>/<run-id>)')
    .option('--simulated-only', 'skip the wall-clock benchmarks (faster; simulated columns are unchanged)')
    .option('--worker-heap-mb <n>', 'heap limit of each worker in MiB; a point that needs more fails alone', parsePositive)
    .option('--no-report', 'write results.csv/json only, no HTML report')
    .option('-q, --quiet', 'no progress on stderr, not even failed points (the summary lists them)')
    .option('--progress', 'progress lines on stderr even when it is not a terminal (default: only on a terminal)')
    .addHelpText(
      'after',
      '\nExamples:\n  kpsim sweep scenarios/scale-sweep.yaml\n  kpsim sweep scenarios/scale-sweep.yaml --modes iptables,ipvs --scales 1000,10000 --workers 2\n  kpsim sweep scenarios/scale-sweep.yaml --shard 1/4 --out reports/shard1',
    )
    .action(
      async (
        file: string,
        opts: {
          workers?: number;
          shard?: string;
          modes?: string[];
          scales?: number[];
          repetitions?: number;
          reports: string;
          out?: string;
          simulatedOnly?: boolean;
          workerHeapMb?: number;
          quiet?: boolean;
          progress?: boolean;
          report: boolean;
        },
      ) => {
        if (file === '-') throw new InputError('every sweep worker reads the scenario again: give its file, not - (standard input)', '-');
        const run = await runSweep({
          scenarioFile: file,
          reportsDir: opts.reports,
          outDir: opts.out,
          workers: opts.workers,
          shard: opts.shard ? parseShard(opts.shard) : null,
          modes: opts.modes,
          scales: opts.scales,
          repetitions: opts.repetitions,
          simulatedOnly: opts.simulatedOnly,
          workerHeapMb: opts.workerHeapMb,
          quiet: opts.quiet,
          progress: opts.progress,
          noReport: !opts.report,
        });
        process.stdout.write(`${summaryTable(run.results)}\nresults: ${run.files.join(', ')}\n`);
        if (opts.report) process.stdout.write(`report: open ${run.dir}/index.html in a browser (self-contained, works offline)\n`);
        if (run.results.points.some((p) => p.status === 'failed')) process.exitCode = 1;
      },
    );
}

function parseScales(value: string): number[] {
  const scales = value.split(',').map((s) => parseCount(s.trim()));
  if (scales.some((s, i) => i > 0 && s <= scales[i - 1]))
    throw new InvalidArgumentError(`scales must be strictly increasing, got "${value}"`);
  return scales;
}
