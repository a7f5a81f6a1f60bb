// The one interface every proxy mode implements (as kube-proxy's pkg/proxy has one Provider
// per mode): build a node's data plane from the cluster, apply changes, classify packets.
import type { Cluster } from '../cluster/model.ts';
import type { Rng } from '../engine/rng.ts';

/** A registered proxy mode's name (src/proxy/registry.ts lists them). */
export type ProxyModeName = string;

import type { ProtoNumber } from '../util/proto.ts';

/** A packet as the data plane sees it: integer addresses, no strings. */
export interface Packet {
  src: number;
  dst: number;
  proto: ProtoNumber;
  sport: number;
  dport: number;
}

/** Where the packet enters the node's netfilter hooks. */
export type PacketOrigin =
  /** from a pod on this node or from the network (nat PREROUTING) */
  | 'forwarded'
  /** from a process on the node itself, host network (nat OUTPUT) */
  | 'local';

export type Verdict = 'DNAT' | 'ACCEPT' | 'DROP' | 'REJECT' | 'NONE';

/** The answer `kpsim trace --json` prints for one packet. */
export interface TraceResult {
  verdict: Verdict;
  /** Every endpoint the packet can be DNATed to ("ip:port"), in rule order. */
  endpoints: string[];
  /** Whether the packet's path sets the masquerade mark (or otherwise gets SNATed). */
  masquerade: boolean;
  /**
   * Rules evaluated in the service lookup (iptables: the DNAT hook, nat PREROUTING or OUTPUT;
   * nftables: the rules of the chains walked): each rule whose matches were tested. Hash-table
   * probes and map lookups are not rules (LookupResult.hashProbes).
   */
  rulesEvaluated: number;
  /** Human-readable steps: chains entered and rules matched (or the IPVS/userspace lookups). */
  path: string[];
  /** Set when the walk reached a rule kpsim cannot evaluate (an unknown match or target): the answer may be wrong. */
  uncertain?: true;
}

/**
 * The hot-path answer for one first packet: a single endpoint chosen with the given random
 * source, as the kernel would. Reused between calls: no allocation per packet.
 */
export interface LookupResult {
  verdict: Verdict;
  /** Chosen endpoint as uint32 IP and port (0 when none). */
  endpointIP: number;
  endpointPort: number;
  masquerade: boolean;
  /** Rules tested (as TraceResult.rulesEvaluated). */
  rulesEvaluated: number;
  /** Hash-table probes and map lookups (IPVS service-table chain steps, nftables verdict maps, eBPF maps); 0 where none. */
  hashProbes: number;
}

/** Resets a reused LookupResult before a lookup fills it in. */
export function clearLookupResult(out: LookupResult): LookupResult {
  out.verdict = 'NONE';
  out.endpointIP = 0;
  out.endpointPort = 0;
  out.masquerade = false;
  out.rulesEvaluated = 0;
  out.hashProbes = 0;
  return out;
}

export function newLookupResult(): LookupResult {
  return { verdict: 'NONE', endpointIP: 0, endpointPort: 0, masquerade: false, rulesEvaluated: 0, hashProbes: 0 };
}

/** The size of a data plane, named by its mode (descriptor.stats): e.g. { iptables_rules: 1234 }. */
export type DataPlaneStats = Readonly<Record<string, number>>;

/** What one sync wrote, named by the mode (descriptor.syncWork), so its pricing.syncNs can price it. */
export type SyncWork = Readonly<Record<string, number>>;

/**
 * A capacity of the data plane the cluster exceeds, and what the real system then does (IPVS's
 * ipsets hold 65,536 members; Cilium's service map `bpf-lb-map-max` entries). A mode reports
 * it instead of failing: the sweep keeps the point and states the limit as a finding.
 */
export interface LimitReport {
  /** e.g. 'ipset.KUBE-CLUSTER-IP' or 'bpf-lb-map-max'. */
  name: string;
  capacity: number;
  /** What the cluster needs. */
  wanted: number;
  /** How many services (or entries) did not fit, and the first few of them ("ns/name:port"). */
  droppedCount: number;
  dropped: string[];
  /** What the real system does then, and its source. */
  consequence: string;
}

export interface SyncOptions {
  /** A full sync (start-up, or kube-proxy's periodic full resync) rather than a partial one. */
  full?: boolean;
}

/** One node's data plane in one mode. */
export interface DataPlane {
  readonly mode: ProxyModeName;
  /** Explore every branch (statistic, affinity) as kube-proxy's packet-flow test tracer does. */
  trace(packet: Packet, origin: PacketOrigin): TraceResult;
  /** Pick one endpoint as the kernel would, without allocating; fills and returns `out`. */
  lookup(packet: Packet, origin: PacketOrigin, rng: Rng, out: LookupResult): LookupResult;
  /**
   * Re-program the data plane for a changed cluster; returns what was written. A mode that can
   * write only what changed does so unless `opts.full` asks for a full sync (kube-proxy's
   * periodic full resync); a mode that always rewrites everything ignores it.
   */
  sync(cluster: Cluster, opts?: SyncOptions): SyncWork;
  stats(): DataPlaneStats;
  /** Text as the real tools print it; throws InputError for a format the mode does not have. */
  render(format: string): string;
  /** Optional: the capacities the last sync exceeded (none when everything fit). */
  limits?(): LimitReport[];
  /**
   * Optional: the simulated clock in seconds, for state that ages (ClientIP affinity,
   * `-m recent --seconds` in iptables mode). Modes without such state need not implement it.
   */
  setNow?(seconds: number): void;
  /**
   * Optional: a connection that lookup() scheduled has ended (same packet and origin as the
   * lookup, and the endpoint it chose), for modes that count connections per backend: the
   * IPVS lc/wlc/sed/nq schedulers and ipvsadm's ActiveConn/InActConn. Others omit it.
   */
  connectionClosed?(packet: Packet, origin: PacketOrigin, endpointIP: number, endpointPort: number): void;
}
