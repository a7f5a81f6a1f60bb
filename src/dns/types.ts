// Shared DNS types. Names inside the model are lowercase FQDNs without the trailing dot
// ("svc.ns.svc.cluster.local"); names shown to users (answers, query lists) carry the dot.

export type RecordType = 'A' | 'AAAA' | 'SRV' | 'PTR' | 'CNAME';
export const RECORD_TYPES: readonly RecordType[] = ['A', 'AAAA', 'SRV', 'PTR', 'CNAME'];

/** NODATA is NOERROR with no answers; SERVFAIL and the rest are not modelled. */
export type Rcode = 'NOERROR' | 'NXDOMAIN';

export interface DnsRecord {
  /** Owner name as the client sees it, with the trailing dot. */
  name: string;
  type: RecordType;
  /** A/AAAA: the address; CNAME/PTR: the target with a trailing dot; SRV: "priority weight port target." */
  value: string;
  ttl: number;
}

export interface DnsQuestion {
  /** The name as sent (any case, with or without the trailing dot: it is always fully qualified). */
  name: string;
  type: RecordType;
}

/** Who produced an answer: the cluster zone (kubernetes plugin) or the forwarder (upstream resolvers). */
export type AnswerSource = 'cluster' | 'upstream';

export interface DnsResponse {
  rcode: Rcode;
  answers: DnsRecord[];
  /** For negative answers (NXDOMAIN or NODATA): the SOA-derived negative TTL in seconds. */
  negativeTtl: number;
  source: AnswerSource;
  /**
   * Server work in "query units" (1 = one plugin-chain pass answering one query); autopath adds a
   * little per extra search-path step it walks server side. Caches answer with work 0.
   */
  work: number;
  /** Set by caches: where the answer came from. */
  cache?: 'hit' | 'miss';
}

export interface QueryContext {
  /** Simulated time in integer ns (caches need it; the zone ignores it). */
  nowNs?: number;
  /** Namespace of the client pod (autopath needs it: CoreDNS finds it from the source IP with `pods verified`). */
  clientNamespace?: string;
}

/** Anything a pod's resolver can send a query to: a CoreDNS server, a cache in front of one, NodeLocal DNSCache. */
export interface DnsTransport {
  query(q: DnsQuestion, ctx?: QueryContext): DnsResponse;
}
