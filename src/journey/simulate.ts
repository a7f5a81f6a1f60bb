// `kpsim simulate`: connections arrive as a Poisson process on the discrete-event engine, from
// client pods on random nodes (or external clients) to random services (by DNS name for a
// fraction), and each one's journey runs as events: arrival (+ DNS lookup), first packet at the
// endpoint, reply at the client. A sweep once per simulated second stands in for the conntrack
// gc worker. Deterministic for a seed.
import type { Cluster } from '../cluster/model.ts';
import { Simulator } from '../engine/simulator.ts';
import { exponential } from '../engine/distributions.ts';
import type { Rng } from '../engine/rng.ts';
import { formatIPv4 } from '../util/ipv4.ts';
import { beginJourney, type ConnectionSpec, replyStep, requestStep, resolveStep } from './journey.ts';
import { ClusterNetwork, type NetworkOptions } from './network.ts';
import { buildWorkload, EXTERNAL_CLIENT_BASE, EXTERNAL_CLIENTS, type Workload } from './targets.ts';
import type { NodeInfo } from './topology.ts';
import type { Journey } from './types.ts';

export interface SimulateOptions extends NetworkOptions {
  /** Simulated time connections arrive in, ns. */
  durationNs: number;
  /** New connections per simulated second (Poisson). */
  rate: number;
  /** Share of connections from external clients (to NodePorts and load balancers). */
  external: number;
  /** Share of pod connections that use the service's DNS name. */
  byName: number;
  /**
   * Nodes clients run on and external traffic enters: a seeded sample of this many (default
   * DEFAULT_CLIENT_NODES), in node order; every node when the cluster has no more.
   */
  clientNodes?: number;
}

/** Client nodes by default: enough for cross-node traffic, few enough that a 1,000-node cluster needs a handful of data planes. */
export const DEFAULT_CLIENT_NODES = 8;
/** Data planes of their own for nodes that only forward to pods, besides the client nodes (see NetworkOptions.maxDataPlanes). */
export const EXTRA_DATA_PLANES = 4;

export interface SimulationRun {
  net: ClusterNetwork;
  journeys: Journey[];
  /** Conntrack entries across nodes: most after any once-a-second sweep, and live at the end. */
  conntrackPeak: number;
  /** Simulated time of the last event, ns. */
  endNs: number;
  /** External connections were asked for but no service is reachable from outside. */
  externalUnavailable: boolean;
  /** Names of the nodes clients ran on. */
  clientNodes: string[];
}

const EV_ARRIVE = 1;
const EV_REQUEST = 2;
const EV_REPLY = 3;
const EV_SWEEP = 4;
const SWEEP_EVERY_NS = 1e9;

