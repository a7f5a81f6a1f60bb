import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { formatSummary, runChurn } from '../../controlplane/index.ts';
import { parseDuration } from '../../engine/simulator.ts';
import { ROW_COLUMNS } from '../../output/results-files.ts';
import { PROXY_MODES, type ProxyModeName } from '../../proxy/types.ts';
import { loadScenario } from '../../scenario/load.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { InputError } from '../../util/errors.ts';
import { parseCount, parsePositive } from '../options.ts';

interface ChurnCliOptions {
  mode: string;
  services?: number;
  rate?: number;
  duration?: number;
  partialSync?: boolean;
  profile?: string;
  nodes?: number;
  out?: string;
  json?: boolean;
}

export function registerChurn(program: Command): void {
  program
    .command('churn')
    .summary('simulate API churn against every node\'s kube-proxy sync loop: network programming latency')
    .description([
      'Services and endpoints change over time (the scenario\'s `churn` section: Poisson',
      'rates per kind and a timeline). Each simulated node runs kube-proxy\'s sync loop',
      '(BoundedFrequencyRunner: minSyncPeriod, burst 2, a sync at least every',
      'syncPeriod) and each sync takes what the cost model charges for what it writes.',
      'Prints network programming latency (change to the end of the sync that includes',
      'it) across nodes and over time, sync durations, the pending-change queue, CPU',
      'share and whether the proxy keeps up. All numbers are on the simulated clock.',
    ].join('\n'))
    .argument('<scenario>', 'scenario file, e.g. scenarios/churn.yaml')
    .requiredOption('--mode <mode>', `proxy mode: ${PROXY_MODES.join('|')}`)
    .option('--services <n>', 'number of services (default: the scenario\'s first scale)', parseCount)
    .option('--rate <r>', 'churn events per second in total (scales the scenario\'s mix)', parseRate)
    .option('--duration <d>', 'simulated time changes arrive, e.g. 300s or 5m (default: the scenario\'s, 300s)', parseDurationOption)
    .option('--partial-sync', 'iptables: KEP-3453 partial restores (minimizeIPTablesRestore)')
    .option('--profile <profile>', 'iptables cost profile: modern|legacy (legacy: rules^2 table rewrite, pre-nft)')
    .option('--nodes <n>', 'simulated nodes (default: the scenario\'s churn.nodes, 10)', parsePositive)
    .option('-o, --out <dir>', 'write churn.csv (results.csv columns) and churn.json (the summary) there')
    .option('--json', 'print the JSON summary instead of the text')
    .addHelpText('after', '\nExamples:\n  kpsim churn scenarios/churn.yaml --mode iptables --services 5000 --rate 10\n  kpsim churn scenarios/churn.yaml --mode iptables --services 5000 --partial-sync --nodes 5000 --out /tmp/churn\n  kpsim churn scenarios/churn.yaml --mode iptables --services 5000 --profile legacy --rate 0.01 --json')
    .action((file: string, opts: ChurnCliOptions) => {
      if (!PROXY_MODES.includes(opts.mode as ProxyModeName)) throw new InputError(`unknown proxy mode (known: ${PROXY_MODES.join(', ')})`, undefined, '--mode', opts.mode);
      if (opts.profile !== undefined && opts.profile !== 'modern' && opts.profile !== 'legacy') throw new InputError('expected modern or legacy', undefined, '--profile', opts.profile);
      const scenario = loadScenario(file);
      const run = runChurn(scenario, {
        mode: opts.mode as ProxyModeName,
        services: opts.services,
        rate: opts.rate,
        durationNs: opts.duration,
        partialSync: opts.partialSync,
        profile: opts.profile as 'modern' | 'legacy' | undefined,
        nodes: opts.nodes,
      });
      const files: string[] = [];
      if (opts.out) {
        const csv = join(opts.out, 'churn.csv');
        const json = join(opts.out, 'churn.json');
        writeFileAtomic(csv, stringify(run.rows, { header: true, columns: [...ROW_COLUMNS] }));
        writeFileAtomic(json, JSON.stringify(run.summary, null, 1) + '\n');
        files.push(csv, json);
      }
      if (opts.json) process.stdout.write(JSON.stringify(run.summary) + '\n');
      else process.stdout.write(formatSummary(run.summary) + (files.length ? `results: ${files.join(', ')}\n` : ''));
    });
}

function parseRate(value: string): number {
  const n = Number(value);
  if (!/^\d*\.?\d+(e[-+]?\d+)?$/i.test(value) || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a non-negative number of events per second, got "${value}"`);
  return n;
}

function parseDurationOption(value: string): number {
  try {
    const ns = parseDuration(/^\d*\.?\d+$/.test(value) ? `${value}s` : value);
    if (ns <= 0) throw new Error('must be greater than 0');
    return ns;
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}
