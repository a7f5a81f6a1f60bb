// Control plane on the discrete-event clock: churn against a scenario's cluster, every node's
// kube-proxy sync loop, network programming latency. Entry points:
//
//   const { summary, rows } = runChurn(scenario, { mode: 'iptables', services: 5000, partialSync: true });
//   const rows = runChurnPoint(scenario, { mode: 'ipvs', scale: 10000, rate: 20 });
//   const rows = churnSweep(scenario, ['userspace', 'iptables', 'ipvs'], [1000, 10000, 50000], [1, 10, 100]);
import type { Cluster } from '../cluster/model.ts';
import { Rng } from '../engine/rng.ts';
import { churnMetricName } from '../metrics/churn-rows.ts';
import { resolveCostModel } from '../metrics/cost-model-source.ts';
import type { IptablesProfile } from '../netfilter/costs.ts';
import type { ResultRow } from '../metrics/results.ts';
import { type KubeProxyConfiguration } from '../proxy/config.ts';
import { parseKubeProxyConfig } from '../proxy/load-config.ts';
import { getMode } from '../proxy/modes.ts';
import type { ProxyModeName } from '../proxy/types.ts';
import { generateCluster, scenarioConfig, scenarioScales } from '../scenario/generate.ts';
import type { Scenario } from '../scenario/schema.ts';
import { InputError } from '../util/errors.ts';
import { buildSummary, type ChurnSummary, summaryRows } from './report.ts';
import { type InitialServices, servicesFromCluster } from './services.ts';
import { simulate, type SimulationOutput } from './simulate.ts';
import { type ChurnSpec, scenarioChurn } from './spec.ts';
import { generateStream } from './stream.ts';
import { ProbeCache, WorkModel } from './work-model.ts';

export { parseChurnSpec, scenarioChurn, churnSchema, CHURN_KINDS, type ChurnSpec, type ChurnKind } from './spec.ts';
export { formatSummary, type ChurnSummary } from './report.ts';
export type { SimulationOutput, SyncRecord } from './simulate.ts';

/** The variant name of a mode's partial syncs (iptables: KEP-3453 partial restores). */
export const PARTIAL = 'partial';

export interface ChurnOptions {
  mode: ProxyModeName;
  /** Number of user services (a scale of the scenario); default its first scale. */
  services?: number;
  /** Total churn event rate per second (scales the scenario's mix). */
  rate?: number;
  durationNs?: number;
  /** KEP-3453 partial restores (iptables). */
  partialSync?: boolean;
  profile?: IptablesProfile;
  nodes?: number;
  repetition?: number;
  /** Record every sync and latency (small runs and tests). */
  trace?: boolean;
  /** Any other field of the churn section. */
  spec?: Partial<ChurnSpec>;
}

export interface ChurnRun {
  summary: ChurnSummary;
  rows: ResultRow[];
  sim: SimulationOutput;
  spec: ChurnSpec;
  /** The work model that priced the syncs (probes of the mode's own data plane). */
  model: WorkModel;
}

interface Prepared {
  key: string;
  cluster: Cluster;
  initial: InitialServices;
  kpcBase: KubeProxyConfiguration;
  /** Data-plane probes per mode and variant, shared by the runs on this cluster. */
  probes: Map<string, ProbeCache>;
}

// The last cluster generated: a sweep runs several modes and rates on the same one.
let cache: Prepared | null = null;

function prepare(scenario: Scenario, scale: number, spec: ChurnSpec): Prepared {
  const file = scenario.file ?? '(scenario)';
  const node = spec.node ?? 'node-1';
  const key = JSON.stringify([scenario.file, scenario.name, scenario.seed, scale, node, scenario.proxy ?? null, scenario.cluster]);
  if (cache?.key === key) return cache;
  cache = null;
  const cluster = generateCluster(scenario, scale);
  if (!cluster.nodes.some((n) => n.metadata.name === node))
    throw new InputError(`reference node not in the cluster (node-1 to node-${cluster.nodes.length})`, file, 'churn.node', node);
  const config = scenarioConfig(scenario);
  const kpcBase = parseKubeProxyConfig({ ...(scenario.proxy ?? {}), hostnameOverride: node, clusterCIDR: config.clusterCIDR }, file);
  cache = { key, cluster, initial: servicesFromCluster(cluster, node), kpcBase, probes: new Map() };
  return cache;
}

