// The cluster as packets see it: one data plane, conntrack table and MASQUERADE port allocator
// per node (built the first time a packet enters that node), the pod network between nodes
// (routed or VXLAN), and the walk of one packet through it. Every hop is charged on the
// simulated clock with the cost model. See docs/journey.md.
import type { Cluster, Pod } from '../cluster/model.ts';
import { DIR_ORIGINAL, INSERT_CLASH, INSERT_DROPPED, KEEP } from '../conntrack/table.ts';
import { Rng } from '../engine/rng.ts';
import { type CostModel, DEFAULT_COST_MODEL } from '../metrics/cost-model.ts';
import { lookupCostNs, snatSearchNs, userspaceCrossingNs } from '../metrics/pricing.ts';
import { type KubeProxyConfiguration } from '../proxy/config.ts';
import { parseKubeProxyConfig } from '../proxy/load-config.ts';
import { getMode } from '../proxy/modes.ts';
import { type DataPlane, type LookupResult, newLookupResult, type Packet, type PacketOrigin, type ProxyModeName } from '../proxy/types.ts';
import { EPHEMERAL_PORT_RANGE, SnatPortAllocator } from '../snat/port-select.ts';
import { FLOW_SNAT_EXHAUSTED, trackNewFlow } from '../snat/masquerade.ts';
import { newFlowTable } from '../workload/flows.ts';
import { formatIPv4, tryParseIPv4 } from '../util/ipv4.ts';
import { InputError } from '../util/errors.ts';
import { type NodeInfo, Topology } from './topology.ts';
import { DnsPlane } from './dns-plane.ts';
import type { HopKind, Journey, NetworkKind, Phase, Tuple } from './types.ts';
import { sameTuple, tupleOf } from './packets.ts';
import type { DnsHost, NodeState, Start, WalkEnd, WalkInfo } from './walk-types.ts';
import { type ProtoNumber } from '../util/proto.ts';

export { newWalkInfo } from './packets.ts';
// Re-exported for existing importers; defined in walk-types.ts.
export type { DnsHost, NodeState, Start, WalkEnd, WalkInfo } from './walk-types.ts';

export interface NetworkOptions {
  mode: ProxyModeName;
  /** Pod network between nodes; default 'vxlan' (flannel's default backend). */
  network?: NetworkKind;
  /** NodeLocal DNSCache on every node. */
  nodeLocalDns?: boolean;
  /** CoreDNS `autopath @kubernetes`. */
  autopath?: boolean;
  /** MASQUERADE --random-fully. */
  randomFully?: boolean;
  /** Seed of every random choice the network makes (endpoint picks, SNAT ports). Default 1. */
  seed?: number | string;
  costModel?: CostModel;
  /** KubeProxyConfiguration fields (a scenario's `proxy` section); mode and hostnameOverride are set per node. */
  proxy?: Record<string, unknown>;
  /** How clients resolve names: getaddrinfo (A and AAAA together, the default) or A only. */
  dnsLookup?: 'A' | 'getaddrinfo';
  /** resolv.conf ndots (kubelet writes 5). */
  ndots?: number;
  /**
   * Most nodes that get a data plane of their own (default: every node). Past it, a node a
   * packet only passes through to a pod address borrows one already built: a pod destination
   * matches no service rule, and KUBE-SERVICES (or the IPVS table, or the portals) is the same
   * on every node, so the verdict (none) and the rules walked are the same. Nodes where a
   * connection starts, or whose own addresses or services are the destination, always get theirs.
   */
  maxDataPlanes?: number;
  /** Scenario file, for error messages. */
  file?: string;
}

const MAX_NODES_PER_WALK = 8;

