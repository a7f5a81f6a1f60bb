// What the CoreDNS `forward` plugin reaches: the resolvers outside the cluster. kpsim has no
// Internet, so the upstream is a small static zone the caller fills in; every other name is
// NXDOMAIN. (Filling in "everything resolves" would be wrong: host search-domain candidates such
// as `api.svc.corp.example` must fail for the search walk to continue, as they do in real life.)
import type { DnsQuestion, DnsRecord, DnsResponse, DnsTransport, Rcode, RecordType } from './types.ts';
import { canonicalName, displayName, isIPv4, isIPv6, isValidQueryName } from './names.ts';

/** TTL given to upstream records unless stated (a common authoritative default). */
export const UPSTREAM_DEFAULT_TTL = 300;
/** Negative TTL of upstream NXDOMAIN/NODATA answers (the SOA minimum of the zone that denies). */
export const UPSTREAM_NEGATIVE_TTL = 60;
const MAX_CNAME_DEPTH = 8;

export interface UpstreamRecord {
  type: RecordType;
  value: string;
  ttl: number;
}

export class UpstreamZone implements DnsTransport {
  private readonly names = new Map<string, UpstreamRecord[]>();
  /** Queries that reached the upstream (directly or forwarded by CoreDNS). */
  queries = 0;

  constructor(readonly negativeTtl = UPSTREAM_NEGATIVE_TTL) {}

  /** Adds a record; A/AAAA values are addresses, CNAME/PTR values names, SRV "prio weight port target". */
  add(name: string, type: RecordType, value: string, ttl = UPSTREAM_DEFAULT_TTL): this {
    if (!isValidQueryName(name)) throw new Error(`UpstreamZone.add: invalid name "${name}"`);
    if (type === 'A' && !isIPv4(value)) throw new Error(`UpstreamZone.add: A value must be an IPv4 address, got "${value}"`);
    if (type === 'AAAA' && !isIPv6(value)) throw new Error(`UpstreamZone.add: AAAA value must be an IPv6 address, got "${value}"`);
    const key = canonicalName(name);
    let list = this.names.get(key);
    if (!list) this.names.set(key, (list = []));
    list.push({ type, value: type === 'CNAME' || type === 'PTR' ? canonicalName(value) : value, ttl });
    return this;
  }

  /** Answer for a canonical name; `owner` is the name as asked (shown in the answers). */
  answer(name: string, owner: string, type: RecordType, depth = 0): { rcode: Rcode; answers: DnsRecord[]; negativeTtl: number } {
    this.queries++;
    const records = this.names.get(name);
    if (records === undefined) return { rcode: 'NXDOMAIN', answers: [], negativeTtl: this.negativeTtl };
    const show = (r: UpstreamRecord) => (r.type === 'CNAME' || r.type === 'PTR' ? displayName(r.value) : r.value);
    const answers: DnsRecord[] = records.filter((r) => r.type === type).map((r) => ({ name: owner, type, value: show(r), ttl: r.ttl }));
    const cname = records.find((r) => r.type === 'CNAME');
    if (answers.length === 0 && cname && type !== 'CNAME' && depth < MAX_CNAME_DEPTH) {
      const next = this.answer(cname.value, displayName(cname.value), type, depth + 1);
      this.queries--; // one resolution, however long the chain
      answers.push({ name: owner, type: 'CNAME', value: displayName(cname.value), ttl: cname.ttl }, ...next.answers);
    }
    return { rcode: 'NOERROR', answers, negativeTtl: this.negativeTtl };
  }

  /** As a transport: what a node's resolver (e.g. NodeLocal DNSCache's `.` zone) gets asking upstream directly. */
  query(q: DnsQuestion): DnsResponse {
    return { ...this.answer(canonicalName(q.name), displayName(q.name), q.type), source: 'upstream', work: 0 };
  }
}
