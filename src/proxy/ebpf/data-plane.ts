// One node's data plane under Cilium's kube-proxy replacement (kubeproxy-free.rst):
//   - socket LB (cgroup connect/sendmsg hooks) for connections from this node's pods and host
//     processes: the backend is chosen at connect(); the socket is connected to it directly, so
//     no packet carries the service address, no DNAT, no conntrack entry for the translation;
//   - the tc (or XDP) program on the native device for traffic from outside the node to
//     NodePorts, load-balancer IPs and externalIPs: service lookup, Cilium's own connection
//     tracking map, SNAT (or DSR) to a remote backend.
// Lookup is a fixed number of BPF hash-map probes whatever the number of services.
import type { Cluster } from '../../cluster/model.ts';
import type { Rng } from '../../engine/rng.ts';
import { InputError } from '../../util/errors.ts';
import { formatIPv4, tryParseCidr } from '../../util/ipv4.ts';
import { PROTO_TCP, serviceProtocolName } from '../../util/proto.ts';
import type { KubeProxyConfiguration } from '../config.ts';
import { nodeView, type NodeView } from '../service-map.ts';
import type { DataPlane, DataPlaneStats, LimitReport, LookupResult, Packet, PacketOrigin, SyncWork, TraceResult } from '../types.ts';
import { clearLookupResult } from '../types.ts';
import { BpfHashMap } from './bpf-map.ts';
import { type CiliumSettings, ciliumSettings } from './config.ts';
import { desiredFrontends, FE_CLUSTER_IP, FE_EXTERNAL_IP, FE_TYPE_NAMES } from './frontends.ts';
import { jhashReduce } from './jhash.ts';
import { LbMaps, SCOPE_EXT, SCOPE_INT, SVC_AFFINITY, SVC_SOURCE_RANGE, SVC_TWO_SCOPES, V_COUNT, V_FLAGS, V_REVNAT } from './lb-maps.ts';
import { renderBackendList, renderLbList, renderServiceList } from './render.ts';

export const EBPF_FORMATS = ['service-list', 'bpf-lb-list', 'bpf-lb-backends'] as const;

// Outcomes of the service lookup (before backend selection).
const R_NONE = 0;
const R_ACCEPT = 1;
const R_DROP = 2;
const R_REJECT = 3;
const R_SERVICE = 4;

export class EbpfDataPlane implements DataPlane {
  readonly mode = 'ebpf' as const;
  readonly settings: CiliumSettings;
  readonly lb: LbMaps;
  /** cilium_lb4_affinity (LRU): (client, rev_nat_index) -> (backend_id, last used, seconds). */
  readonly affinity: BpfHashMap;
  /** cilium_ct4_global (TCP) and cilium_ct_any4_global (others), LRU: the tc path's connections. */
  readonly ctTcp: BpfHashMap;
  readonly ctAny: BpfHashMap;
  private node: NodeView;
  private localIPs = new Int32Array(0);
  private podNet = 0;
  private podMask = -1;
  private hasPodCIDR = false;
  private npMin = 30000;
  private npMax = 32767;
  private nowSec = 0;
  /** The service-map element of the last resolve(), and the rev_nat_index and flags of its frontend. */
  private svcElem = -1;
  private svcScope = SCOPE_EXT;
  private probes = 0;
  private readonly tuple = new Int32Array(3);

  constructor(
    cluster: Cluster,
    private readonly config: KubeProxyConfiguration,
  ) {
    this.settings = ciliumSettings(config.sections);
    this.lb = new LbMaps(this.settings);
    this.affinity = new BpfHashMap('cilium_lb4_affinity', 2, this.settings.lbMapMax, true);
    this.ctTcp = new BpfHashMap('cilium_ct4_global', 2, this.settings.ctTcpMax, true);
    this.ctAny = new BpfHashMap('cilium_ct_any4_global', 2, this.settings.ctAnyMax, true);
    this.node = nodeView(cluster, config.hostnameOverride);
    this.sync(cluster);
  }

  // --- control plane ------------------------------------------------------------------

