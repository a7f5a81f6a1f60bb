import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { formatSummary, runChurn } from '../../controlplane/index.ts';
import { ROW_COLUMNS } from '../../output/results-files.ts';
import { getMode } from '../../proxy/modes.ts';
import { resolveCostModel, withCostModelFile } from '../../metrics/cost-model-source.ts';
import { loadScenario } from '../../scenario/load.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { InputError } from '../../util/errors.ts';
import { knownModes, parseCount, parseModes, parsePositive, parseDurationOption } from '../options.ts';
import { DEFAULT_SWEEP_RATES, parseRateList, parseScaleList, runChurnSweepCommand } from './churn-sweep.ts';

interface ChurnCliOptions {
  mode?: string;
  services?: number;
  rate?: number;
  duration?: number;
  partialSync?: boolean;
  profile?: string;
  nodes?: number;
  out?: string;
  json?: boolean;
  minSyncPeriod?: number;
  sweep?: boolean;
  modes?: string[];
  scales?: number[];
  rates?: number[];
  partialSyncToo: boolean;
  quiet?: boolean;
  force?: boolean;
  costModel?: string;
  progress?: boolean;
}

// Options of one point and of a sweep, so each can say which of the other's it refuses.
const POINT_ONLY = [
  ['mode', '--mode', '--modes'],
  ['services', '--services', '--scales'],
  ['rate', '--rate', '--rates'],
  ['partialSync', '--partial-sync', '--partial-sync-too'],
  ['json', '--json', "the run folder's results.json"],
] as const;
const SWEEP_ONLY = [
  ['modes', '--modes'],
  ['scales', '--scales'],
  ['rates', '--rates'],
  ['quiet', '--quiet'],
  ['force', '--force'],
  ['progress', '--progress'],
] as const;

