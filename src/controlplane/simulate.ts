// The control-plane simulation: the API change stream arrives on the simulated clock; every
// node's kube-proxy batches what is pending and syncs under BoundedFrequencyRunner rules; a
// sync takes what syncCostNs charges for what it writes, and covers exactly the changes that
// had arrived when it started. Network programming latency of a change on a node is the time
// from the change to the end of the first sync on that node that includes it (what
// kubeproxy_network_programming_duration_seconds observes).
import type { CostModel } from '../metrics/cost-model.ts';
import { syncCostNs } from '../metrics/pricing.ts';
import type { IptablesProfile } from '../netfilter/costs.ts';
import { Simulator } from '../engine/simulator.ts';
import type { ProxyModeDescriptor } from '../proxy/mode.ts';
import type { SyncWork } from '../proxy/types.ts';
import { RunnerState } from './runner.ts';
import type { ServiceTable } from './services.ts';
import { QuantileSketch } from './sketch.ts';
import { applyChange, type ChangeStream } from './stream.ts';
import type { WorkModel } from './work-model.ts';

export interface LoopConfig {
  minSyncPeriodNs: number;
  syncPeriodNs: number;
  fullSyncPeriodNs: number;
  burst: number;
}

export interface SimulationInput {
  table: ServiceTable;
  stream: ChangeStream;
  model: WorkModel;
  mode: ProxyModeDescriptor;
  costModel: CostModel;
  profile: IptablesProfile;
  loop: LoopConfig;
  /** Loop phase of each node, ns in [0, syncPeriod): the node last synced at -phase. */
  phases: Float64Array;
  durationNs: number;
  windowNs: number;
  sampleIntervalNs: number;
  exactSamples: number;
  /** Keep every sync (and every latency) for tests and small runs. */
  trace?: boolean;
  /** After `durationNs`, keep running (no new changes) at most this long for pending changes (default max(10 x duration, 7 days)). */
  drainNs?: number;
}

export interface SyncRecord {
  node: number;
  start: number;
  end: number;
  full: boolean;
  from: number;
  to: number;
  /** What the sync wrote, in the mode's terms. */
  work: SyncWork;
}

export interface SimulationOutput {
  nodes: number;
  changes: number;
  latency: QuantileSketch;
  /** Latency sketches by window of change time. */
  windows: QuantileSketch[];
  /** Latency of changes in the first and last third of the run. */
  firstThird: QuantileSketch;
  lastThird: QuantileSketch;
  /** Per change: when the slowest node had it programmed (ns after the change); NaN if never. */
  allNodes: Float64Array;
  syncFull: QuantileSketch;
  syncPartial: QuantileSketch;
  /** Durations of the syncs that started in the last third of the run. */
  syncLastThird: QuantileSketch;
  /** Queue samples: time, mean over nodes and max over nodes of changes not yet programmed. */
  queue: { t: number[]; mean: number[]; max: number[] };
  /** Per node: ns spent syncing within [0, duration]. */
  busyNs: Float64Array;
  /** Per node: mean latency (ns) of its changes. */
  nodeMeanLatency: Float64Array;
  unprogrammed: number;
  endNs: number;
  /** Size of the node's rules at the start and at the end of the changes. */
  sizeStart: Record<string, number>;
  sizeEnd: Record<string, number>;
  syncs: SyncRecord[];
  latencies: { change: number; node: number; ns: number }[];
  events: number;
}

const EV_CHANGE = 0;
const EV_TIMER = 1;
const EV_END = 2;
const EV_SAMPLE = 3;