  sync(cluster: Cluster, opts: { full?: boolean } = {}): SyncWork {
    this.node = nodeView(cluster, this.config.hostnameOverride);
    this.localIPs = Int32Array.from(this.node.localIPs, (ip) => ip | 0);
    const spec = cluster.nodes.find((n) => n.metadata.name === this.node.name)?.spec;
    const pod = tryParseCidr(spec?.podCIDRs?.[0] ?? spec?.podCIDR ?? '', false);
    this.hasPodCIDR = pod !== null;
    this.podMask = pod ? (pod.prefix === 0 ? 0 : (0xffffffff << (32 - pod.prefix)) | 0) : -1;
    this.podNet = pod ? pod.addr & this.podMask : 0;
    this.npMin = cluster.config.nodePortRange.min;
    this.npMax = cluster.config.nodePortRange.max;
    const w = this.lb.apply(desiredFrontends(cluster, this.node, this.settings.lbExternalClusterIP), opts.full ?? false);
    return { map_entries_written: w.written, maglev_entries_computed: w.maglevEntries, map_entries_checked: w.checked };
  }

  setNow(seconds: number): void {
    this.nowSec = Math.floor(seconds);
  }

  stats(): DataPlaneStats {
    const lb = this.lb;
    return {
      lb_service_entries: lb.services.size,
      lb_backend_entries: lb.backends.size,
      lb_revnat_entries: lb.revNat.size,
      lb_affinity_match_entries: lb.affinityMatch.size,
      maglev_table_entries: lb.maglevOuter.size * this.settings.maglevTableSize,
    };
  }

  limits(): LimitReport[] {
    return this.lb.limit ? [this.lb.limit] : [];
  }

  render(format: string): string {
    switch (format) {
      case 'service-list':
        return renderServiceList(this.lb);
      case 'bpf-lb-list':
        return renderLbList(this.lb);
      case 'bpf-lb-backends':
        return renderBackendList(this.lb);
      default:
        throw new InputError(`ebpf mode cannot render "${format}" (formats: ${EBPF_FORMATS.join(', ')})`);
    }
  }

  // --- data plane ---------------------------------------------------------------------

  lookup(p: Packet, origin: PacketOrigin, rng: Rng, out: LookupResult): LookupResult {
    clearLookupResult(out);
    this.probes = 0;
    const src = p.src | 0;
    const dst = p.dst | 0;
    const sock = origin === 'local' || this.fromLocalPod(src);
    const r = sock ? this.resolveSocket(dst, p.dport, p.proto) : this.resolveTc(src, dst, p.dport, p.proto);
    if (r === R_SERVICE) {
      const id = sock ? this.selectSocket(src, rng) : this.selectTc(src, dst, p.sport, p.dport, p.proto, rng);
      if (id > 0 && this.backend(id)) {
        const b = this.lb.backends.vals;
        const e = this.backendElem;
        out.verdict = 'DNAT';
        out.endpointIP = b[e * 4] >>> 0;
        out.endpointPort = b[e * 4 + 1];
        out.masquerade = !sock && this.snats(b[e * 4 + 3] === 1, p.proto);
      } else out.verdict = 'REJECT';
    } else out.verdict = r === R_ACCEPT ? 'ACCEPT' : r === R_DROP ? 'DROP' : r === R_REJECT ? 'REJECT' : 'NONE';
    out.hashProbes = this.probes;
    return out;
  }