export function simulate(cluster: Cluster, opts: SimulateOptions): SimulationRun {
  if (!(opts.durationNs > 0)) throw new Error(`simulate: durationNs must be > 0, got ${opts.durationNs}`);
  if (!(opts.rate > 0 && Number.isFinite(opts.rate))) throw new Error(`simulate: rate must be > 0, got ${opts.rate}`);
  const clientCount = opts.clientNodes ?? DEFAULT_CLIENT_NODES;
  if (!(Number.isInteger(clientCount) && clientCount >= 1))
    throw new Error(`simulate: clientNodes must be a positive integer, got ${clientCount}`);
  const net = new ClusterNetwork(cluster, { maxDataPlanes: clientCount + EXTRA_DATA_PLANES, ...opts });
  const clientNodes = sampleNodes(net, clientCount);
  const workload = buildWorkload(cluster, net.topology, clientNodes);
  const arrivals = net.rng.fork('arrivals');
  const picks = net.rng.fork('workload');
  const sim = new Simulator({ seed: 0 });
  const journeys: Journey[] = [];
  let peak = 0;
  const sweep = (now: number): number => {
    let total = 0;
    for (const st of net.nodeStates()) {
      st.conntrack.sweep(now);
      total += st.conntrack.size;
    }
    if (total > peak) peak = total;
    return total;
  };

  const first = Math.round(exponential(arrivals, opts.rate) * 1e9);
  if (first < opts.durationNs) sim.at(first, EV_ARRIVE);
  sim.at(Math.min(SWEEP_EVERY_NS, opts.durationNs), EV_SWEEP);
  sim.run((s, kind, a) => {
    switch (kind) {
      case EV_ARRIVE: {
        const next = s.now + Math.max(1, Math.round(exponential(arrivals, opts.rate) * 1e9));
        if (next < opts.durationNs) s.at(next, EV_ARRIVE);
        const spec = pickConnection(workload, picks, opts);
        const j = beginJourney(net, spec, s.now, journeys.length);
        journeys.push(j);
        if (resolveStep(net, j)) s.at(j.cursor, EV_REQUEST, j.id);
        break;
      }
      case EV_REQUEST: {
        const j = journeys[a];
        j.cursor = s.now;
        if (requestStep(net, j)) s.at(j.cursor, EV_REPLY, j.id);
        break;
      }
      case EV_REPLY: {
        const j = journeys[a];
        j.cursor = s.now;
        replyStep(net, j);
        break;
      }
      case EV_SWEEP: {
        sweep(s.now);
        if (s.now < opts.durationNs) s.at(Math.min(s.now + SWEEP_EVERY_NS, opts.durationNs), EV_SWEEP);
        break;
      }
    }
  });
  sweep(sim.now);
  return {
    net,
    journeys,
    conntrackPeak: peak,
    endNs: sim.now,
    externalUnavailable: opts.external > 0 && workload.external.length === 0,
    clientNodes: clientNodes.map((n) => n.name),
  };
}

/** A seeded sample of `count` nodes, in node order (all of them when there are no more). */
function sampleNodes(net: ClusterNetwork, count: number): NodeInfo[] {
  const nodes = net.topology.nodes;
  if (nodes.length <= count) return nodes;
  const rng = net.rng.fork('client-nodes');
  const idx = nodes.map((_, i) => i);
  for (let i = 0; i < count; i++) {
    const k = rng.int(i, idx.length);
    [idx[i], idx[k]] = [idx[k], idx[i]];
  }
  return idx
    .slice(0, count)
    .sort((a, b) => a - b)
    .map((i) => nodes[i]);
}

/** One arriving connection: who, to what, by name or address. */
function pickConnection(w: Workload, rng: Rng, opts: SimulateOptions): ConnectionSpec {
  if (w.external.length > 0 && opts.external > 0 && rng.next() < opts.external) {
    const t = w.external[rng.int(0, w.external.length)];
    const node = t.nodes[rng.int(0, t.nodes.length)];
    const ip = EXTERNAL_CLIENT_BASE + rng.int(0, EXTERNAL_CLIENTS);
    return {
      client: { kind: 'external', ip, node: node.name },
      dst: { ip: t.kind === 'nodeport' ? node.ip : t.ip, port: t.port },
      proto: t.proto,
    };
  }
  const node = w.clientNodes[rng.int(0, w.clientNodes.length)];
  const pods = w.clients[node.index];
  const pod = pods[rng.int(0, pods.length)];
  const byName = opts.byName > 0 && w.byName.length > 0 && rng.next() < opts.byName;
  const list = byName ? w.byName : w.byAddress;
  if (list.length === 0) {
    // A cluster with no services: talk to another client pod directly.
    const other = w.clients[w.clientNodes[rng.int(0, w.clientNodes.length)].index];
    return {
      client: { kind: 'pod', ip: pod.ip, namespace: pod.namespace },
      dst: { ip: formatIPv4(other[rng.int(0, other.length)].ip), port: 8080 },
    };
  }
  const t = list[rng.int(0, list.length)];
  const client = { kind: 'pod' as const, ip: pod.ip, namespace: pod.namespace };
  if (byName)
    return { client, dst: { name: t.namespace === pod.namespace ? t.name : `${t.name}.${t.namespace}`, port: t.port }, proto: t.proto };
  return { client, dst: { ip: t.ip, port: t.port }, proto: t.proto };
}
