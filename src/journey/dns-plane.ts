// Cluster DNS on the packet path. A pod's lookup is walked by the real resolver model
// (src/dns/resolver.ts: search list, ndots, glibc's stop rules); every query it sends becomes a
// UDP packet from the pod to the kube-dns ClusterIP:53 that goes through the node's data plane
// and conntrack (30 s UDP entries) to one CoreDNS pod, whose cache and queue answer it, and back.
// A and AAAA for one name share a socket (one source port, one conntrack entry), as glibc sends
// them. With NodeLocal DNSCache the pod talks to 169.254.20.10 on its own node (NOTRACK: no
// DNAT, no conntrack); a cache hit ends there, a cluster-zone miss goes over TCP from the node
// to kube-dns (one kept-open connection per node, as CoreDNS's forward plugin keeps it).
import { CachedTransport } from '../dns/cache.ts';
import { DnsServerModel } from '../dns/capacity.ts';
import { NODELOCAL_DNS_IP, NodeLocalDnsCache } from '../dns/nodelocal.ts';
import { lookupHost, resolve, type ResolveOptions } from '../dns/resolver.ts';
import { CoreDnsServer } from '../dns/server.ts';
import type { DnsQuestion, DnsResponse, DnsTransport, QueryContext } from '../dns/types.ts';
import { EPHEMERAL_PORT_RANGE } from '../snat/port-select.ts';
import { formatIPv4, parseIPv4, tryParseIPv4 } from '../util/ipv4.ts';
import { InputError } from '../util/errors.ts';
import type { Rng } from '../engine/rng.ts';
import { newWalkInfo, reverse } from './packets.ts';
import type { NodeInfo } from './topology.ts';
import type { DnsLookupRecord, DnsQueryRecord, Journey, Tuple } from './types.ts';
import type { DnsHost } from './walk-types.ts';
import { PROTO_TCP, PROTO_UDP, type ProtoNumber } from '../util/proto.ts';

const NODELOCAL_IP = parseIPv4(NODELOCAL_DNS_IP);
const DNS_PORT = 53;
/** CoreDNS forward plugin: an idle upstream connection is closed after `expire` (default 10 s). */
export const FORWARD_EXPIRE_NS = 10e9;
/** glibc's resolver gives up on a server after `timeout` (default 5 s): what an overloaded CoreDNS costs. */
export const RESOLVER_TIMEOUT_NS = 5e9;

export interface DnsPlaneStats {
  lookups: number;
  queries: number;
  /** Lookups that produced no address (NXDOMAIN, NODATA, or a query lost on the way). */
  failed: number;
  /** Pod queries DNATed to a CoreDNS pod by the node's data plane. */
  dnatQueries: number;
  /** Queries that reached CoreDNS (from pods, or from NodeLocal DNSCache on a miss). */
  coreDnsQueries: number;
  coreDnsCacheHits: number;
  nodeLocalHits: number;
  nodeLocalMisses: number;
}

/** Failure answer when a query never came back (dropped, rejected): the resolver would time out. */
const LOST: DnsResponse = { rcode: 'NXDOMAIN', answers: [], negativeTtl: 0, source: 'cluster', work: 0 };

interface NodeLocalCall {
  j: Journey;
  node: NodeInfo;
  failed: boolean;
  replica: string;
  cacheHit: boolean;
}

export class DnsPlane {
  readonly stats: DnsPlaneStats = {
    lookups: 0,
    queries: 0,
    failed: 0,
    dnatQueries: 0,
    coreDnsQueries: 0,
    coreDnsCacheHits: 0,
    nodeLocalHits: 0,
    nodeLocalMisses: 0,
  };
  /** kube-dns ClusterIP (0 when the cluster has none). */
  readonly vip: number;
  readonly coreDns: DnsServerModel;
  readonly nodeLocalServiceNs: number;
  private serverInstance: CoreDnsServer | null = null;
  private readonly replicas = new Map<number, CachedTransport>();
  private readonly nodeLocals = new Map<string, NodeLocalDnsCache>();
  private readonly upstreamConns = new Map<string, { sport: number; lastNs: number }>();
  private readonly ports: Rng;
  private nodeLocalCall: NodeLocalCall | null = null;
  // Offered load on CoreDNS: queries in the current and the previous simulated second.
  private second = -1;
  private thisSecond = 0;
  private lastSecond = 0;