  trace(p: Packet, origin: PacketOrigin): TraceResult {
    const path: string[] = [];
    const res: TraceResult = { verdict: 'NONE', endpoints: [], masquerade: false, rulesEvaluated: 0, path };
    const src = p.src | 0;
    const dst = p.dst | 0;
    const sock = origin === 'local' || this.fromLocalPod(src);
    const what = `${serviceProtocolName(p.proto)} ${formatIPv4(p.dst)}:${p.dport}`;
    path.push(
      sock
        ? `socket LB (cgroup connect hook): ${origin === 'local' ? 'a host process' : 'a pod on this node'} connects to ${what}`
        : `tc ingress (bpf_host on the native device): ${what} from ${formatIPv4(p.src)}`,
    );
    this.probes = 0;
    const r = sock ? this.resolveSocket(dst, p.dport, p.proto, path) : this.resolveTc(src, dst, p.dport, p.proto, path);
    if (r !== R_SERVICE) {
      res.verdict = r === R_ACCEPT ? 'ACCEPT' : r === R_DROP ? 'DROP' : r === R_REJECT ? 'REJECT' : 'NONE';
      return res;
    }
    const m = this.lb.services;
    const v = this.svcElem * 4;
    const count = m.vals[v + V_COUNT];
    const revNat = m.vals[v + V_REVNAT];
    const eps: string[] = [];
    let masq = false;
    const fe = { addr: m.keyWord(this.svcElem, 0), port: m.keyWord(this.svcElem, 1) & 0xffff, proto: m.keyWord(this.svcElem, 2) & 0xff };
    for (let slot = 1; slot <= count; slot++) {
      this.lb.serviceKey(fe, slot, this.svcScope);
      const s = m.lookup();
      if (s < 0 || !this.backend(m.vals[s * 4])) continue;
      const b = this.lb.backends.vals;
      const e = this.backendElem;
      eps.push(`${formatIPv4(b[e * 4] >>> 0)}:${b[e * 4 + 1]}`);
      if (!sock && this.snats(b[e * 4 + 3] === 1, p.proto)) masq = true;
    }
    res.verdict = 'DNAT';
    res.endpoints = eps;
    res.masquerade = masq;
    const how = sock
      ? 'the socket is connected to the backend: no DNAT on the wire, no conntrack entry for the translation'
      : `${this.settings.algorithm === 'maglev' ? 'Maglev table' : 'random slot'}, Cilium CT entry; ${masq ? `SNAT to the node (loadBalancer.mode=${this.settings.lbMode}) for a remote backend` : 'client source IP kept'}`;
    path.push(`rev_nat_index ${revNat}: ${count} backend slot${count === 1 ? '' : 's'}; ${how}`);
    if (this.flags() & SVC_AFFINITY)
      path.push(
        `ClientIP affinity: cilium_lb4_affinity keeps the client's backend for ${m.vals[v]} s (checked in cilium_lb_affinity_match)`,
      );
    return res;
  }

  // --- steps --------------------------------------------------------------------------

  private fromLocalPod(src: number): boolean {
    return this.hasPodCIDR && (src & this.podMask) === this.podNet;
  }

  private isLocalAddr(ip: number): boolean {
    const l = this.localIPs;
    for (let i = 0; i < l.length; i++) if (l[i] === ip) return true;
    return false;
  }

  /** Looks up the master entry (slot 0) of (addr, port, proto, scope); sets svcElem. */
  private master(addr: number, port: number, proto: number, scope: number): boolean {
    const k = this.lb.services.key;
    k[0] = addr;
    k[1] = port;
    k[2] = proto | (scope << 8);
    k[3] = 0;
    this.probes++;
    this.svcElem = this.lb.services.lookup();
    this.svcScope = scope;
    return this.svcElem >= 0;
  }

  private flags(): number {
    return this.lb.services.vals[this.svcElem * 4 + V_FLAGS];
  }

  /**
   * Socket LB (bpf_sock.c): the service lookup, then for a local address in the NodePort range
   * the 0.0.0.0 surrogate frontend (NodePorts on any local or loopback address). Connections from
   * inside use the internal scope of a two-scope service. externalIPs that are not the node's
   * own are not translated (the CVE-2020-8554 mitigation) unless bpf.disableExternalIPMitigation.
   */
  private resolveSocket(dst: number, port: number, proto: number, path?: string[]): number {
    let found = this.master(dst, port, proto, SCOPE_EXT);
    const local = this.isLocalAddr(dst) || dst >>> 24 === 127;
    if (!found && local && port >= this.npMin && port <= this.npMax) {
      found = this.master(0, port, proto, SCOPE_EXT);
      if (found)
        path?.push(`cilium_lb4_services_v2: no frontend ${formatIPv4(dst >>> 0)}:${port}, the NodePort surrogate 0.0.0.0:${port} matches`);
    }
    if (!found) return this.noService(dst, port, local, path);
    const type = this.flags() >>> 8;
    if (type === FE_EXTERNAL_IP && !this.settings.disableExternalIPMitigation && !this.isLocalAddr(dst)) {
      path?.push(
        'externalIP not owned by this node: socket LB leaves it untranslated (CVE-2020-8554 mitigation); the packet leaves the node as sent',
      );
      return R_NONE;
    }
    if (this.flags() & SVC_TWO_SCOPES) {
      if (!this.master(this.lb.services.key[0], port, proto, SCOPE_INT)) return R_NONE;
      path?.push('two-scope service: connections from inside use the internal scope (internalTrafficPolicy)');
    }
    path?.push(`cilium_lb4_services_v2: ${FE_TYPE_NAMES[type]} frontend`);
    if (this.lb.services.vals[this.svcElem * 4 + V_COUNT] === 0) {
      path?.push('no backends: connect() fails (ECONNREFUSED-like), nothing is sent');
      return R_REJECT;
    }
    return R_SERVICE;
  }

