// One sweep point: a (mode, scale, repetition) measured end to end. Everything simulated is a
// deterministic function of the scenario and the point; wall-clock figures are measured here.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Bench } from 'tinybench';
import { Rng } from '../engine/rng.ts';
import type { Cluster } from '../cluster/model.ts';
import { generateWithOneMore, scenarioConfig } from '../scenario/generate.ts';
import { loadScenario } from '../scenario/load.ts';
import type { Scenario } from '../scenario/schema.ts';
import { resolveCostModel, withCostModelFile } from '../metrics/cost-model-source.ts';
import { syncCostNs } from '../metrics/pricing.ts';
import type { IptablesProfile } from '../netfilter/costs.ts';
import type { PointOutput, ResultRow, SampleSet } from '../metrics/results.ts';
import { summarize } from '../metrics/stats.ts';
import { parseKubeProxyConfig } from '../proxy/load-config.ts';
import { getMode } from '../proxy/modes.ts';
import { type DataPlane, type Packet, type ProxyModeName, type SyncWork, newLookupResult } from '../proxy/types.ts';
import { parseIPv4, parseCidr } from '../util/ipv4.ts';
import { InputError } from '../util/errors.ts';
import { parseSweep, parseWorkload, type Workload } from '../workload/schema.ts';
import { newFlowTable } from '../workload/flows.ts';
import { runWorkload } from '../workload/simulate.ts';
import { planDns } from '../workload/dns-lookups.ts';
import { clusterIPTargets, nodePortTargets } from '../workload/targets.ts';

export interface PointTask {
  scenarioFile: string;
  mode: ProxyModeName;
  scale: number;
  repetition: number;
  /** Skip the wall-clock benchmarks (tests of the simulated numbers). */
  simulatedOnly?: boolean;
  /** --cost-model (absolute path): replaces the scenario's costModelFile. */
  costModelFile?: string;
}

export async function runPoint(task: PointTask): Promise<PointOutput> {
  const scenario = loadScenario(task.scenarioFile);
  return runPointWith(withCostModelFile(scenario, task.costModelFile), task);
}

