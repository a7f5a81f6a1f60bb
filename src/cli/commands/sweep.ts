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
    .argument('[scenario]', 'scenario file, e.g. scenarios/scale-sweep.yaml (not with --resume)')
    .option('-w, --workers <n>', 'worker threads (default: the number of cores)', parsePositive)
    .option(
      '--shard <i/N|auto/N>',
      'run only slice i of N of the points, 1 <= i <= N (merge the shards with `kpsim merge`); auto/N: i = $JOB_COMPLETION_INDEX + 1, the 0-based index a Kubernetes Indexed Job gives each pod (docs/distributed.md)',
    )
    .option('--modes <list>', `comma-separated proxy modes (default: the scenario's; known: ${knownModes()})`, parseModes)
    .option('--scales <list>', "comma-separated numbers of services (default: the scenario's)", parseScales)
    .option('--repetitions <n>', 'repetitions of each point', parsePositive)
    .option('--reports <dir>', 'parent folder of the run folder', 'reports')
    .option('-o, --out <dir>', 'exact output folder (default: <reports>/<run-id>)')
    .option('--simulated-only', 'skip the wall-clock benchmarks (faster; simulated columns are unchanged)')
    .option('--worker-heap-mb <n>', 'heap limit of each worker in MiB; a point that needs more fails alone', parsePositive)
    .option(
      '--cost-model <file>',
      "price the simulated clock with this cost-model file (kpsim calibrate's output) instead of the scenario's",
    )
    .option('--no-report', 'write results.csv/json only, no HTML report')
    .option('--force', 'write into a non-empty --out folder, replacing the results and report kpsim wrote there')
    .option('--resume <dir>', 'finish an interrupted run (Ctrl-C): run only the points its folder lacks, with its options')
    .option('-q, --quiet', 'no progress on stderr, not even failed points (the summary lists them)')
    .option('--progress', 'progress lines on stderr even when it is not a terminal (default: only on a terminal)')
    .addHelpText(
      'after',
      '\nEvery finished point is on disk as it completes (results.csv, results.partial.jsonl): after Ctrl-C\nthe run folder keeps them, results.json says the run is incomplete, and --resume finishes it.\n\nExamples:\n  kpsim sweep scenarios/scale-sweep.yaml\n  kpsim sweep --resume reports/<run-id>\n  kpsim sweep scenarios/scale-sweep.yaml --modes iptables,ipvs --scales 1000,10000 --workers 2\n  kpsim sweep scenarios/scale-sweep.yaml --shard 1/4 --out reports/shard1\n  kpsim sweep scenarios/scale-sweep.yaml --shard auto/4 --out /results/shard-$JOB_COMPLETION_INDEX  # a pod of an Indexed Job\n  kpsim sweep scenarios/scale-sweep.yaml --cost-model cal.json   # prices measured by kpsim calibrate',
    )
    .action(
      async (
        file: string | undefined,
        opts: {
          force?: boolean;
          resume?: string;
          workers?: number;
          shard?: string;
          modes?: string[];
          scales?: number[];
          repetitions?: number;
          reports: string;
          out?: string;
          simulatedOnly?: boolean;
          workerHeapMb?: number;
          costModel?: string;
          quiet?: boolean;
          progress?: boolean;
          report: boolean;
        },
      ) => {
        if (file === '-') throw new InputError('every sweep worker reads the scenario again: give its file, not - (standard input)', '-');
        if (opts.resume !== undefined) {
          if (file !== undefined)
            throw new InputError(
              '--resume takes the scenario from the run folder; leave the scenario out',
              undefined,
              '--resume',
              opts.resume,
            );
          for (const [key, flag] of RESUME_FIXED)
            if (opts[key] !== undefined) throw new InputError(`the resumed run keeps its own ${flag}`, undefined, flag, opts[key]);
        } else if (file === undefined) throw new InputError('give a scenario file (or --resume DIR to finish an interrupted run)');
        const run = await runSweep({
          scenarioFile: file ?? '',
          resumeDir: opts.resume,
          force: opts.force,
          reportsDir: opts.reports,
          outDir: opts.out,
          workers: opts.workers,
          shard: opts.shard ? parseShard(opts.shard) : null,
          modes: opts.modes,
          scales: opts.scales,
          repetitions: opts.repetitions,
          simulatedOnly: opts.simulatedOnly,
          workerHeapMb: opts.workerHeapMb,
          costModelFile: opts.costModel,
          quiet: opts.quiet,
          progress: opts.progress,
          noReport: !opts.report,
        });
        if (run.interrupted) {
          const kept = run.results.points.length;
          process.stderr.write(
            `kpsim: interrupted: ${kept} finished point${kept === 1 ? '' : 's'} kept in ${run.dir} (${run.results.meta.incomplete?.reason}; results.json marks the run incomplete)\n` +
              `kpsim: finish it with: kpsim sweep --resume ${run.dir}\n`,
          );
          process.exitCode = EXIT_INTERRUPTED;
          return;
        }
        process.stdout.write(`${summaryTable(run.results)}\nresults: ${run.files.join(', ')}\n`);
        if (opts.report) process.stdout.write(`report: open ${run.dir}/index.html in a browser (self-contained, works offline)\n`);
        if (run.results.points.some((p) => p.status === 'failed')) process.exitCode = 1;
      },
    );
}

/** Options that decide a run's points and measurements: a resumed run keeps the ones it started with. */
const RESUME_FIXED = [
  ['shard', '--shard'],
  ['modes', '--modes'],
  ['scales', '--scales'],
  ['repetitions', '--repetitions'],
  ['out', '--out'],
  ['simulatedOnly', '--simulated-only'],
  ['workerHeapMb', '--worker-heap-mb'],
  ['costModel', '--cost-model'],
] as const;

/** A shell's exit status after SIGINT (128 + 2). */
const EXIT_INTERRUPTED = 130;

function parseScales(value: string): number[] {
  const scales = value.split(',').map((s) => {
    if (parseCount(s.trim()) < 1) throw new InvalidArgumentError(`every scale needs at least one service, got "${value}"`);
    return parseCount(s.trim());
  });
  if (scales.some((s, i) => i > 0 && s <= scales[i - 1]))
    throw new InvalidArgumentError(`scales must be strictly increasing, got "${value}"`);
  return scales;
}
