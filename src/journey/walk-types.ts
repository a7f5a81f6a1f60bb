// Types of a packet's walk through the cluster, and the part of ClusterNetwork the DNS path
// uses. Kept apart from network.ts so dns-plane.ts and packets.ts need not import it (no cycle).
import type { Cluster } from '../cluster/model.ts';
import type { ConntrackTable } from '../conntrack/table.ts';
import type { Rng } from '../engine/rng.ts';
import type { CostModel } from '../metrics/cost-model.ts';
import type { DataPlane, PacketOrigin, Verdict } from '../proxy/types.ts';
import type { SnatPortAllocator } from '../snat/port-select.ts';
import type { NodeInfo } from './topology.ts';
import type { HopKind, Journey, Outcome, Phase, Tuple } from './types.ts';
import { type ProtoNumber } from '../util/proto.ts';

/** One node's packet-handling state. */
export interface NodeState {
  info: NodeInfo;
  /** Built the first time a packet needs the rules on this node. */
  dataPlane: DataPlane | null;
  conntrack: ConntrackTable;
  snat: SnatPortAllocator;
  /** Conntrack slots of flows the userspace proxy carries (their packets cross into user space). */
  proxied: Set<number>;
}

/** Where a packet starts a walk: on a node (with the netfilter origin) or outside the cluster. */
export type Start = { node: NodeInfo; origin: PacketOrigin } | { node: null };

export type WalkEnd =
  | { ok: true; kind: 'pod' | 'host' | 'external'; node: NodeInfo | null; pkt: Tuple }
  | { ok: false; outcome: Outcome; node: string; verdict: Verdict | null };

/** What a walk learned on the way, for the caller to keep. */
export interface WalkInfo {
  /** Verdict of the rules on the first node, if they were consulted there. */
  firstVerdict: Verdict | null;
  /** The first node masqueraded the packet. */
  masqueraded: boolean;
  /** The first node DNATed the packet (rules or an existing conntrack entry). */
  dnat: boolean;
  /** (node, packet as it arrived) for every conntrack entry the walk created or refreshed. */
  tracked: { node: NodeState; tuple: Tuple }[];
}

/** The members of ClusterNetwork that DnsPlane uses (ClusterNetwork implements it). */
export interface DnsHost {
  readonly cluster: Cluster;
  readonly cm: CostModel;
  readonly rng: Rng;
  readonly autopath: boolean;
  readonly nodeLocalDns: boolean;
  readonly dnsLookup: 'A' | 'getaddrinfo';
  readonly ndots: number;
  addHop(j: Journey, phase: Phase, name: string, kind: HopKind, node: string, ns: number, before: Tuple, after: Tuple, note?: string): void;
  walk(j: Journey, phase: Phase, start: Start, proto: ProtoNumber, pkt: Tuple, info: WalkInfo): WalkEnd;
  portInUse(info: NodeInfo, proto: ProtoNumber, ip: number, port: number, dst: number, dport: number, nowNs: number): boolean;
}
