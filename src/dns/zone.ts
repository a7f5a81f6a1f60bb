// The cluster zone as CoreDNS's kubernetes plugin serves it, indexed once by FQDN so that every
// lookup is one Map get. Record shapes follow the Kubernetes DNS-Based Service Discovery spec
// (kubernetes/dns docs/specification.md) as CoreDNS implements it (plugin/kubernetes):
//
//   <svc>.<ns>.svc.<zone>               A/AAAA  ClusterIP(s); headless: the ready endpoints' IPs
//                                        CNAME   ExternalName target
//                                        SRV     one per port (headless: per endpoint and port)
//   _<port>._<proto>.<svc>.<ns>.svc.<zone>  SRV (and A) for one named port
//   <host>.<svc>.<ns>.svc.<zone>        A/AAAA  endpoint; <host> = endpoint hostname, else the dashed IP
//   <a-b-c-d>.<ns>.pod.<zone>           A       `pods insecure`: any IP; `pods verified`: a pod's IP
//   d.c.b.a.in-addr.arpa                PTR     ClusterIP → service FQDN, else endpoint IP → endpoint FQDN
//
// Names that exist without records (the apex, svc.<zone>, <ns>.svc.<zone> for an existing
// namespace) answer NODATA; anything else in the zone is NXDOMAIN.
import type { Cluster } from '../cluster/model.ts';
import { serviceKey, slicesByService } from '../cluster/model.ts';
import type { EndpointSlice, Service } from '../cluster/k8s-types.ts';
import { canonicalName, dashedIP, isIPv4, isIPv6, isUnder } from './names.ts';

/** CoreDNS kubernetes plugin `ttl` default (and minimum): 5 s. kubeadm's Corefile sets `ttl 30`. */
export const KUBERNETES_PLUGIN_DEFAULT_TTL = 5;

/** `pods` option: disabled is the plugin default; kubeadm's stock Corefile says `pods insecure`. */
export type PodMode = 'disabled' | 'insecure' | 'verified';

export interface ZoneOptions {
  /** Zone served; default the cluster's config.clusterDomain (kubelet --cluster-domain). */
  clusterDomain?: string;
  /** Record TTL in seconds (kubernetes plugin `ttl`); default 5. */
  ttl?: number;
  /** Default 'insecure', as the Corefile every installer ships. */
  pods?: PodMode;
}

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  /** Canonical target name. */
  target: string;
}

/** What one owner name holds. A name in the index exists; with empty lists it answers NODATA. */
export interface NameData {
  a: string[];
  aaaa: string[];
  /** ExternalName target (canonical). */
  cname?: string;
  srv: SrvData[];
}

/** Namespaces every cluster has, whether or not a dump lists Namespace objects. */
const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const EMPTY: NameData = Object.freeze({ a: [], aaaa: [], srv: [] });

interface SrvCandidate {
  port: number;
  target: string;
}

export class ClusterZone {
  readonly domain: string;
  readonly ttl: number;
  readonly pods: PodMode;
  readonly namespaces: ReadonlySet<string>;
  private readonly names = new Map<string, NameData>();
  private readonly ptr = new Map<string, string[]>();
  /** `ip|namespace` of every pod, for `pods verified`. */
  private readonly podIPs = new Set<string>();
  private readonly podSuffix: string;

  constructor(cluster: Cluster, opts: ZoneOptions = {}) {
    this.domain = canonicalName(opts.clusterDomain ?? cluster.config.clusterDomain);
    this.ttl = opts.ttl ?? KUBERNETES_PLUGIN_DEFAULT_TTL;
    this.pods = opts.pods ?? 'insecure';
    this.podSuffix = `.pod.${this.domain}`;
    this.namespaces = collectNamespaces(cluster);
    for (const p of cluster.pods) this.podIPs.add(`${p.ip}|${p.namespace.toLowerCase()}`);
    this.build(cluster);
  }

  /** Whether the kubernetes plugin is authoritative for the (canonical) name. */
  covers(name: string): boolean {
    return isUnder(name, this.domain);
  }

  /** The records at a canonical name in the zone, EMPTY-like data for NODATA, undefined for NXDOMAIN. */
  lookup(name: string): NameData | undefined {
    const hit = this.names.get(name);
    if (hit !== undefined) return hit;
    if (this.pods !== 'disabled' && name.endsWith(this.podSuffix)) return this.podRecord(name);
    return undefined;
  }

  /** PTR targets (canonical) for an IP, or undefined when the cluster has no such address. */
  reverse(ip: string): string[] | undefined {
    return this.ptr.get(ip);
  }