export class ClusterNetwork implements DnsHost {
  readonly topology: Topology;
  readonly mode: ProxyModeName;
  /** The mode's proxy is a user-space process that carries every packet (and connects from the node). */
  readonly proxiesInUserspace: boolean;
  readonly network: NetworkKind;
  readonly cm: CostModel;
  readonly nodeLocalDns: boolean;
  readonly autopath: boolean;
  readonly randomFully: boolean;
  readonly dnsLookup: 'A' | 'getaddrinfo';
  readonly ndots: number;
  readonly dns: DnsPlane;
  readonly rng: Rng;
  /** Client source ports (a stream of its own, so other choices do not shift them). */
  readonly clientPorts: Rng;
  private readonly dpRng: Rng;
  private readonly baseConfig: KubeProxyConfiguration;
  private readonly states: (NodeState | null)[];
  private readonly lr: LookupResult = newLookupResult();
  private readonly scratchIn: Packet = { src: 0, dst: 0, proto: 6, sport: 0, dport: 0 };
  private readonly scratchOut: Packet = { src: 0, dst: 0, proto: 6, sport: 0, dport: 0 };
  /** The cluster's pods by address (for a client pod's namespace and node). */
  readonly podsByIP = new Map<number, Pod>();
  /** Names of the nodes whose data plane was built, in build order. */
  readonly dataPlanesBuilt: string[] = [];
  /** New flows priced with a borrowed data plane (see NetworkOptions.maxDataPlanes). */
  borrowedLookups = 0;
  private readonly maxDataPlanes: number;

  constructor(
    readonly cluster: Cluster,
    opts: NetworkOptions,
  ) {
    this.topology = new Topology(cluster);
    const mode = getMode(opts.mode, opts.file);
    this.mode = mode.name;
    this.proxiesInUserspace = mode.capabilities.perPacketUserspace;
    this.network = opts.network ?? 'vxlan';
    if (this.network !== 'routed' && this.network !== 'vxlan')
      throw new InputError('expected routed or vxlan', opts.file, 'network', this.network);
    this.cm = opts.costModel ?? DEFAULT_COST_MODEL;
    this.nodeLocalDns = opts.nodeLocalDns ?? false;
    this.autopath = opts.autopath ?? false;
    this.randomFully = opts.randomFully ?? false;
    this.dnsLookup = opts.dnsLookup ?? 'getaddrinfo';
    this.ndots = opts.ndots ?? 5;
    this.rng = new Rng(opts.seed ?? 1);
    this.dpRng = this.rng.fork('dataplane');
    this.clientPorts = this.rng.fork('client-ports');
    this.baseConfig = parseKubeProxyConfig(
      { clusterCIDR: cluster.config.clusterCIDR, ...(opts.proxy ?? {}), mode: this.mode, hostnameOverride: this.topology.nodes[0].name },
      opts.file ?? '(proxy)',
    );
    this.states = this.topology.nodes.map(() => null);
    this.maxDataPlanes = opts.maxDataPlanes ?? Infinity;
    if (!(this.maxDataPlanes >= 1)) throw new InputError('must be at least 1', opts.file, 'maxDataPlanes', opts.maxDataPlanes);
    for (const pod of cluster.pods) {
      const ip = tryParseIPv4(pod.ip);
      if (ip !== null && !this.podsByIP.has(ip)) this.podsByIP.set(ip, pod);
    }
    this.dns = new DnsPlane(this);
  }

  /** The node's state, created the first time it is needed. */
  node(info: NodeInfo): NodeState {
    let st = this.states[info.index];
    if (st === null) {
      const conntrack = newFlowTable(this.baseConfig);
      // The userspace proxy does not masquerade: it opens its own connection to the endpoint,
      // whose source port connect() picks from the ephemeral range.
      const snatOpts = this.proxiesInUserspace ? { toPorts: EPHEMERAL_PORT_RANGE, random: true } : { randomFully: this.randomFully };
      st = {
        info,
        dataPlane: null,
        conntrack,
        snat: new SnatPortAllocator(conntrack, this.rng.fork(`snat/${info.name}`), snatOpts),
        proxied: new Set(),
      };
      this.states[info.index] = st;
    }
    return st;
  }