export function simulate(inp: SimulationInput): SimulationOutput {
  const { table, stream, model, loop } = inp;
  const N = inp.phases.length;
  const C = stream.count;
  const dur = inp.durationNs;
  const runner = new RunnerState(N, { minIntervalNs: loop.minSyncPeriodNs, maxIntervalNs: loop.syncPeriodNs, burst: loop.burst });
  const busy = new Uint8Array(N);
  const runRequested = new Uint8Array(N);
  const covered = new Int32Array(N);
  const coverEnd = new Int32Array(N);
  const syncStart = new Float64Array(N);
  const lastFullStart = new Float64Array(N);
  const busyNs = new Float64Array(N);
  const nodeLatSum = new Float64Array(N);
  const nodeLatN = new Float64Array(N);
  // Each change's service state before it (interned by the model): a sync adds, per service
  // changed since the node's last sync, the work of going from its state then to its state now.
  const wasId = new Int32Array(C);
  const acc = model.newAccumulator();
  const stamp = new Int32Array(stream.servicesTotal).fill(-1);
  const allNodes = new Float64Array(C).fill(NaN);
  const programmedOn = new Int32Array(C);
  const sk = () => new QuantileSketch(inp.exactSamples);
  const skPart = () => new QuantileSketch(Math.min(inp.exactSamples, 500_000));
  const nWindows = Math.max(1, Math.ceil(dur / inp.windowNs));
  const out: SimulationOutput = {
    nodes: N,
    changes: C,
    latency: sk(),
    windows: Array.from({ length: nWindows }, skPart),
    firstThird: skPart(),
    lastThird: skPart(),
    allNodes,
    syncFull: new QuantileSketch(),
    syncPartial: new QuantileSketch(),
    syncLastThird: new QuantileSketch(),
    queue: { t: [], mean: [], max: [] },
    busyNs,
    nodeMeanLatency: new Float64Array(N),
    unprogrammed: 0,
    endNs: 0,
    sizeStart: model.size(),
    sizeEnd: model.size(),
    syncs: [],
    latencies: [],
    events: 0,
  };
  const sim = new Simulator({ seed: 0, initialQueueCapacity: C + 4 * N + 64 });
  let arrived = 0;
  let syncSerial = 0;
  let done = C === 0 ? N : 0;

  for (let n = 0; n < N; n++) {
    const phase = inp.phases[n];
    runner.lastEnd[n] = -phase;
    lastFullStart[n] = -phase;
    setTimer(n, loop.syncPeriodNs - phase);
  }
  for (let j = 0; j < C; j++) sim.at(stream.time[j], EV_CHANGE, j);
  for (let t = 0; t <= dur; t += inp.sampleIntervalNs) sim.at(t, EV_SAMPLE);

  function setTimer(n: number, at: number): void {
    runner.timerGen[n]++;
    runner.timerAt[n] = at;
    sim.at(Math.max(at, sim.now), EV_TIMER, n, runner.timerGen[n]);
  }

  function tryRun(n: number, t: number): void {
    const retryAt = runner.tryAccept(n, t);
    if (retryAt < 0) startSync(n, t);
    else if (retryAt < runner.timerAt[n]) setTimer(n, retryAt);
  }

  function startSync(n: number, t: number): void {
    busy[n] = 1;
    runRequested[n] = 0;
    runner.timerGen[n]++; // the timer is reset when the run ends
    runner.timerAt[n] = Infinity;
    runner.refusedUntil[n] = -Infinity;
    const full = !model.partial || t - lastFullStart[n] >= loop.fullSyncPeriodNs;
    const a = covered[n];
    const b = arrived;
    coverEnd[n] = b;
    model.begin(full, acc);
    const serial = syncSerial++;
    for (let j = a; j < b; j++) {
      const s = stream.service[j];
      if (stamp[s] === serial) continue;
      stamp[s] = serial;
      model.addChange(acc, s, wasId[j], full);
    }
    const w = model.end(acc);
    const d = Math.max(0, Math.round(syncCostNs(inp.costModel, inp.mode, w, inp.profile)));
    if (full) {
      lastFullStart[n] = t;
      out.syncFull.add(d);
    } else out.syncPartial.add(d);
    if (t >= (2 * dur) / 3 && t < dur) out.syncLastThird.add(d);
    syncStart[n] = t;
    if (inp.trace) out.syncs.push({ node: n, start: t, end: t + d, full, from: a, to: b, work: w });
    sim.at(t + d, EV_END, n);
  }

  function endSync(n: number, t: number): void {
    busy[n] = 0;
    const a = covered[n];
    const b = coverEnd[n];
    for (let j = a; j < b; j++) {
      const lat = t - stream.time[j];
      out.latency.add(lat);
      const tj = stream.time[j];
      out.windows[Math.min(nWindows - 1, Math.floor(tj / inp.windowNs))].add(lat);
      if (tj < dur / 3) out.firstThird.add(lat);
      else if (tj >= (2 * dur) / 3) out.lastThird.add(lat);
      nodeLatSum[n] += lat;
      nodeLatN[n]++;
      if (++programmedOn[j] === N) allNodes[j] = lat;
      if (inp.trace) out.latencies.push({ change: j, node: n, ns: lat });
    }
    covered[n] = b;
    if (b === C && a < b) done++;
    runner.lastEnd[n] = t;
    const s0 = Math.max(0, syncStart[n]);
    const s1 = Math.min(dur, t);
    if (s1 > s0) busyNs[n] += s1 - s0;
    setTimer(n, t + loop.syncPeriodNs);
    if (runRequested[n]) tryRun(n, t);
  }

  const handler = (_s: Simulator, kind: number, a: number, b: number): void => {
    const t = sim.now;
    switch (kind) {
      case EV_CHANGE: {
        const s = stream.service[a];
        wasId[a] = model.idOf(s);
        model.before(s);
        applyChange(table, stream, a);
        model.after(s);
        arrived = a + 1;
        if (arrived === C) out.sizeEnd = model.size();
        for (let n = 0; n < N; n++) {
          if (busy[n]) runRequested[n] = 1;
          else if (t >= runner.refusedUntil[n]) tryRun(n, t);
        }
        break;
      }
      case EV_TIMER:
        if (b === runner.timerGen[a] && !busy[a]) tryRun(a, t);
        break;
      case EV_END:
        endSync(a, t);
        if (done === N && t >= dur) sim.stop();
        break;
      case EV_SAMPLE: {
        let sum = 0;
        let max = 0;
        for (let n = 0; n < N; n++) {
          const q = arrived - covered[n];
          sum += q;
          if (q > max) max = q;
        }
        out.queue.t.push(t);
        out.queue.mean.push(sum / N);
        out.queue.max.push(max);
        break;
      }
    }
  };
  out.events = sim.run(handler, dur);
  if (done < N) out.events += sim.run(handler, dur + (inp.drainNs ?? Math.max(10 * dur, 7 * 86400e9)));
  out.endNs = sim.now;
  for (let n = 0; n < N; n++) {
    out.unprogrammed += C - covered[n];
    out.nodeMeanLatency[n] = nodeLatN[n] > 0 ? nodeLatSum[n] / nodeLatN[n] : NaN;
  }
  return out;
}