  constructor(readonly net: DnsHost) {
    const svc = net.cluster.services.find((s) => s.metadata.name === 'kube-dns' && (s.metadata.namespace ?? 'default') === 'kube-system');
    this.vip = (svc?.spec.clusterIP && tryParseIPv4(svc.spec.clusterIP)) || 0;
    let replicas = 0;
    for (const slice of net.cluster.endpointSlices) {
      if (slice.metadata.namespace !== 'kube-system' || slice.metadata.labels?.['kubernetes.io/service-name'] !== 'kube-dns') continue;
      for (const ep of slice.endpoints ?? []) if (ep.conditions?.ready !== false) replicas++;
    }
    this.coreDns = new DnsServerModel({ replicas: Math.max(1, replicas) });
    // NodeLocal DNSCache is CoreDNS too: the same per-query CPU, one instance per node.
    this.nodeLocalServiceNs = new DnsServerModel({ replicas: 1 }).meanServiceNs;
    this.ports = net.rng.fork('dns-ports');
  }

  private get server(): CoreDnsServer {
    return (this.serverInstance ??= CoreDnsServer.fromCluster(this.net.cluster, { autopath: this.net.autopath }));
  }

  /** Offered queries/s on CoreDNS: the larger of the last full simulated second and the current one so far. */
  private offeredQps(nowNs: number): number {
    const sec = Math.floor(nowNs / 1e9);
    if (sec !== this.second) {
      this.lastSecond = sec === this.second + 1 ? this.thisSecond : 0;
      this.second = sec;
      this.thisSecond = 0;
    }
    this.thisSecond++;
    return Math.max(this.lastSecond, this.thisSecond);
  }

  /**
   * Resolves `name` for the journey's client pod, sending every query through the network from
   * j.cursor; leaves j.cursor at the time the answer is back. Returns the lookup's record.
   */
  lookup(j: Journey, client: NodeInfo, name: string): DnsLookupRecord {
    if (this.vip === 0)
      throw new InputError(
        'the cluster has no kube-system/kube-dns Service with a ClusterIP: connecting by name needs cluster DNS (set systemServices: true)',
        undefined,
        'name',
        name,
      );
    this.stats.lookups++;
    const rec: DnsLookupRecord = { name, rcode: 'NXDOMAIN', address: '', queries: [] };
    const transport = new PodResolverTransport(this, j, client, rec, this.net.dnsLookup === 'getaddrinfo');
    const opts: ResolveOptions = {
      server: transport,
      namespace: j.namespace || 'default',
      clusterDomain: this.net.cluster.config.clusterDomain,
      ndots: this.net.ndots,
      ctx: { nowNs: j.cursor },
    };
    const r = this.net.dnsLookup === 'A' ? resolve(name, { ...opts, type: 'A' }) : lookupHost(name, opts);
    j.cursor = transport.end;
    this.stats.queries += rec.queries.length;
    rec.rcode = transport.lost ? 'TIMEOUT' : r.rcode;
    const a = transport.lost ? undefined : r.answers.find((x) => x.type === 'A');
    rec.address = a ? a.value : '';
    if (!a) this.stats.failed++;
    return rec;
  }

  /** A client-side port for a new DNS socket, not in use towards `dst:dport` on the node. */
  pickPort(node: NodeInfo, proto: ProtoNumber, src: number, dst: number, dport: number, nowNs: number): number {
    const { min, max } = EPHEMERAL_PORT_RANGE;
    let port = this.ports.int(min, max + 1);
    for (let i = 0; i < 64 && this.net.portInUse(node, proto, src, port, dst, dport, nowNs); i++) port = this.ports.int(min, max + 1);
    return port;
  }