  /** The node's data plane, built (and cached) the first time a packet needs it. */
  dataPlane(st: NodeState): DataPlane {
    if (st.dataPlane === null) {
      st.dataPlane = getMode(this.mode).build(this.cluster, { ...this.baseConfig, hostnameOverride: st.info.name });
      this.dataPlanesBuilt.push(st.info.name);
    }
    return st.dataPlane;
  }

  /** The data plane that decides a new flow entering `st` (its own, or a borrowed one: see maxDataPlanes). */
  private rulesFor(st: NodeState, first: boolean, dst: number): DataPlane {
    if (st.dataPlane !== null || first || this.dataPlanesBuilt.length < this.maxDataPlanes) return this.dataPlane(st);
    const loc = this.topology.locate(dst);
    if (loc.kind !== 'pod') return this.dataPlane(st);
    this.borrowedLookups++;
    return this.node(this.topology.node(this.dataPlanesBuilt[0])).dataPlane!;
  }

  /** Node states created so far. */
  nodeStates(): NodeState[] {
    return this.states.filter((s): s is NodeState => s !== null);
  }

  // ------------------------------------------------------------------ hops

  addHop(j: Journey, phase: Phase, name: string, kind: HopKind, node: string, ns: number, before: Tuple, after: Tuple, note = ''): void {
    const d = Math.max(0, Math.round(ns));
    j.hops.push({ seq: j.hops.length, phase, name, kind, node, startNs: j.cursor, ns: d, before, after, note });
    j.cursor += d;
  }

  // ------------------------------------------------------------------ the walk

  /**
   * Walks one packet from `start` until it is delivered (to a pod, a host-network process or
   * outside the cluster) or dropped, adding a hop for everything it goes through: on each node
   * conntrack (an existing flow: its NAT applied) or, for a new flow, the proxy's rules, the
   * MASQUERADE port choice and the new entry; then routing to the next node over the pod
   * network. `pkt` is the packet as it leaves its sender.
   */
  walk(j: Journey, phase: Phase, start: Start, proto: ProtoNumber, pkt: Tuple, info: WalkInfo): WalkEnd {
    const cm = this.cm;
    let p = pkt;
    let at: NodeInfo;
    let origin: PacketOrigin = start.node ? start.origin : 'forwarded';
    if (start.node !== null) at = start.node;
    else {
      // From outside: the network delivers it to the node that owns the destination.
      const loc = this.topology.locate(p.dst);
      if (loc.kind !== 'host' && loc.kind !== 'pod') return { ok: false, outcome: 'unrouted', node: 'external', verdict: null };
      at = loc.node;
      this.addHop(j, phase, 'wire-in', 'wire', at.name, cm.externalNetworkNs, p, p, 'from outside the cluster');
    }
    for (let visited = 0; ; visited++) {
      if (visited >= MAX_NODES_PER_WALK) return { ok: false, outcome: 'unrouted', node: at.name, verdict: null };
      const st = this.node(at);
      const r = this.netfilter(j, phase, st, origin, proto, p, info, visited === 0);
      if (!r.ok) return r;
      p = r.pkt;
      const loc = this.topology.locate(p.dst);
      this.addHop(
        j,
        phase,
        'forward',
        'forward',
        at.name,
        cm.packetBaseNs,
        p,
        p,
        loc.kind === 'blackhole' ? 'no route: a service address no rule translated' : '',
      );
      if (loc.kind === 'blackhole') return { ok: false, outcome: 'unrouted', node: at.name, verdict: null };
      if (loc.kind === 'external') {
        this.addHop(j, phase, 'wire-out', 'wire', at.name, cm.externalNetworkNs, p, p, 'to outside the cluster');
        return { ok: true, kind: 'external', node: null, pkt: p };
      }
      if (loc.node === at) {
        if (loc.kind === 'pod') this.addHop(j, phase, 'veth-in', 'veth', at.name, cm.vethHopNs, p, p, `into pod ${formatIPv4(p.dst)}`);
        else this.addHop(j, phase, 'host-in', 'host', at.name, 0, p, p, 'to a host-network process');
        return { ok: true, kind: loc.kind, node: at, pkt: p };
      }
      const next: NodeInfo = loc.node;
      if (this.network === 'vxlan') {
        this.addHop(
          j,
          phase,
          'vxlan-encap',
          'encap',
          at.name,
          cm.vxlanEncapNs + cm.vxlanOverheadBytes / cm.linkBytesPerNs,
          p,
          p,
          `outer ${formatIPv4(at.ip)} -> ${formatIPv4(next.ip)} udp/8472, +${cm.vxlanOverheadBytes} bytes`,
        );
        this.addHop(j, phase, 'wire', 'wire', next.name, cm.nodeNetworkNs, p, p, `${at.name} -> ${next.name}`);
        this.addHop(j, phase, 'vxlan-decap', 'decap', next.name, cm.vxlanDecapNs, p, p, '');
      } else {
        this.addHop(j, phase, 'wire', 'wire', next.name, cm.nodeNetworkNs, p, p, `${at.name} -> ${next.name} (pod-network route)`);
      }
      at = next;
      origin = 'forwarded';
    }
  }