export function registerChurn(program: Command): void {
  program
    .command('churn')
    .summary("simulate API churn against every node's kube-proxy sync loop: network programming latency")
    .description(
      [
        "Services and endpoints change over time (the scenario's `churn` section: Poisson",
        "rates per kind and a timeline). Each simulated node runs kube-proxy's sync loop",
        '(BoundedFrequencyRunner: minSyncPeriod, burst 2, a sync at least every',
        'syncPeriod) and each sync takes what the cost model charges for what it writes.',
        'Prints network programming latency (change to the end of the sync that includes',
        'it) across nodes and over time, sync durations, the pending-change queue, CPU',
        'share and whether the proxy keeps up. All numbers are on the simulated clock.',
        '',
        'With --sweep it runs services x churn rate x modes (plus iptables with KEP-3453',
        'partial restores, mode "iptables+partial") and writes a run folder like `kpsim sweep`:',
        'results.csv, fits.csv, results.json and the HTML report (index.html, charts/) with',
        "sync time and programming latency charts. Defaults: the scenario's scales (its",
        '`services` list), rates ' + DEFAULT_SWEEP_RATES.join(', ') + " events/s, every mode, and the scenario's",
        'churn.nodes and churn.duration (scenarios/churn.yaml: 10 nodes, 300 s: 60 points,',
        'well under a minute on two cores; --nodes and --duration trade detail for time).',
      ].join('\n'),
    )
    .argument('<scenario>', 'scenario file, e.g. scenarios/churn.yaml')
    .option('--mode <mode>', `proxy mode of one point: ${knownModes('|')} (required without --sweep)`)
    .option('--services <n>', "number of services (default: the scenario's first scale)", parseCount)
    .option('--rate <r>', "churn events per second in total (scales the scenario's mix)", parseRate)
    .option('--duration <d>', "simulated time changes arrive, e.g. 300s or 5m (default: the scenario's, 300s)", parseDurationOption)
    .option('--partial-sync', 'iptables: KEP-3453 partial restores (minimizeIPTablesRestore)')
    .option('--profile <profile>', 'iptables cost profile: modern|legacy (legacy: rules^2 table rewrite, pre-nft)')
    .option('--nodes <n>', "simulated nodes (default: the scenario's churn.nodes, 10)", parsePositive)
    .option(
      '--min-sync-period <d>',
      "kube-proxy minSyncPeriod, e.g. 10s (default: the scenario's churn.minSyncPeriod, else 1s)",
      parseDurationOption,
    )
    .option(
      '-o, --out <dir>',
      'one point: write churn.csv (results.csv columns) and churn.json (the summary) there; --sweep: the run folder (default reports/<yyyymmdd-hhmmss>-churn)',
    )
    .option('--json', 'print the JSON summary instead of the text')
    .option('--sweep', 'run services x churn rate x modes and write results and the HTML report')
    .option('--modes <list>', `--sweep: comma-separated proxy modes (default: all, ${knownModes(',')})`, parseModes)
    .option(
      '--scales <list>',
      "--sweep: comma-separated numbers of services, increasing (default: the scenario's services list)",
      parseScaleList,
    )
    .option(
      '--rates <list>',
      `--sweep: comma-separated churn events per second, increasing (default: ${DEFAULT_SWEEP_RATES.join(',')})`,
      parseRateList,
    )
    .option('--partial-sync-too', '--sweep: add an iptables+partial (KEP-3453) point beside each iptables one', true)
    .option('--no-partial-sync-too', '--sweep: full-restore iptables points only')
    .option('-q, --quiet', '--sweep: no progress on stderr, not even failed points')
    .option('--progress', '--sweep: progress lines on stderr even when it is not a terminal (default: only on a terminal)')
    .option('--force', '--sweep: write into a non-empty --out folder, replacing the results and report kpsim wrote there')
    .option('--cost-model <file>', "price syncs with this cost-model file (kpsim calibrate's output) instead of the scenario's")
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  kpsim churn scenarios/churn.yaml --mode iptables --services 5000 --rate 10',
        '  kpsim churn scenarios/churn.yaml --mode iptables --services 5000 --partial-sync --nodes 5000 --out /tmp/churn',
        '  kpsim churn scenarios/churn.yaml --mode iptables --services 5000 --profile legacy --rate 0.01 --json',
        '  kpsim churn scenarios/churn.yaml --sweep                      # 5 scales x 3 rates x 4 modes',
        '  kpsim churn scenarios/churn.yaml --sweep --modes iptables,ipvs --scales 1000,10000 --rates 1,10,100 --out /tmp/churn-sweep',
        '  kpsim churn scenarios/churn.yaml --sweep --modes iptables --min-sync-period 10s --nodes 100   # KEP-3453 conditions',
        '  kpsim churn scenarios/churn.yaml --sweep --modes iptables,ipvs --profile legacy --rates 0.01 --scales 1000,5000,20000   # Huawei 2017',
      ].join('\n'),
    )
    .action(async (file: string, opts: ChurnCliOptions) => {
      if (opts.profile !== undefined && opts.profile !== 'modern' && opts.profile !== 'legacy')
        throw new InputError('expected modern or legacy', undefined, '--profile', opts.profile);
      if (opts.sweep) {
        for (const [key, flag, instead] of POINT_ONLY)
          if (opts[key] !== undefined)
            throw new InputError(`${flag} is for one point; a sweep uses ${instead}`, undefined, flag, opts[key]);
        await runChurnSweepCommand(file, { ...opts, profile: opts.profile });
        return;
      }
      for (const [key, flag] of SWEEP_ONLY)
        if (opts[key] !== undefined) throw new InputError('only with --sweep', undefined, flag, opts[key]);
      if (!opts.partialSyncToo)
        throw new InputError('only with --sweep (one point takes --partial-sync)', undefined, '--no-partial-sync-too');
      if (opts.mode === undefined)
        throw new InputError('required: the proxy mode of the point (or --sweep for a sweep over modes)', undefined, '--mode');
      getMode(opts.mode, undefined, '--mode');
      const scenario = withCostModelFile(loadScenario(file), opts.costModel);
      const pricing = resolveCostModel(scenario).info;
      const run = runChurn(scenario, {
        mode: opts.mode,
        services: opts.services,
        rate: opts.rate,
        durationNs: opts.duration,
        partialSync: opts.partialSync,
        profile: opts.profile,
        nodes: opts.nodes,
        spec: opts.minSyncPeriod !== undefined ? { minSyncPeriod: opts.minSyncPeriod } : undefined,
      });
      const files: string[] = [];
      if (opts.out) {
        const csv = join(opts.out, 'churn.csv');
        const json = join(opts.out, 'churn.json');
        writeFileAtomic(csv, stringify(run.rows, { header: true, columns: [...ROW_COLUMNS] }));
        writeFileAtomic(json, JSON.stringify({ ...run.summary, costModel: pricing }, null, 1) + '\n');
        files.push(csv, json);
      }
      if (opts.json) process.stdout.write(JSON.stringify({ ...run.summary, costModel: pricing }) + '\n');
      else process.stdout.write(formatSummary(run.summary) + (files.length ? `results: ${files.join(', ')}\n` : ''));
    });
}

function parseRate(value: string): number {
  const n = Number(value);
  if (!/^\d*\.?\d+(e[-+]?\d+)?$/i.test(value) || !Number.isFinite(n))
    throw new InvalidArgumentError(`expected a non-negative number of events per second, got "${value}"`);
  return n;
}