  /**
   * tc/XDP path (nodeport_lb4): frontends reached from outside the node; ClusterIPs only with
   * bpf.lbExternalClusterIP; loadBalancerSourceRanges checked for LoadBalancer frontends.
   */
  private resolveTc(src: number, dst: number, port: number, proto: number, path?: string[]): number {
    const local = this.isLocalAddr(dst);
    if (!this.master(dst, port, proto, SCOPE_EXT)) return this.noService(dst, port, local, path);
    const flags = this.flags();
    const type = flags >>> 8;
    if (type === FE_CLUSTER_IP && !this.settings.lbExternalClusterIP) {
      path?.push('ClusterIP from outside the node: not load-balanced (bpf.lbExternalClusterIP=false)');
      return R_NONE;
    }
    path?.push(`cilium_lb4_services_v2: ${FE_TYPE_NAMES[type]} frontend`);
    if (flags & SVC_SOURCE_RANGE) {
      this.probes++;
      if (!this.sourceRangeOk(src)) {
        path?.push('cilium_lb4_source_range: client not in loadBalancerSourceRanges: DROP');
        return R_DROP;
      }
      path?.push('cilium_lb4_source_range: client in loadBalancerSourceRanges');
    }
    if (this.lb.services.vals[this.svcElem * 4 + V_COUNT] === 0) {
      const reject = this.settings.noBackendResponse === 'reject';
      path?.push(
        `no backends in the external scope: ${reject ? 'ICMP destination unreachable' : 'DROP'} (serviceNoBackendResponse=${this.settings.noBackendResponse})`,
      );
      return reject ? R_REJECT : R_DROP;
    }
    return R_SERVICE;
  }

  private noService(dst: number, port: number, local: boolean, path?: string[]): number {
    if (local && this.lb.healthCheckPorts[port] === 1) {
      path?.push(`no frontend; cilium-agent's health-check server listens on ${port} (healthCheckNodePort)`);
      return R_ACCEPT;
    }
    path?.push(`cilium_lb4_services_v2: no frontend ${formatIPv4(dst >>> 0)}:${port}: not a service`);
    return R_NONE;
  }

  private sourceRangeOk(src: number): boolean {
    const r = this.lb.ranges.get(this.lb.services.vals[this.svcElem * 4 + V_REVNAT]);
    if (!r) return true;
    for (let i = 0; i < r.length; i += 2) if ((src & r[i + 1]) === (r[i] & r[i + 1])) return true;
    return false;
  }

  /** Socket LB picks: affinity (the client's netns, here its address), else a random slot. */
  private selectSocket(client: number, rng: Rng): number {
    if (this.flags() & SVC_AFFINITY) {
      const id = this.affinityLookup(client);
      if (id > 0) return id;
      const chosen = this.randomSlot(rng);
      this.affinityStore(client, chosen);
      return chosen;
    }
    return this.randomSlot(rng);
  }