export async function runPointWith(scenario: Scenario, task: PointTask): Promise<PointOutput> {
  const { mode, scale, repetition } = task;
  const file = scenario.file ?? '(scenario)';
  const workload = parseWorkload(scenario.workload, file);
  const sweep = parseSweep(scenario.sweep, file);
  const cm = resolveCostModel(scenario).costModel;
  const rows: ResultRow[] = [];
  const samples: SampleSet[] = [];
  const sim = (metric: string, unit: string, statistic: string, value: number) =>
    rows.push({ mode, scale, repetition, metric, clock: 'simulated', unit, statistic, value });
  // --simulated-only leaves every wall-clock row out, so two such runs write identical results.
  const wall = (metric: string, unit: string, statistic: string, value: number) => {
    if (!task.simulatedOnly) rows.push({ mode, scale, repetition, metric, clock: 'wall', unit, statistic, value });
  };
  const rng = new Rng(scenario.seed).fork(`point/${mode}/${scale}/${repetition}`);
  // What each sync wrote, in the mode's own terms (descriptor.syncWork): sync.work.<field>, statistic = which sync.
  const syncWorkRows = (which: string, w: SyncWork) => {
    for (const q of getMode(mode).syncWork) sim(`sync.work.${q.name}`, q.unit, which, w[q.name] ?? 0);
  };

  // The scenario at scale + 1 adds exactly one service: the add-service sync's cluster.
  const { cluster, plusOne } = generateWithOneMore(scenario, scale);
  const config = scenarioConfig(scenario);
  const node = cluster.nodes.find((n) => n.metadata.name === workload.node);
  if (!node)
    throw new InputError(
      `node not in the cluster (it has ${cluster.nodes.length} nodes, node-1 to node-${cluster.nodes.length})`,
      file,
      'workload.node',
      workload.node,
    );
  const kpc = parseKubeProxyConfig(
    { ...(scenario.proxy ?? {}), mode, hostnameOverride: workload.node, clusterCIDR: config.clusterCIDR },
    file,
  );
  const profile: IptablesProfile = sweep.iptablesProfile;

  // Full programming: an empty node data plane synced to the whole cluster.
  const proxy = getMode(mode, file, '--modes');
  const empty: Cluster = { ...cluster, services: [], endpointSlices: [], pods: [] };
  const heapBefore = heapUsed(2);
  const before = process.memoryUsage();
  const dp = proxy.build(empty, kpc);
  let t0 = process.hrtime.bigint();
  const fullWork = dp.sync(cluster);
  const fullWallNs = Number(process.hrtime.bigint() - t0);
  // The sync's peak heap above what was live before, estimated before any collection from what
  // it left (live and garbage) and from how far V8 had to grow the heap to hold its peak.
  const atEnd = process.memoryUsage();
  const buffers = atEnd.arrayBuffers - before.arrayBuffers;
  const peakSyncBytes = Math.max(0, atEnd.heapUsed + atEnd.arrayBuffers - heapBefore, atEnd.heapTotal - before.heapTotal + buffers);
  const heapBytes = retainedBytes(heapBefore, scale, () => {
    const copy = proxy.build(empty, kpc);
    copy.sync(cluster);
    return copy;
  });
  sim('sync.full', 's', 'value', syncCostNs(cm, proxy, fullWork, profile) / 1e9);
  syncWorkRows('full', fullWork);
  wall('sync.full', 'ms', 'value', fullWallNs / 1e6);

  // Traffic: clients are pods on the node under test, or external clients hitting its NodePorts.
  const podCidr = parseCidr(node.spec.podCIDR ?? '0.0.0.0/32');
  const pods = new Uint32Array(Math.max(1, Math.min(100, config.maxPodsPerNode)));
  for (let i = 0; i < pods.length; i++) pods[i] = podCidr.addr + 2 + i;
  const extClients = new Uint32Array(254);
  const testNet3 = parseIPv4('203.0.113.1'); // RFC 5737 documentation range
  for (let i = 0; i < extClients.length; i++) extClients[i] = testNet3 + i;
  const internal = clusterIPTargets(cluster);
  const external = nodePortTargets(cluster, workload.node);
  const flows = newFlowTable(kpc);
  const dns = workload.byName > 0 ? planDns(cluster, workload.clientNamespace) : null;
  const outcome = runWorkload({
    mode,
    dataPlane: dp,
    flows,
    costModel: cm,
    workload,
    internal,
    external,
    podIPs: pods,
    externalIPs: extClients,
    rng: rng.fork('workload'),
    dns,
  });

  const r = summarize(outcome.rulesEvaluated);
  for (const [stat, v] of [
    ['mean', r.mean],
    ['p50', r.p50],
    ['p90', r.p90],
    ['p99', r.p99],
    ['max', r.max],
  ] as const)
    sim('lookup.rules_evaluated', 'rules', stat, v);
  if (outcome.hashProbes.some((x) => x > 0)) {
    const hp = summarize(outcome.hashProbes);
    for (const [stat, v] of [
      ['mean', hp.mean],
      ['p50', hp.p50],
      ['p99', hp.p99],
      ['max', hp.max],
    ] as const)
      sim('lookup.hash_probes', 'probes', stat, v);
  }
  const l = summarize(outcome.lookupNs);
  for (const [stat, v] of [
    ['mean', l.mean],
    ['p50', l.p50],
    ['p99', l.p99],
  ] as const)
    sim('lookup.latency', 'ns', stat, v);
  const fp = summarize(Array.from(outcome.lookupNs, (x) => (x + cm.firstPacketBaseNs) / 1000));
  for (const [stat, v] of [
    ['p01', fp.p01],
    ['p50', fp.p50],
    ['p90', fp.p90],
    ['p99', fp.p99],
  ] as const)
    sim('first_packet.latency', 'us', stat, v);
  const perPacketNs = outcome.cpuNs / outcome.packets;
  sim('throughput.node_core', 'packets/s', 'value', 1e9 / perPacketNs);
  sim('cpu.per_connection', 'ns', 'value', outcome.cpuNs / outcome.connections);
  sim('workload.connections', 'count', 'value', outcome.connections);
  sim('workload.packets', 'count', 'value', outcome.packets);
  for (const [v, count] of Object.entries(outcome.verdicts)) if (count > 0) sim('workload.verdicts', 'count', v, count);
  sim('workload.conntrack_drops', 'count', 'value', outcome.conntrackDrops);
  if (outcome.dnsLookups > 0) {
    sim('dns.lookups', 'count', 'value', outcome.dnsLookups);
    sim('dns.queries', 'count', 'value', outcome.dnsQueries);
    sim('dns.amplification', 'queries/lookup', 'mean', outcome.dnsQueries / outcome.dnsLookups);
    sim('dns.rules_evaluated', 'rules', 'mean', outcome.dnsRulesEvaluated / outcome.dnsLookups);
  }
  wall('throughput.engine', 'packets/s', 'value', outcome.packets / (outcome.wallNs / 1e9));

  const stats = dp.stats();
  for (const q of proxy.stats) sim(`memory.${q.name}`, q.unit, 'value', stats[q.name] ?? NaN);
  sim('memory.conntrack_entries', 'count', 'value', flows.size);
  // Capacities the full sync exceeded: the point goes on, as the real proxy does, and says so.
  const limits = dp.limits?.() ?? [];
  for (const l of limits) {
    sim(`limit.${l.name}`, 'count', 'capacity', l.capacity);
    sim(`limit.${l.name}`, 'count', 'wanted', l.wanted);
    sim(`limit.${l.name}`, 'count', 'dropped', l.droppedCount);
  }
  wall('memory.heap_bytes', 'bytes', 'value', heapBytes);
  wall('memory.heap_bytes', 'bytes', 'peak_sync', peakSyncBytes);
  // Bytes per rule of this process's data plane (docs/scale.md): retained, and at the sync's peak.
  const rules = proxy.ruleCount ? (stats[proxy.ruleCount] ?? 0) : 0;
  if (rules > 0) {
    wall('memory.bytes_per_rule', 'bytes/rule', 'steady', heapBytes / rules);
    wall('memory.bytes_per_rule', 'bytes/rule', 'peak_sync', peakSyncBytes / rules);
  }

  if (!task.simulatedOnly) {
    // The calibration loop runs right before and right after the lookups, so it sees the same
    // machine state (other processes, thermal) that the lookups saw.
    const calibBefore = await benchCalibration(workload);
    const lookups = await benchLookups(dp, internal, pods, workload, rng.fork('bench'));
    const calib = [...calibBefore, ...(await benchCalibration(workload))];
    samples.push({ mode, scale, repetition, metric: 'lookup.latency', unit: 'ns', values: lookups });
    const s = summarize(lookups);
    for (const [stat, v] of [
      ['p50', s.p50],
      ['p99', s.p99],
      ['iqr', s.iqr],
      ['min', s.min],
      ['n', s.n],
    ] as const)
      wall('lookup.latency', 'ns', stat, v);
    samples.push({ mode, scale, repetition, metric: 'calibration.loop', unit: 'ns', values: calib });
    wall('calibration.loop', 'ns', 'p50', summarize(calib).p50);
  }

  // One change each: a new service, then one endpoint gone.
  t0 = process.hrtime.bigint();
  const addWork = dp.sync(plusOne);
  wall('sync.add_service', 'ms', 'value', Number(process.hrtime.bigint() - t0) / 1e6);
  sim('sync.add_service', 's', 'value', syncCostNs(cm, proxy, addWork, profile) / 1e9);
  syncWorkRows('add_service', addWork);
  // What the last sync let go (the old rows, service map and the sync's garbage) goes before the next one.
  collectGarbage();
  const minusEndpoint = withoutOneEndpoint(plusOne);
  t0 = process.hrtime.bigint();
  const delWork = dp.sync(minusEndpoint);
  wall('sync.remove_endpoint', 'ms', 'value', Number(process.hrtime.bigint() - t0) / 1e6);
  sim('sync.remove_endpoint', 's', 'value', syncCostNs(cm, proxy, delWork, profile) / 1e9);
  syncWorkRows('remove_endpoint', delWork);
  return { rows: rows.filter((x) => Number.isFinite(x.value)), samples, ...(limits.length > 0 ? { limits } : {}) };
}

