// A pod's stub resolver: the resolv.conf kubelet writes for dnsPolicy ClusterFirst, walked the way
// glibc's res_search does (resolv/res_query.c, __res_context_search):
//
//   - a name ending in a dot is absolute: one query, whatever it returns;
//   - a name with at least `ndots` dots is tried as is first, then with each search domain;
//   - a name with fewer dots is tried with each search domain in order, then as is;
//   - the walk stops at the first response with answers. NXDOMAIN *and NODATA* (NOERROR, no
//     answers) both continue it: glibc's comment says "On a NO_DATA error, keep trying, otherwise
//     a wildcard entry of another type could keep us from finding this entry higher in the domain".
//     So an AAAA question for an IPv4-only service walks the whole list.
//   - the result when nothing answers: the as-is query's rcode if it was tried first, else NODATA
//     (NOERROR) if any search-list query returned NODATA, else the last rcode (NXDOMAIN).
//
// Every query is counted: for a name with fewer than ndots dots that does not exist in any search
// domain, one record type costs (search domains) + 1 queries: 3 + N + 1 with N host domains.
import type { DnsRecord, DnsResponse, DnsTransport, QueryContext, Rcode, RecordType } from './types.ts';
import { canonicalName, countDots, displayName, isIPv4, isValidDomain, isValidQueryName, reverseNameIPv4 } from './names.ts';
import { InputError } from '../util/errors.ts';

/** kubelet writes `options ndots:5` for ClusterFirst pods. */
export const DEFAULT_NDOTS = 5;
/** glibc caps ndots at 15 (RES_MAXNDOTS). */
export const MAX_NDOTS = 15;
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

export interface ResolvConf {
  search: string[];
  ndots: number;
}

/**
 * kubelet's resolv.conf for a ClusterFirst pod: `search <ns>.svc.<domain> svc.<domain> <domain>`
 * followed by the node's search domains (duplicates dropped, as kubelet does), `options ndots:5`.
 */
export function podResolvConf(
  namespace: string,
  clusterDomain = DEFAULT_CLUSTER_DOMAIN,
  hostSearch: readonly string[] = [],
  ndots = DEFAULT_NDOTS,
): ResolvConf {
  const d = canonicalName(clusterDomain);
  const search: string[] = [];
  for (const s of [`${namespace.toLowerCase()}.svc.${d}`, `svc.${d}`, d, ...hostSearch.map(canonicalName)]) {
    if (s !== '' && !search.includes(s)) search.push(s);
  }
  return { search, ndots };
}

/**
 * The fully-qualified names glibc tries for `name`, in order, without the trailing dot. The name
 * keeps the case it was given (resolvers send it as typed; servers compare case-insensitively).
 */
export function searchCandidates(name: string, conf: ResolvConf): { candidates: string[]; asIsFirst: boolean } {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (name.endsWith('.')) return { candidates: [n], asIsFirst: true };
  const withSearch = conf.search.map((s) => `${n}.${s}`);
  if (countDots(name) >= conf.ndots) return { candidates: [n, ...withSearch], asIsFirst: true };
  return { candidates: [...withSearch, n], asIsFirst: false };
}

export interface ResolveOptions {
  /** Where queries go: a CoreDnsServer, a CachedTransport in front of one, a NodeLocalDnsCache. */
  server: DnsTransport;
  /** The client pod's namespace (first search domain; autopath's key). */
  namespace: string;
  clusterDomain?: string;
  ndots?: number;
  /** Node search domains, appended after the cluster's three. */
  hostSearch?: readonly string[];
  /** Record type; default A. */
  type?: RecordType;
  /** Passed to the server with every query (simulated time for caches). */
  ctx?: QueryContext;
}

export interface QueryLogEntry {
  /** The name sent, with the trailing dot. */
  name: string;
  type: RecordType;
  rcode: Rcode;
  answers: number;
  source: DnsResponse['source'];
  cache?: DnsResponse['cache'];
}

