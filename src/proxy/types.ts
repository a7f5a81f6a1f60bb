// The one interface every proxy mode implements (as kube-proxy's pkg/proxy has one Provider
// per mode): build a node's data plane from the cluster, apply changes, classify packets.
import type { Cluster } from '../cluster/model.ts';
import type { Rng } from '../engine/rng.ts';
import type { KubeProxyConfiguration, ProxyModeName } from './config.ts';

export { PROXY_MODES, type ProxyModeName } from './config.ts';

/** Protocol numbers as in the IP header (and conntrack): the hot path compares integers. */
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_SCTP = 132;
export type ProtoNumber = typeof PROTO_TCP | typeof PROTO_UDP | typeof PROTO_SCTP;

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
   * iptables rules evaluated in the service lookup (the DNAT hook, nat PREROUTING or OUTPUT):
   * each rule whose matches were tested. IPVS hash probes are not rules (LookupResult.hashProbes).
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
  /** iptables rules tested (as TraceResult.rulesEvaluated). */
  rulesEvaluated: number;
  /** IPVS service-table hash probes (bucket head plus chain steps); 0 in other modes. */
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

/** Counts that describe the size of a data plane (the "memory" metrics). */
export interface DataPlaneStats {
  /** iptables rules across all tables (0 where the mode has none). */
  iptablesRules: number;
  iptablesChains: number;
  ipsetEntries: number;
  ipvsVirtualServers: number;
  ipvsRealServers: number;
  /** userspace proxy ports open. */
  proxyPorts: number;
}

/** What one sync wrote, so the cost model can price it. */
export interface SyncWork {
  /** Lines of iptables-restore input written (0 for a mode that does not use it). */
  restoreLines: number;
  /** Rules in the tables after the sync (iptables-restore cost grows with the whole table). */
  totalRules: number;
  /** Netlink operations (IPVS virtual/real server adds, updates, deletes). */
  netlinkOps: number;
  /** ipset entries added or removed. */
  ipsetOps: number;
  /** Userspace proxy ports opened or closed. */
  portOps: number;
  /** Separate `iptables` command runs (the userspace proxier ensured rules one by one). */
  iptablesInvocations?: number;
}

export interface RenderFormat {
  format: 'iptables-save' | 'ipvsadm' | 'ipset';
}

/** One node's data plane in one mode. */
export interface DataPlane {
  readonly mode: ProxyModeName;
  /** Every packet of a connection crosses into a user-space process (the userspace proxy). */
  readonly perPacketUserspace?: boolean;
  /** Explore every branch (statistic, affinity) as kube-proxy's packet-flow test tracer does. */
  trace(packet: Packet, origin: PacketOrigin): TraceResult;
  /** Pick one endpoint as the kernel would, without allocating; fills and returns `out`. */
  lookup(packet: Packet, origin: PacketOrigin, rng: Rng, out: LookupResult): LookupResult;
  /** Re-program the data plane for a changed cluster (a full sync); returns what was written. */
  sync(cluster: Cluster): SyncWork;
  stats(): DataPlaneStats;
  /** Text as the real tools print it; throws InputError for a format the mode does not have. */
  render(format: RenderFormat['format']): string;
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

export interface ProxyMode {
  readonly name: ProxyModeName;
  /** Builds the data plane of the node named by config.hostnameOverride. */
  build(cluster: Cluster, config: KubeProxyConfiguration): DataPlane;
}