  /** One node's netfilter for one packet: conntrack, or the rules + SNAT + a new entry. */
  private netfilter(
    j: Journey,
    phase: Phase,
    st: NodeState,
    origin: PacketOrigin,
    proto: ProtoNumber,
    p: Tuple,
    info: WalkInfo,
    first: boolean,
  ): { ok: true; pkt: Tuple } | (WalkEnd & { ok: false }) {
    const cm = this.cm;
    const now = j.cursor;
    const name = st.info.name;
    const ct = st.conntrack;
    const pk = this.scratchIn;
    pk.src = p.src;
    pk.sport = p.sport;
    pk.dst = p.dst;
    pk.dport = p.dport;
    pk.proto = proto;
    const slot = ct.lookup(pk, now);
    if (slot >= 0) {
      const dir = ct.lastDirection;
      const after = tupleOf(ct.translate(slot, dir, this.scratchOut));
      ct.refresh(slot, dir, now);
      const nat = !sameTuple(p, after);
      this.addHop(
        j,
        phase,
        'conntrack',
        'conntrack',
        name,
        cm.conntrackLookupNs,
        p,
        after,
        `hit, ${dir === DIR_ORIGINAL ? 'original' : 'reply'} direction${nat ? ', NAT applied' : ''}`,
      );
      if (st.proxied.has(slot))
        this.addHop(
          j,
          phase,
          'userspace-proxy',
          'userspace',
          name,
          userspaceCrossingNs(cm),
          after,
          after,
          'kube-proxy copies the packet through user space',
        );
      if (first && dir === DIR_ORIGINAL && after.dst !== p.dst) info.dnat = true;
      if (first && dir === DIR_ORIGINAL && after.src !== p.src) info.masqueraded = true;
      info.tracked.push({ node: st, tuple: p });
      return { ok: true, pkt: after };
    }
    // A new flow: the nat table (the proxy's rules) decides.
    const dp = this.rulesFor(st, first, p.dst);
    dp.setNow?.(now / 1e9);
    const lr = dp.lookup(pk, origin, this.dpRng, this.lr);
    const verdict = lr.verdict;
    if (first) info.firstVerdict = verdict;
    const dnat = verdict === 'DNAT';
    const afterRules: Tuple = dnat ? { src: p.src, sport: p.sport, dst: lr.endpointIP >>> 0, dport: lr.endpointPort } : p;
    const probes = lr.hashProbes > 0 ? `, ${lr.hashProbes} hash probe${lr.hashProbes > 1 ? 's' : ''}` : '';
    this.addHop(
      j,
      phase,
      'rules',
      'rules',
      name,
      lookupCostNs(cm, this.mode, lr),
      p,
      afterRules,
      `${verdict}, ${lr.rulesEvaluated} rules${probes}`,
    );
    if (verdict === 'DROP') return { ok: false, outcome: 'dropped', node: name, verdict };
    if (verdict === 'REJECT') return { ok: false, outcome: 'rejected', node: name, verdict };
    const proxied = dnat && this.proxiesInUserspace;
    if (proxied)
      this.addHop(
        j,
        phase,
        'userspace-proxy',
        'userspace',
        name,
        userspaceCrossingNs(cm),
        afterRules,
        afterRules,
        'kube-proxy accepts in user space and connects to the endpoint',
      );
    const masq = dnat && lr.masquerade;
    const endpointIP = lr.endpointIP >>> 0;
    const endpointPort = lr.endpointPort;
    const res = trackNewFlow(ct, st.snat, pk, dnat ? endpointIP : KEEP, dnat ? endpointPort : KEEP, masq, st.info.ip, now);
    const snatHop = this.proxiesInUserspace ? 'proxy-socket' : 'masquerade';
    if (res === FLOW_SNAT_EXHAUSTED) {
      this.addHop(
        j,
        phase,
        snatHop,
        'snat',
        name,
        snatSearchNs(cm, st.snat.lastCandidates),
        afterRules,
        afterRules,
        `no free port after ${st.snat.lastCandidates} candidates`,
      );
      return { ok: false, outcome: 'snat-exhausted', node: name, verdict };
    }
    if (res === INSERT_DROPPED) {
      this.addHop(j, phase, 'conntrack', 'conntrack', name, cm.conntrackInsertNs, p, afterRules, 'table full, dropping packet');
      return { ok: false, outcome: 'conntrack-full', node: name, verdict };
    }
    if (res === INSERT_CLASH) {
      this.addHop(j, phase, 'conntrack', 'conntrack', name, cm.conntrackInsertNs, p, afterRules, 'insert_failed: tuple already tracked');
      return { ok: false, outcome: 'conntrack-clash', node: name, verdict };
    }
    const after = tupleOf(ct.translate(res, DIR_ORIGINAL, this.scratchOut));
    if (masq) {
      const n = st.snat.lastCandidates;
      this.addHop(
        j,
        phase,
        snatHop,
        'snat',
        name,
        snatSearchNs(cm, n),
        afterRules,
        after,
        `${formatIPv4(after.src)}:${after.sport}, ${n} candidate${n === 1 ? '' : 's'} tried`,
      );
    }
    this.addHop(j, phase, 'conntrack', 'conntrack', name, cm.conntrackInsertNs, p, after, 'new entry');
    if (proxied) st.proxied.add(res);
    else st.proxied.delete(res);
    if (first) {
      info.dnat = dnat;
      info.masqueraded = masq;
    }
    info.tracked.push({ node: st, tuple: p });
    return { ok: true, pkt: after };
  }

  /** Marks the connection's entries closed (TCP TIME_WAIT, SCTP CLOSED; no-op for UDP). */
  closeFlows(proto: ProtoNumber, tracked: WalkInfo['tracked'], nowNs: number): void {
    const pk = this.scratchIn;
    for (const { node, tuple } of tracked) {
      pk.src = tuple.src;
      pk.sport = tuple.sport;
      pk.dst = tuple.dst;
      pk.dport = tuple.dport;
      pk.proto = proto;
      const slot = node.conntrack.lookup(pk, nowNs);
      if (slot >= 0) node.conntrack.close(slot, nowNs);
    }
  }

  /** True when `ip:port` towards `dst:dport` is already tracked on the node (the client must pick another port). */
  portInUse(info: NodeInfo, proto: ProtoNumber, ip: number, port: number, dst: number, dport: number, nowNs: number): boolean {
    return this.node(info).conntrack.tupleInUse(proto, ip, port, dst, dport, nowNs);
  }
}