export interface ResolveResult {
  rcode: Rcode;
  answers: DnsRecord[];
  /** Every name the resolver sent, in order, with the trailing dot (one entry per query). */
  queries: string[];
  log: QueryLogEntry[];
  /** Queries sent for this one lookup. */
  amplification: number;
  /** Server work in query units (see DnsResponse.work). */
  work: number;
}

/**
 * res_search for one record type. For PTR, an IPv4 address is turned into its in-addr.arpa name
 * and sent as an absolute name (as getnameinfo does). For A, an IPv4 literal is answered locally
 * with no query (as getaddrinfo does).
 */
export function resolve(name: string, opts: ResolveOptions): ResolveResult {
  return walk(name, [opts.type ?? 'A'], opts);
}

/**
 * getaddrinfo(AF_UNSPEC) as glibc does it: for each candidate name an A and an AAAA query are sent
 * together (A first), and the walk stops when either has answers. Both queries are counted.
 */
export function lookupHost(name: string, opts: Omit<ResolveOptions, 'type'>): ResolveResult {
  return walk(name, ['A', 'AAAA'], opts);
}

function walk(name: string, types: RecordType[], opts: ResolveOptions): ResolveResult {
  if (!isValidQueryName(name)) throw new InputError('not a valid domain name', undefined, 'name', name);
  const ndots = opts.ndots ?? DEFAULT_NDOTS;
  if (!Number.isInteger(ndots) || ndots < 0 || ndots > MAX_NDOTS)
    throw new InputError(`ndots must be an integer from 0 to ${MAX_NDOTS}`, undefined, 'ndots', ndots);
  for (const s of opts.hostSearch ?? []) if (!isValidDomain(s)) throw new InputError('not a valid search domain', undefined, 'search', s);

  const result: ResolveResult = { rcode: 'NXDOMAIN', answers: [], queries: [], log: [], amplification: 0, work: 0 };
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (types.length === 1 && types[0] === 'A' && isIPv4(bare)) {
    result.rcode = 'NOERROR';
    result.answers = [{ name: displayName(bare), type: 'A', value: bare, ttl: 0 }];
    return result;
  }
  let plan: { candidates: string[]; asIsFirst: boolean };
  if (types.length === 1 && types[0] === 'PTR' && isIPv4(bare)) {
    plan = { candidates: [reverseNameIPv4(bare)], asIsFirst: true };
  } else {
    plan = searchCandidates(name, podResolvConf(opts.namespace, opts.clusterDomain, opts.hostSearch, ndots));
  }
  const ctx: QueryContext = { clientNamespace: opts.namespace, ...opts.ctx };
  let savedAsIs: Rcode | undefined;
  let gotNodata = false;
  let last: Rcode = 'NXDOMAIN';
  for (let i = 0; i < plan.candidates.length; i++) {
    const qname = displayName(plan.candidates[i]);
    const responses = types.map((type) => {
      const r = opts.server.query({ name: qname, type }, ctx);
      result.queries.push(qname);
      result.log.push({ name: qname, type, rcode: r.rcode, answers: r.answers.length, source: r.source, cache: r.cache });
      result.work += r.work;
      return r;
    });
    const answers = responses.flatMap((r) => r.answers);
    if (answers.length > 0) {
      result.rcode = 'NOERROR';
      result.answers = answers;
      break;
    }
    // glibc's combined A+AAAA status: the AAAA rcode when A said NOERROR, else the A rcode.
    last = responses[0].rcode === 'NOERROR' && responses.length > 1 ? responses[1].rcode : responses[0].rcode;
    const isAsIs = plan.asIsFirst ? i === 0 : i === plan.candidates.length - 1;
    if (plan.asIsFirst && i === 0) savedAsIs = last;
    else if (!isAsIs && last === 'NOERROR') gotNodata = true;
    result.rcode = savedAsIs ?? (gotNodata ? 'NOERROR' : last);
  }
  result.amplification = result.queries.length;
  return result;
}