  /** tc path: an existing CT entry keeps its backend; else affinity, Maglev or a random slot. */
  private selectTc(src: number, dst: number, sport: number, dport: number, proto: number, rng: Rng): number {
    const ct = proto === PROTO_TCP ? this.ctTcp : this.ctAny;
    const k = ct.key;
    k[0] = src;
    k[1] = dst;
    k[2] = (sport << 16) | dport;
    k[3] = proto;
    this.probes++;
    const hit = ct.lookup();
    const revNat = this.lb.services.vals[this.svcElem * 4 + V_REVNAT];
    if (hit >= 0 && ct.vals[hit * 2 + 1] === revNat) {
      const id = ct.vals[hit * 2];
      if (this.backend(id)) return id;
    }
    let id: number;
    const affinity = (this.flags() & SVC_AFFINITY) !== 0;
    if (affinity && (id = this.affinityLookup(src)) > 0) {
      // kept
    } else {
      id = this.settings.algorithm === 'maglev' ? this.maglevPick(src, dst, affinity ? 0 : sport, dport, revNat) : this.randomSlot(rng);
      if (affinity && id > 0) this.affinityStore(src, id);
    }
    k[0] = src;
    k[1] = dst;
    k[2] = (sport << 16) | dport;
    k[3] = proto;
    const e = ct.update();
    if (e >= 0) {
      ct.vals[e * 2] = id;
      ct.vals[e * 2 + 1] = revNat;
    }
    return id;
  }

  /** slot = rand % count + 1 (lb4_select_backend_id_random), then that slot's backend ID. */
  private randomSlot(rng: Rng): number {
    const m = this.lb.services;
    const v = this.svcElem * 4;
    const count = m.vals[v + V_COUNT];
    const slot = (rng.nextU31() % count) + 1;
    const k = m.key;
    k[1] = (k[1] & 0xffff) | (slot << 16);
    this.probes++;
    const s = m.lookup();
    k[1] &= 0xffff;
    return s < 0 ? 0 : m.vals[s * 4];
  }

  /** lb4_select_backend_id_maglev: the flow's hash modulo M indexes the frontend's table. */
  private maglevPick(src: number, dst: number, sport: number, dport: number, revNat: number): number {
    const outer = this.lb.maglevOuter;
    const k = outer.key;
    k[0] = revNat;
    k[1] = 0;
    k[2] = 0;
    k[3] = 0;
    this.probes++;
    const e = outer.lookup();
    if (e < 0) return 0;
    const table = this.lb.tables[outer.vals[e]];
    if (!table) return 0;
    const t = this.tuple;
    t[0] = src;
    t[1] = dst;
    t[2] = (sport << 16) | dport;
    this.probes++; // the inner array map
    return table[jhashReduce(t, 0, this.settings.maglevSeed & 0x3fffffff, table.length)];
  }

  private affinityLookup(client: number): number {
    const revNat = this.lb.services.vals[this.svcElem * 4 + V_REVNAT];
    const timeout = this.lb.services.vals[this.svcElem * 4];
    const a = this.affinity;
    a.key[0] = client;
    a.key[1] = revNat;
    a.key[2] = 0;
    a.key[3] = 0;
    this.probes++;
    const e = a.lookup();
    if (e < 0 || this.nowSec - a.vals[e * 2 + 1] > timeout) return 0;
    const id = a.vals[e * 2];
    // cilium_lb_affinity_match: is the backend still one of this service's?
    const mm = this.lb.affinityMatch;
    mm.key[0] = id;
    mm.key[1] = revNat;
    mm.key[2] = 0;
    mm.key[3] = 0;
    this.probes++;
    if (mm.lookup() < 0) return 0;
    a.vals[e * 2 + 1] = this.nowSec;
    return id;
  }

  private affinityStore(client: number, id: number): void {
    const a = this.affinity;
    a.key[0] = client;
    a.key[1] = this.lb.services.vals[this.svcElem * 4 + V_REVNAT];
    a.key[2] = 0;
    a.key[3] = 0;
    const e = a.update();
    if (e < 0) return;
    a.vals[e * 2] = id;
    a.vals[e * 2 + 1] = this.nowSec;
  }

  private backendElem = -1;

  /** cilium_lb4_backends_v3 lookup; sets backendElem. */
  private backend(id: number): boolean {
    const m = this.lb.backends;
    m.key[0] = id;
    m.key[1] = 0;
    m.key[2] = 0;
    m.key[3] = 0;
    this.probes++;
    this.backendElem = m.lookup();
    return this.backendElem >= 0;
  }

  /** Whether the tc path source-NATs to this backend: only to a remote one, in snat mode (hybrid: UDP). */
  private snats(localBackend: boolean, proto: number): boolean {
    if (localBackend) return false;
    const mode = this.settings.lbMode;
    return mode === 'snat' || (mode === 'hybrid' && proto !== PROTO_TCP);
  }
}
