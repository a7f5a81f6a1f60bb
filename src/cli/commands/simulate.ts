// `kpsim simulate`: the full packet journey (DNS, the proxy's rules, conntrack, SNAT, the pod
// network and the reply) for Poisson connections over a scenario's cluster. See docs/journey.md.
import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../../engine/simulator.ts';
import { resolveCostModel, withCostModelFile } from '../../metrics/cost-model-source.ts';
import {
  DEFAULT_CLIENT_NODES,
  formatSummary,
  hopsCsvChunks,
  NETWORK_KINDS,
  type NetworkKind,
  simulate,
  summarizeRun,
} from '../../journey/index.ts';
import { getMode } from '../../proxy/modes.ts';
import { generateCluster, scenarioScales } from '../../scenario/generate.ts';
import { loadScenario } from '../../scenario/load.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { InputError } from '../../util/errors.ts';
import { knownModes, parseCount, parsePositive, parseDurationOption } from '../options.ts';

interface SimulateCliOptions {
  scenario?: string;
  scale?: number;
  mode?: string;
  duration?: number;
  rate: number;
  external: number;
  byName: number;
  nodelocalDns?: boolean;
  autopath?: boolean;
  network: string;
  randomFully?: boolean;
  seed?: string;
  clientNodes?: number;
  out?: string;
  json?: boolean;
  costModel?: string;
}