/** Wall-clock ns per lookup of our own implementation: tinybench tasks of `lookupBatch` first packets. */
async function benchLookups(
  dp: DataPlane,
  targets: ReturnType<typeof clusterIPTargets>,
  pods: Uint32Array,
  w: Workload,
  rng: Rng,
): Promise<number[]> {
  if (targets.count === 0) return [];
  const batch: Packet[] = [];
  for (let i = 0; i < w.lookupBatch; i++) {
    const k = rng.int(0, targets.count);
    batch.push({
      src: pods[rng.int(0, pods.length)],
      dst: targets.ip[k],
      dport: targets.port[k],
      proto: targets.proto[k] as Packet['proto'],
      sport: rng.int(32768, 61000),
    });
  }
  const out = newLookupResult();
  const bench = new Bench({ time: w.benchTimeMs, warmupTime: Math.min(50, w.benchTimeMs), iterations: 10, retainSamples: true });
  bench.add('lookup', () => {
    for (let i = 0; i < batch.length; i++) dp.lookup(batch[i], 'forwarded', rng, out);
  });
  await bench.run();
  return taskSamples(bench).map((ms) => (ms * 1e6) / batch.length);
}

/** A fixed integer loop measured in the same run, so a gate can tell a slow machine from slow code. */
async function benchCalibration(w: Workload): Promise<number[]> {
  const bench = new Bench({ time: Math.min(50, w.benchTimeMs), warmupTime: 10, iterations: 10, retainSamples: true });
  let sink = 0;
  bench.add('calibration', () => {
    let x = 1;
    for (let i = 0; i < 10000; i++) x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    sink ^= x;
  });
  await bench.run();
  if (sink === 0.5) console.log(sink); // keep the loop observable to the optimiser
  return taskSamples(bench).map((ms) => (ms * 1e6) / 10000);
}