/** The work model of a mode (and variant) on the prepared cluster, sharing its probes with earlier runs. */
function modelFor(mode: ProxyModeName, variant: string | undefined, p: Prepared, table: InitialServices['table'], file: string): WorkModel {
  const descriptor = getMode(mode, file, '--mode');
  const key = `${mode}+${variant ?? ''}`;
  let probes = p.probes.get(key);
  if (!probes) p.probes.set(key, (probes = new ProbeCache()));
  return new WorkModel({ mode: descriptor, variant, cluster: p.cluster, config: { ...p.kpcBase, mode }, table, cache: probes });
}

export function resolveSpec(scenario: Scenario, o: ChurnOptions): ChurnSpec {
  const spec: ChurnSpec = { ...scenarioChurn(scenario), ...(o.spec ?? {}) };
  if (o.rate !== undefined) spec.rate = o.rate;
  if (o.durationNs !== undefined) spec.duration = o.durationNs;
  if (o.nodes !== undefined) spec.nodes = o.nodes;
  if (o.partialSync !== undefined) spec.minimizeIPTablesRestore = o.partialSync;
  if (o.profile !== undefined) spec.profile = o.profile;
  // A timeline entry must fall inside the run; say how to fix it rather than fail mid-run.
  const late = spec.timeline.map((e, i) => ({ at: e.at, i })).filter((e) => e.at >= spec.duration);
  if (late.length > 0) {
    const lastS = Math.floor(Math.max(...late.map((e) => e.at)) / 1e9) + 1;
    throw new InputError(
      `timeline entry at ${late[0].at / 1e9}s is not before the end of the run (${spec.duration / 1e9}s${o.durationNs !== undefined ? ', from --duration' : ''}): run longer (--duration ${lastS}s or more) or move the entry into the run`,
      scenario.file ?? '(scenario)',
      `churn.timeline[${late[0].i}].at`,
    );
  }
  return spec;
}

export interface LoopSettings {
  minSyncPeriodNs: number;
  syncPeriodNs: number;
  fullSyncPeriodNs: number;
  burst: number;
}

/** The sync loop's settings: the churn section's, else the scenario's KubeProxyConfiguration (1s / 30s). */
export function resolveLoop(
  scenario: Scenario,
  spec: ChurnSpec,
  kpc: KubeProxyConfiguration = parseKubeProxyConfig(scenario.proxy ?? {}, scenario.file ?? '(scenario)'),
): LoopSettings {
  const file = scenario.file ?? '(scenario)';
  const minSync = spec.minSyncPeriod ?? kpc.minSyncPeriodNs;
  const syncPeriod = spec.syncPeriod ?? kpc.syncPeriodNs;
  if (!(syncPeriod > 0)) throw new InputError('syncPeriod must be greater than 0', file, 'churn.syncPeriod');
  if (syncPeriod < minSync)
    throw new InputError(
      `syncPeriod (${syncPeriod / 1e9}s) must be >= minSyncPeriod (${minSync / 1e9}s), as BoundedFrequencyRunner requires`,
      file,
      'churn.syncPeriod',
    );
  return {
    minSyncPeriodNs: minSync,
    syncPeriodNs: syncPeriod,
    fullSyncPeriodNs: spec.fullSyncPeriod ?? syncPeriod,
    burst: spec.burstSyncs,
  };
}