  /** Number of owner names indexed (not counting synthesised pod names). */
  get size(): number {
    return this.names.size;
  }

  private podRecord(name: string): NameData | undefined {
    // <dashed-ip>.<ns>.pod.<zone>; the apex forms (pod.<zone>, <ns>.pod.<zone>) are in the index.
    const rest = name.slice(0, name.length - this.podSuffix.length).split('.');
    if (rest.length !== 2) return undefined;
    const [label, ns] = rest;
    if (!this.namespaces.has(ns)) return undefined;
    const dashes = label.split('-').length - 1;
    const ip = dashes === 3 && !label.includes('--') ? label.replaceAll('-', '.') : label.replaceAll('-', ':');
    const v4 = isIPv4(ip);
    if (!v4 && !/^[0-9a-f:]+$/.test(ip)) return undefined;
    if (this.pods === 'verified' && !this.podIPs.has(`${ip}|${ns}`)) return undefined;
    return v4 ? { a: [ip], aaaa: [], srv: [] } : { a: [], aaaa: [ip], srv: [] };
  }

  private entry(name: string): NameData {
    let d = this.names.get(name);
    if (d === undefined || d === EMPTY) this.names.set(name, (d = { a: [], aaaa: [], srv: [] }));
    return d;
  }

  private build(cluster: Cluster): void {
    const d = this.domain;
    for (const apex of [d, `svc.${d}`, `pod.${d}`]) this.names.set(apex, EMPTY);
    for (const ns of this.namespaces) {
      this.names.set(`${ns}.svc.${d}`, EMPTY);
      if (this.pods !== 'disabled') this.names.set(`${ns}.pod.${d}`, EMPTY);
    }
    const slices = slicesByService(cluster);
    const ptrFromEndpoints = new Map<string, string[]>();
    for (const svc of cluster.services) {
      const ns = (svc.metadata.namespace ?? 'default').toLowerCase();
      const base = `${svc.metadata.name.toLowerCase()}.${ns}.svc.${d}`;
      if (svc.spec.type === 'ExternalName') {
        this.addExternalName(svc, base);
        continue;
      }
      const ips = serviceIPs(svc);
      const headless = ips.length === 1 && ips[0] === 'None';
      const endpoints = readyEndpoints(svc, slices.get(serviceKey(svc.metadata.namespace, svc.metadata.name)) ?? []);
      // Per-endpoint names exist for every service with endpoints (CoreDNS answers endpoint queries
      // for ClusterIP services too), and feed the reverse map.
      const perName = new Map<string, SrvCandidate[]>();
      for (const ep of endpoints) {
        const owner = `${ep.host}.${base}`;
        const e = this.entry(owner);
        addAddress(e, ep.ip);
        let list = perName.get(owner);
        if (!list) perName.set(owner, (list = []));
        for (const p of ep.ports) if (p.port >= 0) list.push({ port: p.port, target: owner });
        let rev = ptrFromEndpoints.get(ep.ip);
        if (!rev) ptrFromEndpoints.set(ep.ip, (rev = []));
        if (!rev.includes(owner)) rev.push(owner);
      }
      for (const [owner, cands] of perName) this.entry(owner).srv = srvRecords(cands);

      if (headless) {
        if (endpoints.length === 0) continue; // no ready endpoints: the service name is NXDOMAIN
        const e = this.entry(base);
        const all: SrvCandidate[] = [];
        const byPort = new Map<string, { ips: string[]; cands: SrvCandidate[] }>();
        for (const ep of endpoints) {
          addAddress(e, ep.ip);
          for (const p of ep.ports) {
            const target = `${ep.host}.${base}`;
            if (p.port >= 0) all.push({ port: p.port, target });
            if (!p.name) continue;
            const key = `_${p.name}._${p.protocol}.${base}`;
            let g = byPort.get(key);
            if (!g) byPort.set(key, (g = { ips: [], cands: [] }));
            if (!g.ips.includes(ep.ip)) g.ips.push(ep.ip);
            if (p.port >= 0) g.cands.push({ port: p.port, target });
          }
        }
        e.srv = srvRecords(all);
        for (const [key, g] of byPort) {
          const pe = this.entry(key);
          for (const ip of g.ips) addAddress(pe, ip);
          pe.srv = srvRecords(g.cands);
        }
        continue;
      }

      const addrs = ips.filter((ip) => isIPv4(ip) || isIPv6(ip));
      const e = this.entry(base);
      for (const ip of addrs) addAddress(e, ip);
      const all: SrvCandidate[] = [];
      for (const p of svc.spec.ports ?? []) {
        const cands = addrs.map(() => ({ port: p.port, target: base }));
        all.push(...cands);
        if (!p.name) continue;
        const pe = this.entry(`_${p.name.toLowerCase()}._${(p.protocol ?? 'TCP').toLowerCase()}.${base}`);
        for (const ip of addrs) addAddress(pe, ip);
        pe.srv = srvRecords(cands);
      }
      e.srv = srvRecords(all);
      for (const ip of addrs) if (!this.ptr.has(ip)) this.ptr.set(ip, [base]);
    }
    // ClusterIPs take precedence in the reverse map; endpoint IPs fill in the rest.
    for (const [ip, owners] of ptrFromEndpoints) if (!this.ptr.has(ip)) this.ptr.set(ip, owners);
  }