function taskSamples(bench: Bench): number[] {
  const result = bench.tasks[0]?.result;
  if (!result || !('latency' in result))
    throw new Error(`benchmark did not complete: ${result && 'error' in result ? (result.error).message : result?.state}`);
  return Array.from(result.latency.samples ?? []);
}

/** The cluster with the last endpoint of the first user service that has two or more removed. */
function withoutOneEndpoint(cluster: Cluster): Cluster {
  const slices = cluster.endpointSlices.slice();
  const i = slices.findIndex(
    (s) => s.metadata.namespace !== 'kube-system' && s.metadata.namespace !== 'default' && (s.endpoints?.length ?? 0) >= 2,
  );
  if (i < 0) return cluster;
  slices[i] = { ...slices[i], endpoints: slices[i].endpoints!.slice(0, -1) };
  return { ...cluster, endpointSlices: slices };
}

/**
 * Bytes one data plane retains (the one built is live). A small point's data plane is smaller than
 * the heap's own noise between two readings (a few hundred KB: inline caches, compiled code), so
 * below 2,000 services identical copies are built and kept until the reading, and the total is
 * divided by their number (docs/scale.md).
 */
function retainedBytes(heapBefore: number, scale: number, copy: () => unknown): number {
  const copies = Math.min(64, Math.ceil(2000 / Math.max(1, scale)));
  const kept: unknown[] = [];
  for (let i = 1; i < copies; i++) kept.push(copy());
  const bytes = Math.max(0, heapUsed() - heapBefore) / copies;
  kept.length = 0;
  return bytes;
}

/**
 * The live heap and array buffers (typed arrays' memory is outside the heap), collected first,
 * `passes` times. A previous point's data plane is only half gone after one collection (what its
 * optimised code held weakly goes in the next), so the reading before a sync takes two.
 */
function heapUsed(passes = 1): number {
  for (let i = 0; i < passes; i++) collectGarbage();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

let gcFn: (() => void) | null = null;

/** A full collection; gc() is exposed at run time (a worker thread cannot take --expose-gc). */
function collectGarbage(): void {
  if (gcFn === null) {
    // Old bytecode is flushed on collections: hundreds of KB freed between the two readings of a
    // small point, more than its data plane holds.
    v8.setFlagsFromString('--no-flush-bytecode');
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) gcFn = exposed;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
}