/** One churn run: cluster at `services`, churn stream, every node's loop; summary and rows. */
export function runChurn(scenario: Scenario, o: ChurnOptions): ChurnRun {
  const file = scenario.file ?? '(scenario)';
  const spec = resolveSpec(scenario, o);
  const scale = o.services ?? scenarioScales(scenario)[0];
  const repetition = o.repetition ?? 0;
  const p = prepare(scenario, scale, spec);
  const loop = resolveLoop(scenario, spec, p.kpcBase);
  const syncPeriod = loop.syncPeriodNs;

  const rng = new Rng(scenario.seed).fork(`churn/${scale}/${repetition}`);
  const stream = generateStream(spec, p.initial.table, scenario.endpointsPerService, rng.fork('stream'), file);
  const table = p.initial.table.copy();
  table.ensureCapacity(stream.servicesTotal);
  const partial = spec.minimizeIPTablesRestore && getMode(o.mode, file, '--mode').variants.some((v) => v.name === PARTIAL);
  const model = modelFor(o.mode, partial ? PARTIAL : undefined, p, table, file);
  const phases = new Float64Array(spec.nodes);
  if (spec.phase === 'random') {
    const pr = rng.fork('phases');
    for (let n = 0; n < phases.length; n++) phases[n] = pr.int(0, syncPeriod);
  } else {
    if (spec.phase >= syncPeriod)
      throw new InputError(`phase must be less than syncPeriod (${syncPeriod / 1e9}s)`, file, 'churn.phase', spec.phase / 1e9);
    phases.fill(spec.phase);
  }
  const sim = simulate({
    table,
    stream,
    model,
    mode: getMode(o.mode),
    costModel: resolveCostModel(scenario).costModel,
    profile: spec.profile,
    loop,
    phases,
    durationNs: spec.duration,
    windowNs: spec.window,
    sampleIntervalNs: spec.sampleInterval,
    exactSamples: spec.exactSamples,
    trace: o.trace,
  });
  const summary = buildSummary(
    {
      scenario: scenario.name,
      mode: o.mode,
      partialSync: partial,
      profile: spec.profile,
      services: scale,
      seed: scenario.seed,
      durationNs: spec.duration,
      windowNs: spec.window,
      loop,
      events: stream.events,
      skipped: stream.skipped,
    },
    sim,
  );
  return { summary, rows: summaryRows(summary, o.mode, partial ? PARTIAL : undefined, scale, repetition), sim, spec, model };
}

export interface ChurnPointOptions extends Omit<ChurnOptions, 'services'> {
  scale: number;
  /** Appended to every metric name (churnSweep puts the rate there: "@10/s"). */
  metricSuffix?: string;
}

/**
 * Rows of one churn point (mode, scale, churn rate), all on the simulated clock:
 * programming.latency (p50/p90/p99/max/mean s), programming.latency_all_nodes,
 * sync.duration.full / sync.duration.partial (p50/p99/max/mean s), sync.count,
 * queue.length (start/final/max/max_node), proxy.cpu_share (mean/max), churn.*, ruleset.*.
 * The variant column is "partial" for KEP-3453 partial restores.
 */
export function runChurnPoint(scenario: Scenario, o: ChurnPointOptions): ResultRow[] {
  const run = runChurn(scenario, { ...o, services: o.scale, trace: false });
  if (!o.metricSuffix) return run.rows;
  return run.rows.map((r) => ({ ...r, metric: r.metric + o.metricSuffix }));
}

/** A sweep over services x churn rate x modes; the rate goes in the metric name ("programming.latency@10/s"). */
export function churnSweep(
  scenario: Scenario,
  modes: readonly ProxyModeName[],
  scales: readonly number[],
  rates: readonly number[],
  o: Omit<ChurnOptions, 'mode' | 'services' | 'rate'> = {},
): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const scale of scales)
    for (const rate of rates)
      for (const mode of modes) {
        rows.push(...runChurnPoint(scenario, { ...o, mode, scale, rate, metricSuffix: churnMetricName('', rate) }));
      }
  return rows;
}
