// NodeLocal DNSCache (KEP-1024, kubernetes cluster/addons/dns/nodelocaldns): a CoreDNS cache on
// every node, listening on a link-local address (and on the kube-dns ClusterIP, with NOTRACK rules
// so those packets are neither DNATed nor conntracked). Its stock Corefile:
//
//   <cluster domain>:53  cache { success 9984 30; denial 9984 5 }  forward . <kube-dns-upstream VIP> { force_tcp }
//   in-addr.arpa:53, ip6.arpa:53  cache 30                          forward . <kube-dns-upstream VIP> { force_tcp }
//   .:53                 cache 30                                   forward . <the node's upstream resolvers>
//
// So a miss for a cluster name goes to CoreDNS over TCP through the kube-dns-upstream Service
// (DNAT, conntrack), and external names skip CoreDNS entirely.
import type { DnsQuestion, DnsResponse, DnsTransport, QueryContext } from './types.ts';
import { CachedTransport, DnsCache, type EvictionPolicy } from './cache.ts';
import { canonicalName, isUnder } from './names.ts';

/** The link-local address NodeLocal DNSCache listens on by default. */
export const NODELOCAL_DNS_IP = '169.254.20.10';

/** One network hop of a DNS query, for the data-plane models to replay. */
export interface DnsHop {
  from: 'pod' | 'node-local-dns' | 'coredns';
  to: 'node-local-dns' | 'coredns' | 'upstream';
  /** Destination address as the sender writes it ("kube-dns" means the kube-dns ClusterIP). */
  dst: string;
  protocol: 'UDP' | 'TCP';
  /** Whether kube-proxy's service DNAT (and so conntrack) applies. */
  dnat: boolean;
}

export type NodeLocalRoute = 'hit' | 'cluster-dns' | 'upstream';

export interface NodeLocalOptions {
  clusterDomain: string;
  capacity?: number;
  eviction?: EvictionPolicy;
  seed?: number | string;
}

export class NodeLocalDnsCache implements DnsTransport {
  readonly address = NODELOCAL_DNS_IP;
  private readonly domain: string;
  private readonly cluster: CachedTransport;
  private readonly reverse: CachedTransport;
  private readonly external: CachedTransport;
  /** Route of the last query, and counts per route. */
  lastRoute: NodeLocalRoute = 'hit';
  readonly routes: Record<NodeLocalRoute, number> = { hit: 0, 'cluster-dns': 0, upstream: 0 };

  /**
   * @param clusterDns where cluster-zone misses go: CoreDNS (usually with its own cache) behind kube-dns-upstream
   * @param upstream where other names go: the node's resolvers
   */
  constructor(
    readonly node: string,
    clusterDns: DnsTransport,
    upstream: DnsTransport,
    opts: NodeLocalOptions,
  ) {
    this.domain = canonicalName(opts.clusterDomain);
    const common = { capacity: opts.capacity, eviction: opts.eviction };
    this.cluster = new CachedTransport(
      clusterDns,
      new DnsCache({ ...common, maxTtl: 30, denialMaxTtl: 5, seed: `${opts.seed ?? node}/cluster` }),
    );
    this.reverse = new CachedTransport(clusterDns, new DnsCache({ ...common, maxTtl: 30, seed: `${opts.seed ?? node}/arpa` }));
    this.external = new CachedTransport(upstream, new DnsCache({ ...common, maxTtl: 30, seed: `${opts.seed ?? node}/root` }));
  }

  query(q: DnsQuestion, ctx: QueryContext = {}): DnsResponse {
    const name = canonicalName(q.name);
    const zone = isUnder(name, this.domain)
      ? this.cluster
      : isUnder(name, 'in-addr.arpa') || isUnder(name, 'ip6.arpa')
        ? this.reverse
        : this.external;
    const r = zone.query(q, ctx);
    this.lastRoute = r.cache === 'hit' ? 'hit' : zone === this.external ? 'upstream' : 'cluster-dns';
    this.routes[this.lastRoute]++;
    return r;
  }

  /** Hops a query takes for a route (a hit stays on the node). */
  static hops(route: NodeLocalRoute): DnsHop[] {
    const first: DnsHop = { from: 'pod', to: 'node-local-dns', dst: NODELOCAL_DNS_IP, protocol: 'UDP', dnat: false };
    if (route === 'hit') return [first];
    if (route === 'upstream') return [first, { from: 'node-local-dns', to: 'upstream', dst: 'upstream', protocol: 'UDP', dnat: false }];
    return [first, { from: 'node-local-dns', to: 'coredns', dst: 'kube-dns-upstream', protocol: 'TCP', dnat: true }];
  }

  cacheStats() {
    return { cluster: this.cluster.cache.stats(), reverse: this.reverse.cache.stats(), external: this.external.cache.stats() };
  }
}

/**
 * Hops without NodeLocal DNSCache: UDP to the kube-dns ClusterIP, DNATed to a CoreDNS pod, which
 * forwards external names unless its own cache answered.
 */
export function podDnsHops(r: Pick<DnsResponse, 'source' | 'cache'>): DnsHop[] {
  const first: DnsHop = { from: 'pod', to: 'coredns', dst: 'kube-dns', protocol: 'UDP', dnat: true };
  return r.source === 'upstream' && r.cache !== 'hit'
    ? [first, { from: 'coredns', to: 'upstream', dst: 'upstream', protocol: 'UDP', dnat: false }]
    : [first];
}