  /**
   * One query from `from` (pod or node) to kube-dns over `proto`: the walk to a CoreDNS pod,
   * CoreDNS answering, and the walk back. Adds the hops to the journey.
   */
  queryCoreDns(
    j: Journey,
    from: NodeInfo,
    fromPod: boolean,
    proto: ProtoNumber,
    pkt: Tuple,
    q: DnsQuestion,
    ctx: QueryContext,
  ): { response: DnsResponse; dnat: boolean; replica: string; lost: boolean } {
    const net = this.net;
    const info = newWalkInfo();
    const there = net.walk(j, 'dns', { node: from, origin: fromPod ? 'forwarded' : 'local' }, proto, pkt, info);
    if (!there.ok) return { response: LOST, dnat: info.dnat, replica: '', lost: true };
    const replicaIP = there.pkt.dst;
    let replica = this.replicas.get(replicaIP);
    if (!replica) this.replicas.set(replicaIP, (replica = new CachedTransport(this.server)));
    const response = replica.query(q, { ...ctx, nowNs: j.cursor });
    this.stats.coreDnsQueries++;
    if (response.cache === 'hit') this.stats.coreDnsCacheHits++;
    const serviceNs = Math.min(RESOLVER_TIMEOUT_NS, this.coreDns.serviceTimeNs(this.offeredQps(j.cursor)));
    const at = there.node?.name ?? 'external';
    const note = `${q.type} ${q.name} ${response.rcode}${response.answers.length === 0 && response.rcode === 'NOERROR' ? ' (NODATA)' : ''}, cache ${response.cache ?? 'none'}${serviceNs >= RESOLVER_TIMEOUT_NS ? ', overloaded: resolver timeout' : ''}`;
    net.addHop(j, 'dns', 'coredns', 'dns-server', at, serviceNs, there.pkt, there.pkt, note);
    if (response.source === 'upstream' && response.cache !== 'hit')
      net.addHop(
        j,
        'dns',
        'coredns-forward',
        'dns-upstream',
        at,
        2 * net.cm.externalNetworkNs,
        there.pkt,
        there.pkt,
        'forward . /etc/resolv.conf',
      );
    const back = reverse(there.pkt);
    if (there.kind === 'pod' && there.node)
      net.addHop(
        j,
        'dns',
        'veth-out',
        'veth',
        there.node.name,
        net.cm.vethHopNs,
        back,
        back,
        `answer from CoreDNS ${formatIPv4(replicaIP)}`,
      );
    const start = there.node
      ? { node: there.node, origin: there.kind === 'pod' ? ('forwarded' as const) : ('local' as const) }
      : { node: null };
    const home = net.walk(j, 'dns', start, proto, back, newWalkInfo());
    return { response, dnat: info.dnat, replica: formatIPv4(replicaIP), lost: !home.ok };
  }

  /** The node's NodeLocal DNSCache, created on first use. */
  nodeLocal(node: NodeInfo): NodeLocalDnsCache {
    let nl = this.nodeLocals.get(node.name);
    if (!nl) {
      const upstream = new NodeLocalUpstream(this);
      nl = new NodeLocalDnsCache(node.name, upstream, this.server.upstream, {
        clusterDomain: this.net.cluster.config.clusterDomain,
        seed: `nodelocal/${node.name}`,
      });
      this.nodeLocals.set(node.name, nl);
    }
    return nl;
  }

  /** A query from a pod to NodeLocal DNSCache on its node; misses go on to CoreDNS over TCP. */
  queryNodeLocal(
    j: Journey,
    node: NodeInfo,
    pkt: Tuple,
    q: DnsQuestion,
    ctx: QueryContext,
  ): { response: DnsResponse; route: DnsQueryRecord['route']; replica: string; lost: boolean } {
    const net = this.net;
    const nl = this.nodeLocal(node);
    net.addHop(j, 'dns', 'node-local-dns', 'dns-server', node.name, this.nodeLocalServiceNs, pkt, pkt, `${q.type} ${q.name}`);
    const call: NodeLocalCall = { j, node, failed: false, replica: '', cacheHit: false };
    this.nodeLocalCall = call;
    let response: DnsResponse;
    try {
      response = nl.query(q, { ...ctx, nowNs: j.cursor });
    } finally {
      this.nodeLocalCall = null;
    }
    const route = nl.lastRoute === 'hit' ? 'nodelocal-hit' : nl.lastRoute === 'upstream' ? 'nodelocal-upstream' : 'nodelocal-miss';
    if (route === 'nodelocal-hit') this.stats.nodeLocalHits++;
    else this.stats.nodeLocalMisses++;
    if (route === 'nodelocal-upstream')
      net.addHop(
        j,
        'dns',
        'node-local-forward',
        'dns-upstream',
        node.name,
        2 * net.cm.externalNetworkNs,
        pkt,
        pkt,
        'forward . upstream resolvers',
      );
    return { response: call.failed ? LOST : response, route, replica: call.replica, lost: call.failed };
  }