  private addExternalName(svc: Service, base: string): void {
    const raw = svc.spec.externalName;
    if (typeof raw !== 'string' || raw === '') return;
    const target = canonicalName(raw);
    // CoreDNS only serves an ExternalName that is a name; an IP literal there yields no records.
    if (isIPv4(target) || isIPv6(target)) return;
    const owners = [
      base,
      ...(svc.spec.ports ?? [])
        .filter((p) => p.name)
        .map((p) => `_${p.name!.toLowerCase()}._${(p.protocol ?? 'TCP').toLowerCase()}.${base}`),
    ];
    for (const owner of owners) {
      const e = this.entry(owner);
      e.cname = target;
      // CoreDNS's SRV for a CNAME-type service: port 0 (the service object carries no port), target the external name.
      e.srv = [{ priority: 0, weight: 100, port: 0, target }];
    }
  }
}

interface ReadyEndpoint {
  ip: string;
  host: string;
  ports: { name: string; protocol: string; port: number }[];
}

function serviceIPs(svc: Service): string[] {
  if (Array.isArray(svc.spec.clusterIPs) && svc.spec.clusterIPs.length > 0) return svc.spec.clusterIPs;
  return typeof svc.spec.clusterIP === 'string' && svc.spec.clusterIP !== '' ? [svc.spec.clusterIP] : [];
}

/**
 * The endpoints CoreDNS publishes: ready ones (a missing `ready` counts as ready, as CoreDNS reads
 * it), or every one when the Service has publishNotReadyAddresses (the EndpointSlice controller
 * then marks them all ready). FQDN-type slices are ignored, as CoreDNS does.
 */
function readyEndpoints(svc: Service, slices: EndpointSlice[]): ReadyEndpoint[] {
  const all = svc.spec.publishNotReadyAddresses === true;
  const out: ReadyEndpoint[] = [];
  for (const slice of slices) {
    if (slice.addressType === 'FQDN') continue;
    const ports = (slice.ports ?? []).map((p) => ({
      name: (p.name ?? '').toLowerCase(),
      protocol: (p.protocol ?? 'TCP').toLowerCase(),
      port: p.port ?? -1,
    }));
    if (ports.length === 0) ports.push({ name: '', protocol: '', port: -1 }); // CoreDNS's "no ports" sentinel
    for (const ep of slice.endpoints ?? []) {
      if (!all && ep.conditions?.ready === false) continue;
      for (const ip of ep.addresses ?? []) {
        const host = typeof ep.hostname === 'string' && ep.hostname !== '' ? ep.hostname.toLowerCase() : dashedIP(ip);
        out.push({ ip, host, ports });
      }
    }
  }
  return out;
}

function addAddress(e: NameData, ip: string): void {
  const list = isIPv6(ip) ? e.aaaa : e.a;
  if (!list.includes(ip)) list.push(ip);
}

/**
 * SRV records the way CoreDNS weighs them: every candidate has priority 0 and nominal weight 100,
 * so each gets floor(100 / (100 · n) · 100) = floor(100 / n) with n counted before duplicates
 * (same target and port) are dropped.
 */
function srvRecords(cands: SrvCandidate[]): SrvData[] {
  const weight = Math.floor((100 / (100 * cands.length)) * 100);
  const seen = new Set<string>();
  const out: SrvData[] = [];
  for (const c of cands) {
    const key = `${c.target}|${c.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ priority: 0, weight, port: c.port, target: c.target });
  }
  return out;
}

function collectNamespaces(cluster: Cluster): Set<string> {
  const set = new Set<string>(BUILTIN_NAMESPACES);
  for (const n of cluster.namespaces) set.add(n.metadata.name.toLowerCase());
  for (const s of cluster.services) set.add((s.metadata.namespace ?? 'default').toLowerCase());
  for (const s of cluster.endpointSlices) set.add((s.metadata.namespace ?? 'default').toLowerCase());
  for (const p of cluster.pods) set.add(p.namespace.toLowerCase());
  return set;
}
