// One CoreDNS server as kubeadm configures it: the kubernetes plugin authoritative for the cluster
// domain and (with fallthrough) in-addr.arpa, `forward . /etc/resolv.conf` for everything else,
// and optionally `autopath @kubernetes`. Pure: a query in, a response out; caching is a separate
// layer (cache.ts) so it can sit inside CoreDNS (`cache 30`) or on the node (NodeLocal DNSCache).
import type { DnsQuestion, DnsRecord, DnsResponse, DnsTransport, QueryContext, RecordType } from './types.ts';
import type { Cluster } from '../cluster/model.ts';
import { ClusterZone, type ZoneOptions } from './zone.ts';
import { UpstreamZone } from './upstream.ts';
import { canonicalName, displayName, ipv4FromReverseName, isUnder } from './names.ts';
import { AUTOPATH_STEP_COST } from './capacity.ts';

/** CNAME chains longer than this are cut, as CoreDNS stops after 8 CNAMEs. */
const MAX_CNAME_DEPTH = 8;

export interface CoreDnsOptions {
  /** Names outside the cluster domain go here (default: an empty upstream, so they are NXDOMAIN). */
  upstream?: UpstreamZone;
  /**
   * `autopath @kubernetes`: the server walks the client pod's search path itself. Needs the
   * client's namespace in the query context (CoreDNS finds the pod by source IP, `pods verified`).
   */
  autopath?: boolean;
  /** Search domains from CoreDNS's own resolv.conf that autopath appends (usually the nodes' search). */
  autopathHostSearch?: string[];
}

interface Answer {
  rcode: 'NOERROR' | 'NXDOMAIN';
  answers: DnsRecord[];
  negativeTtl: number;
  source: 'cluster' | 'upstream';
}

export class CoreDnsServer implements DnsTransport {
  readonly upstream: UpstreamZone;
  private readonly autopath: boolean;
  private readonly autopathHostSearch: string[];
  /** Queries handled (client queries, not autopath's internal steps). */
  queries = 0;

  constructor(
    readonly zone: ClusterZone,
    opts: CoreDnsOptions = {},
  ) {
    this.upstream = opts.upstream ?? new UpstreamZone();
    this.autopath = opts.autopath ?? false;
    this.autopathHostSearch = (opts.autopathHostSearch ?? []).map(canonicalName);
  }

  /** Builds the zone index for a cluster (once) and a server on it. */
  static fromCluster(cluster: Cluster, opts: CoreDnsOptions & ZoneOptions = {}): CoreDnsServer {
    return new CoreDnsServer(new ClusterZone(cluster, opts), opts);
  }

  query(q: DnsQuestion, ctx: QueryContext = {}): DnsResponse {
    this.queries++;
    const name = canonicalName(q.name);
    const owner = displayName(q.name);
    if (this.autopath && ctx.clientNamespace !== undefined) {
      const r = this.autopathQuery(name, owner, q.type, ctx.clientNamespace.toLowerCase());
      if (r) return r;
    }
    return { ...this.answer(name, owner, q.type, 0), work: 1 };
  }

  /**
   * CoreDNS autopath: when the query is under the first element of the client's search path,
   * try base + each element (and finally the bare base name) and return the first answer that
   * is not NXDOMAIN, with a CNAME from the asked name to the found one. NODATA counts as found,
   * so an AAAA question for an IPv4-only service stops there. All NXDOMAIN: the first reply,
   * and the client walks its search path as usual.
   */
  private autopathQuery(name: string, owner: string, type: RecordType, ns: string): DnsResponse | undefined {
    const d = this.zone.domain;
    const first = `${ns}.svc.${d}`;
    if (!this.zone.covers(name) || name === first || !isUnder(name, first)) return undefined;
    const base = name.slice(0, name.length - first.length - 1);
    const path = [first, `svc.${d}`, d, ...this.autopathHostSearch, ''];
    let firstReply: Answer | undefined;
    for (let i = 0; i < path.length; i++) {
      const candidate = path[i] === '' ? base : `${base}.${path[i]}`;
      const r = this.answer(candidate, i === 0 ? owner : displayName(candidate), type, 0);
      if (i === 0) firstReply = r;
      if (r.rcode === 'NXDOMAIN') continue;
      const answers = r.answers.slice();
      const other = answers.find((a) => canonicalName(a.name) !== name);
      if (other) answers.unshift({ name: owner, type: 'CNAME', value: other.name, ttl: other.ttl });
      return { ...r, answers, work: 1 + AUTOPATH_STEP_COST * i };
    }
    return { ...firstReply!, work: 1 + AUTOPATH_STEP_COST * (path.length - 1) };
  }

  private answer(name: string, owner: string, type: RecordType, depth: number): Answer {
    if (this.zone.covers(name)) return this.clusterAnswer(name, owner, type, depth);
    if (type === 'PTR') {
      const ip = ipv4FromReverseName(name);
      const targets = ip === null ? undefined : this.zone.reverse(ip);
      if (targets) {
        return {
          rcode: 'NOERROR',
          answers: targets.map((t) => ({ name: owner, type: 'PTR', value: displayName(t), ttl: this.zone.ttl })),
          negativeTtl: this.zone.ttl,
          source: 'cluster',
        };
      }
    }
    // Not ours, or an in-addr.arpa name the cluster does not know (`fallthrough in-addr.arpa`).
    return this.upstreamAnswer(name, owner, type, depth);
  }

  private clusterAnswer(name: string, owner: string, type: RecordType, depth: number): Answer {
    const ttl = this.zone.ttl;
    const data = this.zone.lookup(name);
    if (data === undefined) return { rcode: 'NXDOMAIN', answers: [], negativeTtl: ttl, source: 'cluster' };
    const answers: DnsRecord[] = [];
    switch (type) {
      case 'A':
      case 'AAAA': {
        const addrs = type === 'A' ? data.a : data.aaaa;
        for (const ip of addrs) answers.push({ name: owner, type, value: ip, ttl });
        if (addrs.length === 0 && data.cname !== undefined && depth < MAX_CNAME_DEPTH) {
          const cname: DnsRecord = { name: owner, type: 'CNAME', value: displayName(data.cname), ttl };
          const next = this.answer(data.cname, displayName(data.cname), type, depth + 1);
          if (this.zone.covers(data.cname)) {
            // In-zone target: CoreDNS adds the CNAME only when the target resolves.
            if (next.answers.length > 0) answers.push(cname, ...next.answers);
          } else {
            answers.push(cname, ...next.answers);
          }
        }
        break;
      }
      case 'CNAME':
        if (data.cname !== undefined) answers.push({ name: owner, type: 'CNAME', value: displayName(data.cname), ttl });
        break;
      case 'SRV':
        for (const s of data.srv)
          answers.push({ name: owner, type: 'SRV', value: `${s.priority} ${s.weight} ${s.port} ${displayName(s.target)}`, ttl });
        break;
      case 'PTR':
        break; // forward names have no PTR: NODATA
    }
    return { rcode: 'NOERROR', answers, negativeTtl: ttl, source: 'cluster' };
  }

  private upstreamAnswer(name: string, owner: string, type: RecordType, depth: number): Answer {
    return { ...this.upstream.answer(name, owner, type, depth), source: 'upstream' };
  }
}