  /** Called by NodeLocal DNSCache on a cluster-zone miss: TCP from the node to kube-dns. */
  forwardFromNodeLocal(q: DnsQuestion, ctx: QueryContext): DnsResponse {
    const call = this.nodeLocalCall;
    if (!call) throw new Error('NodeLocal DNSCache forwarded a query outside a journey');
    const { j, node } = call;
    let conn = this.upstreamConns.get(node.name);
    if (!conn || j.cursor - conn.lastNs > FORWARD_EXPIRE_NS) {
      conn = { sport: this.pickPort(node, PROTO_TCP, node.ip, this.vip, DNS_PORT, j.cursor), lastNs: j.cursor };
      this.upstreamConns.set(node.name, conn);
    }
    const pkt: Tuple = { src: node.ip, sport: conn.sport, dst: this.vip, dport: DNS_PORT };
    const r = this.queryCoreDns(j, node, false, PROTO_TCP, pkt, q, ctx);
    conn.lastNs = j.cursor;
    call.failed ||= r.lost;
    call.replica = r.replica;
    return r.response;
  }
}

/** What NodeLocal DNSCache forwards cluster-zone misses to: the journey's TCP path to CoreDNS. */
class NodeLocalUpstream implements DnsTransport {
  constructor(private readonly plane: DnsPlane) {}
  query(q: DnsQuestion, ctx?: QueryContext): DnsResponse {
    return this.plane.forwardFromNodeLocal(q, ctx ?? {});
  }
}

/**
 * The pod's resolver talking to the network: each query the resolver sends is walked as a
 * packet. A and AAAA for one name (getaddrinfo) leave together on one socket, so the pair takes
 * the longer of the two round trips; the next name starts when both answers are in.
 */
class PodResolverTransport implements DnsTransport {
  /** When the last answer is back. */
  end: number;
  /** A query never came back. */
  lost = false;
  private pairStart = 0;
  private pairName = '';
  private pairOpen = false;
  private sport = 0;

  constructor(
    private readonly plane: DnsPlane,
    private readonly j: Journey,
    private readonly node: NodeInfo,
    private readonly rec: DnsLookupRecord,
    private readonly paired: boolean,
  ) {
    this.end = j.cursor;
  }

  query(q: DnsQuestion, ctx: QueryContext = {}): DnsResponse {
    const { j, node, plane } = this;
    const network = plane.net;
    const nodeLocal = network.nodeLocalDns;
    const dst = nodeLocal ? NODELOCAL_IP : plane.vip;
    if (this.pairOpen && q.name === this.pairName) {
      this.pairOpen = false;
    } else {
      this.pairStart = this.end;
      this.pairName = q.name;
      this.pairOpen = this.paired;
      this.sport = plane.pickPort(node, PROTO_UDP, j.client.ip, dst, DNS_PORT, this.pairStart);
    }
    j.cursor = this.pairStart;
    const pkt: Tuple = { src: j.client.ip, sport: this.sport, dst, dport: DNS_PORT };
    network.addHop(
      j,
      'dns',
      'veth-out',
      'veth',
      node.name,
      network.cm.vethHopNs,
      pkt,
      pkt,
      `${q.type} ${q.name}${nodeLocal ? ' to NodeLocal DNSCache (NOTRACK)' : ''}`,
    );
    let record: DnsQueryRecord;
    let response: DnsResponse;
    if (nodeLocal) {
      const r = plane.queryNodeLocal(j, node, pkt, q, ctx);
      response = r.response;
      if (!r.lost) {
        const back = reverse(pkt);
        network.addHop(j, 'dns', 'veth-in', 'veth', node.name, network.cm.vethHopNs, back, back, 'answer from NodeLocal DNSCache');
      }
      record = {
        name: q.name,
        type: q.type,
        rcode: response.rcode,
        route: r.route,
        dnat: false,
        replica: r.replica,
        cacheHit: r.route === 'nodelocal-hit',
        sport: this.sport,
        rttNs: j.cursor - this.pairStart,
      };
      this.lost ||= r.lost;
    } else {
      const r = plane.queryCoreDns(j, node, true, PROTO_UDP, pkt, q, ctx);
      response = r.response;
      if (r.dnat) plane.stats.dnatQueries++;
      record = {
        name: q.name,
        type: q.type,
        rcode: r.lost ? 'LOST' : response.rcode,
        route: 'coredns',
        dnat: r.dnat,
        replica: r.replica,
        cacheHit: response.cache === 'hit',
        sport: this.sport,
        rttNs: j.cursor - this.pairStart,
      };
      this.lost ||= r.lost;
    }
    this.rec.queries.push(record);
    this.end = Math.max(this.end, j.cursor);
    return response;
  }
}