export const SIMULATE_DEFAULTS = { duration: '10s', rate: 100, external: 0.2, byName: 0.5, network: 'vxlan' as NetworkKind };

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .summary('simulate connections end to end: DNS, proxy rules, conntrack, SNAT, pod network, reply')
    .description(
      "Connections arrive as a Poisson process on the simulated clock, from client pods on random nodes (or external clients, to NodePorts and load balancers) to random services, by DNS name for a fraction of them. Each connection's packets take the full journey: the DNS lookup (every query a UDP packet through the node's data plane and conntrack to a CoreDNS pod, unless NodeLocal DNSCache answers), the proxy's rules on the node the packet enters, conntrack, MASQUERADE where required, the pod network to the endpoint's node (routed, or a VXLAN overlay), and the reply back through conntrack's reverse mappings. Prints a summary and writes hops.csv (one row per hop) and summary.json. All times are simulated; the same seed gives the same files. See docs/journey.md.",
    )
    .option('--scenario <file>', 'scenario file (the cluster), e.g. scenarios/small.yaml; - for standard input')
    .option('--scale <n>', "number of services (default: the scenario's first scale)", parseCount)
    .option('--mode <mode>', `proxy mode: ${knownModes('|')}`)
    .option(
      '--duration <d>',
      `simulated time connections arrive in, e.g. 10s, 500ms, 1m (default: ${SIMULATE_DEFAULTS.duration})`,
      parseDurationOption,
    )
    .option('--rate <r>', 'new connections per simulated second', parseRate, SIMULATE_DEFAULTS.rate)
    .option(
      '--external <f>',
      'fraction of connections from external clients (NodePort / LoadBalancer)',
      parseFraction,
      SIMULATE_DEFAULTS.external,
    )
    .option('--by-name <f>', 'fraction of pod connections that resolve the service name first', parseFraction, SIMULATE_DEFAULTS.byName)
    .option('--nodelocal-dns', 'NodeLocal DNSCache on every node (pods query 169.254.20.10: no DNAT, no conntrack)')
    .option('--autopath', 'CoreDNS autopath @kubernetes (the server walks the search path)')
    .option('--network <kind>', `pod network between nodes: ${NETWORK_KINDS.join('|')}`, SIMULATE_DEFAULTS.network)
    .option('--random-fully', 'MASQUERADE --random-fully (random source port for every masqueraded connection)')
    .option('--seed <s>', "seed of the simulation's random choices (default: the scenario's seed)")
    .option(
      '--client-nodes <n>',
      `nodes clients run on and external traffic enters, a seeded sample (default ${DEFAULT_CLIENT_NODES}; every node of a smaller cluster)`,
      parsePositive,
    )
    .option('--cost-model <file>', "price the journey with this cost-model file (kpsim calibrate's output) instead of the scenario's")
    .option('-o, --out <dir>', 'where to write hops.csv and summary.json (default reports/simulate-<timestamp>)')
    .option('--json', 'print the summary as JSON instead of text')
    .addHelpText(
      'after',
      '\nExamples:\n  kpsim simulate --scenario scenarios/small.yaml --mode iptables --duration 10s\n  kpsim simulate --scenario scenarios/small.yaml --mode ipvs --by-name 1 --nodelocal-dns --network routed\n  kpsim simulate --scenario scenarios/small.yaml --mode iptables --external 1 --rate 2000 --random-fully --json',
    )
    .action((opts: SimulateCliOptions) => {
      if (opts.scenario === undefined) throw new InputError('--scenario FILE is required');
      if (opts.mode === undefined) throw new InputError(`--mode is required (${knownModes()})`);
      getMode(opts.mode, undefined, '--mode');
      if (!NETWORK_KINDS.includes(opts.network as NetworkKind))
        throw new InputError(`unknown network (known: ${NETWORK_KINDS.join(', ')})`, undefined, '--network', opts.network);
      const scenario = withCostModelFile(loadScenario(opts.scenario), opts.costModel);
      const pricing = resolveCostModel(scenario);
      const file = scenario.file ?? opts.scenario;
      const services = opts.scale ?? scenarioScales(scenario)[0];
      const seed = opts.seed === undefined ? scenario.seed : /^-?\d+$/.test(opts.seed) ? Number(opts.seed) : opts.seed;
      if (typeof seed === 'number' && !Number.isSafeInteger(seed))
        throw new InputError('must be a safe integer or a string', undefined, '--seed', opts.seed);
      const durationNs = opts.duration ?? parseDuration(SIMULATE_DEFAULTS.duration);
      const cluster = generateCluster(scenario, services);
      const run = simulate(cluster, {
        mode: opts.mode,
        network: opts.network as NetworkKind,
        nodeLocalDns: opts.nodelocalDns === true,
        autopath: opts.autopath === true,
        randomFully: opts.randomFully === true,
        seed,
        costModel: pricing.costModel,
        proxy: scenario.proxy,
        file,
        durationNs,
        rate: opts.rate,
        external: opts.external,
        byName: opts.byName,
        clientNodes: opts.clientNodes,
      });
      const summary = summarizeRun(run, {
        scenario: scenario.name,
        services,
        seed,
        durationNs,
        rate: opts.rate,
        external: opts.external,
        byName: opts.byName,
      });
      const dir = opts.out ?? join('reports', `simulate-${timestamp()}`);
      const csv = join(dir, 'hops.csv');
      const json = join(dir, 'summary.json');
      writeFileAtomic(csv, hopsCsvChunks(run.journeys));
      const record = { ...summary, costModel: pricing.info };
      writeFileAtomic(json, JSON.stringify(record, null, 1) + '\n');
      if (opts.json) process.stdout.write(JSON.stringify(record) + '\n');
      else {
        process.stdout.write(formatSummary(summary));
        if (run.externalUnavailable)
          process.stdout.write(
            'note: --external was asked for, but no service is reachable from outside (no NodePort or LoadBalancer): every client is a pod\n',
          );
        process.stdout.write(`wrote ${csv}, ${json}\n`);
      }
    });
}

function timestamp(): string {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

function parseRate(value: string): number {
  const n = Number(value);
  if (!/^\d*\.?\d+(e[-+]?\d+)?$/i.test(value) || !(n > 0) || !Number.isFinite(n))
    throw new InvalidArgumentError(`expected a positive number of connections per second, got "${value}"`);
  return n;
}

function parseFraction(value: string): number {
  const n = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected a fraction from 0 to 1, got "${value}"`);
  return n;
}
