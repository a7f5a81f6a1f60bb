// One node's IPVS-mode data plane: kube-ipvs0 addresses, the kernel IPVS table, kube-proxy's
// ipsets and its small fixed iptables ruleset. A first packet goes
//   nat PREROUTING (or OUTPUT) -> KUBE-SERVICES: masquerade mark decisions
//   routing: is the destination local (node address or kube-ipvs0)?  no: not a service
//   filter INPUT (forwarded packets): KUBE-PROXY-FIREWALL, LB source ranges may DROP
//   IPVS at LOCAL_IN / LOCAL_OUT: one hash lookup, then the scheduler (ip_vs_in, ip_vs_schedule)
//   nat POSTROUTING -> KUBE-POSTROUTING: MASQUERADE when marked or hairpinning (KUBE-LOOP-BACK)
// so the rules tested do not grow with the number of services; the IPVS hash chains do,
// by services / buckets.
import type { Cluster } from '../../cluster/model.ts';
import type { Rng } from '../../engine/rng.ts';
import { createKubeIpvsSets, formatIpsetList, KUBE_IPVS_SETS, KUBE_LOOP_BACK, type IpSet, setLookup } from '../../ipset/index.ts';
import { compareDests, formatIpvsadmList, Ipvs, msort, type RealServer, type VirtualService } from '../../ipvs/index.ts';
import {
  type CompiledTable,
  compileTable,
  getTable,
  PacketWalk,
  T_ACCEPT,
  T_DROP,
  T_MASQUERADE,
  T_REJECT,
  writeIptablesSave,
} from '../../netfilter/index.ts';
import { formatIPv4 } from '../../util/ipv4.ts';
import { InputError } from '../../util/errors.ts';
import type { KubeProxyConfiguration } from '../config.ts';
import { buildServiceMap } from '../service-map.ts';
import type {
  DataPlane,
  DataPlaneStats,
  LimitReport,
  LookupResult,
  Packet,
  PacketOrigin,
  SyncWork,
  TraceResult,
  Verdict,
} from '../types.ts';
import { clearLookupResult } from '../types.ts';
import { applyDesired, GracefulTermination } from './apply.ts';
import { computeDesired } from './desired.ts';
import { resolveIpvsOptions, type IpvsModeOptions, type IpvsOptions } from './options.ts';
import { crossedBridge } from '../node-view.ts';
import { protocolName, serviceProtocolName } from '../../util/proto.ts';
import { buildFixedRules, type FixedRules } from './rules.ts';

/** Counts of the last sync, beyond SyncWork. */
export interface IpvsSyncDetail {
  virtualServerOps: number;
  realServerOps: number;
  /** Addresses bound to / removed from kube-ipvs0 (netlink RTM_NEWADDR / RTM_DELADDR). */
  addressOps: number;
  ipsetOps: number;
}

export class IpvsDataPlane implements DataPlane {
  readonly mode = 'ipvs' as const;
  readonly ipvs: Ipvs;
  private readonly sets: Map<string, IpSet>;
  /** Members the last sync could not add to a full set, with their service ports (kubernetes#129389). */
  private notAdded: { set: IpSet; members: readonly string[]; owners: ReadonlyMap<string, string> }[] = [];
  private readonly loopback: IpSet;
  private readonly graceful = new GracefulTermination();
  /** Addresses on the kube-ipvs0 dummy interface. */
  readonly boundAddrs = new Set<number>();
  private opts: IpvsOptions;
  private rules!: FixedRules;
  private nat!: CompiledTable;
  private filter!: CompiledTable;
  private readonly walk: PacketWalk;
  private readonly isLocal: (ip: number) => boolean;
  lastSyncDetail: IpvsSyncDetail = { virtualServerOps: 0, realServerOps: 0, addressOps: 0, ipsetOps: 0 };

  constructor(
    cluster: Cluster,
    private readonly config: KubeProxyConfiguration,
    private readonly modeOptions: IpvsModeOptions = {},
  ) {
    this.opts = resolveIpvsOptions(cluster, config, modeOptions);
    this.ipvs = new Ipvs({ bits: this.opts.tableBits, salt: this.opts.hashSalt });
    this.sets = createKubeIpvsSets(modeOptions.ipsetMaxElem);
    this.loopback = this.sets.get(KUBE_LOOP_BACK)!;
    this.isLocal = (ip: number) => ip >>> 24 === 127 || this.opts.node.localIPs.has(ip) || this.boundAddrs.has(ip);
    this.walk = new PacketWalk({ isLocal: this.isLocal, matchSet: setLookup(this.sets) });
    this.sync(cluster);
  }

  // --- control plane ------------------------------------------------------------------

  sync(cluster: Cluster): SyncWork {
    this.opts = resolveIpvsOptions(cluster, this.config, this.modeOptions);
    const opsBefore = this.ipvs.netlinkOps;
    // The graceful-termination reaper runs on its own (every minute); it is settled here.
    const reaped = this.graceful.flush(this.ipvs);
    const want = computeDesired(buildServiceMap(cluster, this.opts.node), this.opts);
    let ipsetOps = 0;
    this.notAdded = [];
    for (const info of KUBE_IPVS_SETS) {
      const set = this.sets.get(info.name)!;
      const members = want.ipsets.get(info.name)!;
      ipsetOps += set.sync(members.keys());
      if (set.lastFailed.length > 0) this.notAdded.push({ set, members: set.lastFailed, owners: members });
    }
    this.rules = buildFixedRules(this.sets, this.opts);
    this.nat = compileTable(getTable(this.rules.ruleset, 'nat')!, { checkLoops: false });
    this.filter = compileTable(getTable(this.rules.ruleset, 'filter')!, { checkLoops: false });
    const counts = applyDesired(this.ipvs, want, this.graceful);
    let addressOps = 0;
    for (const a of want.bindAddrs)
      if (!this.boundAddrs.has(a)) {
        this.boundAddrs.add(a);
        addressOps++;
      }
    for (const a of [...this.boundAddrs])
      if (!want.bindAddrs.has(a)) {
        this.boundAddrs.delete(a);
        addressOps++;
      }
    this.lastSyncDetail = {
      virtualServerOps: counts.virtualServerOps,
      realServerOps: counts.realServerOps + reaped,
      addressOps,
      ipsetOps,
    };
    return {
      restore_lines: this.rules.restoreLines,
      total_rules: countRules(this.rules),
      netlink_ops: this.ipvs.netlinkOps - opsBefore,
      ipset_ops: ipsetOps,
    };
  }

  /**
   * A full set (kube-proxy's hash sets have maxelem 65536): kube-proxy logs each failed
   * `ipset add` and carries on, so those services silently lack their set entries
   * (kubernetes#129389). What that does to their packets is what the rules below give.
   */
  limits(): LimitReport[] {
    return this.notAdded.map(({ set, members, owners }) => {
      const services = new Set<string>();
      for (const m of members) services.add(owners.get(m) ?? m);
      return {
        name: `ipset.${set.name}`,
        capacity: set.maxelem,
        wanted: set.size + members.length,
        droppedCount: services.size,
        dropped: [...services].slice(0, 10),
        consequence: `${members.length} ${set.name} entries not added ("set is full", logged by kube-proxy and retried every sync, kubernetes#129389): ${SET_CONSEQUENCE[set.name] ?? 'the rules matching the set miss them'}`,
      };
    });
  }

  setNow(seconds: number): void {
    this.ipvs.setTime(seconds * 1e9);
  }

  stats(): DataPlaneStats {
    let entries = 0;
    for (const s of this.sets.values()) entries += s.size;
    return {
      iptables_rules: countRules(this.rules),
      iptables_chains: this.rules.ruleset.tables.reduce((n, t) => n + t.chains.filter((c) => !c.builtin).length, 0),
      ipset_entries: entries,
      ipvs_virtual_servers: this.ipvs.serviceCount,
      ipvs_real_servers: this.ipvs.realServerCount,
    };
  }

  render(format: string): string {
    switch (format) {
      case 'ipvsadm':
        return formatIpvsadmList(this.ipvs);
      case 'ipset':
        return formatIpsetList(
          KUBE_IPVS_SETS.map((s) => this.sets.get(s.name)!),
          this.rules.setReferences,
        );
      case 'iptables-save':
        return writeIptablesSave(this.rules.ruleset);
      default:
        throw new InputError(`ipvs mode cannot render "${format}" (formats: ipvsadm, ipset, iptables-save)`);
    }
  }

  // --- data plane ---------------------------------------------------------------------

  trace(packet: Packet, origin: PacketOrigin): TraceResult {
    const path: string[] = [];
    const env = this.reset(packet, origin, path);
    const res: TraceResult = { verdict: 'NONE', endpoints: [], masquerade: false, rulesEvaluated: 0, path };
    const pre = this.beforeIpvs(origin);
    if (this.notAdded.length > 0) this.traceNotAdded(packet, path);
    if (pre === 'DROP') {
      res.verdict = 'DROP';
    } else if (pre === 'LOCAL' || pre === 'ACCEPTED') {
      const svc = this.ipvs.findService(packet.proto, packet.dst, packet.dport);
      const probes = this.ipvs.lastProbes;
      if (!svc) {
        const local = pre === 'LOCAL' && origin === 'local' ? this.localDelivery() : 'NONE';
        if (pre === 'ACCEPTED' || local === 'ACCEPT') res.verdict = 'ACCEPT';
        else if (local === 'DROP') res.verdict = 'DROP';
        path.push(
          `ipvs: no virtual service ${serviceProtocolName(packet.proto)} ${formatIPv4(packet.dst)}:${packet.dport} (${probes} probes): delivered to the host`,
        );
      } else {
        // Schedulable real servers (weight > 0), in `ipvsadm -Ln` order.
        const eps = msort(
          svc.dests.filter((d) => d.weight > 0),
          compareDests,
        );
        path.push(`ipvs: ${describeService(svc)} (${probes} probes), ${eps.length} of ${svc.dests.length} real servers available`);
        if (eps.length === 0) {
          res.verdict = 'REJECT';
          path.push('ipvs: no destination available: ICMP port unreachable (ip_vs_leave)');
        } else {
          res.verdict = 'DNAT';
          res.endpoints = eps.map((d) => `${formatIPv4(d.addr)}:${d.port}`);
          res.masquerade = this.marked() || eps.some((d) => this.loopback.testIpPortIp(d.addr, packet.proto, d.port, packet.src));
          this.postrouting(eps[0]);
        }
      }
    } else {
      this.forwardedElsewhere();
      res.masquerade = this.marked();
    }
    res.rulesEvaluated = env.rules;
    return res;
  }

  lookup(packet: Packet, origin: PacketOrigin, _rng: Rng, out: LookupResult): LookupResult {
    const env = this.reset(packet, origin, null);
    clearLookupResult(out);
    let verdict: Verdict = 'NONE';
    const pre = this.beforeIpvs(origin);
    if (pre === 'DROP') verdict = 'DROP';
    else if (pre === 'LOCAL' || pre === 'ACCEPTED') {
      const svc = this.ipvs.findService(packet.proto, packet.dst, packet.dport);
      out.hashProbes = this.ipvs.lastProbes;
      if (!svc) {
        const local = pre === 'LOCAL' && origin === 'local' ? this.localDelivery() : 'NONE';
        if (pre === 'ACCEPTED' || local === 'ACCEPT') verdict = 'ACCEPT';
        else if (local === 'DROP') verdict = 'DROP';
      }
      if (svc) {
        const d = this.ipvs.schedule(svc, packet.src, packet.sport, packet.dst);
        if (!d) verdict = 'REJECT';
        else {
          verdict = 'DNAT';
          out.endpointIP = d.addr;
          out.endpointPort = d.port;
          out.masquerade = this.postrouting(d);
        }
      }
    } else {
      this.forwardedElsewhere();
      out.masquerade = this.marked();
    }
    out.verdict = verdict;
    out.rulesEvaluated = env.rules;
    return out;
  }

  connectionClosed(packet: Packet, _origin: PacketOrigin, endpointIP: number, endpointPort: number): void {
    const svc = this.ipvs.getService(packet.proto, packet.dst, packet.dport);
    if (!svc) return;
    const i = this.ipvs.findDest(svc, endpointIP, endpointPort);
    if (i >= 0) this.ipvs.connectionClosed(svc, svc.dests[i]);
  }

  /** The set entries for the packet's destination that a full set left out, as trace lines. */
  private traceNotAdded(p: Packet, path: string[]): void {
    const member = `${formatIPv4(p.dst)},${protocolName(p.proto)}:${p.dport}`;
    for (const { set, members } of this.notAdded)
      if (members.some((m) => m === member || m.startsWith(`${member},`)))
        path.push(
          `ipset ${set.name}: ${member} is not a member: the set was full (maxelem ${set.maxelem}) when kube-proxy added it (kubernetes#129389)`,
        );
  }

  // --- walk steps ---------------------------------------------------------------------

  private reset(p: Packet, origin: PacketOrigin, path: string[] | null): PacketWalk {
    return this.walk.load(p.src, p.dst, p.proto, p.sport, p.dport, crossedBridge(p, origin, this.opts.podCIDR), path);
  }

  /**
   * nat PREROUTING/OUTPUT, routing and (from the network) filter INPUT. An ACCEPT there (the
   * health-check NodePort) ends only the filter table: IPVS still looks at the packet.
   */
  private beforeIpvs(origin: PacketOrigin): 'LOCAL' | 'ACCEPTED' | 'REMOTE' | 'DROP' {
    const w = this.walk;
    w.walk(this.nat, origin === 'local' ? 'OUTPUT' : 'PREROUTING');
    if (!this.isLocal(w.pkt.dst)) return 'REMOTE';
    if (origin === 'forwarded') {
      const v = w.walk(this.filter, 'INPUT');
      if (v === T_DROP || v === T_REJECT) return 'DROP';
      if (v === T_ACCEPT) return 'ACCEPTED';
    }
    return 'LOCAL';
  }

  /**
   * A packet from the node itself to one of its addresses that IPVS did not take (IPVS sees
   * local clients at LOCAL_OUT) is looped back and meets filter INPUT (the health-check port's
   * ACCEPT).
   */
  private localDelivery(): 'ACCEPT' | 'DROP' | 'NONE' {
    const v = this.walk.walk(this.filter, 'INPUT');
    return v === T_ACCEPT ? 'ACCEPT' : v === T_DROP || v === T_REJECT ? 'DROP' : 'NONE';
  }

  /** Not for a local address: routed on (filter FORWARD, nat POSTROUTING), no IPVS. */
  private forwardedElsewhere(): void {
    if (this.walk.walk(this.filter, 'FORWARD') === T_DROP) return;
    this.walk.walk(this.nat, 'POSTROUTING');
  }

  /** nat POSTROUTING after IPVS rewrote the destination; true when it masquerades. */
  private postrouting(d: RealServer): boolean {
    const w = this.walk;
    w.pkt.dst = d.addr;
    w.pkt.dport = d.port;
    return w.walk(this.nat, 'POSTROUTING') === T_MASQUERADE;
  }

  private marked(): boolean {
    return (this.walk.pkt.mark & this.opts.masqueradeValue) !== 0;
  }
}

/** What a missing entry does under kube-proxy 1.25's rules (rules.ts); later versions differ (docs/ipvs.md). */
const SET_CONSEQUENCE: Record<string, string> = {
  'KUBE-CLUSTER-IP':
    'IPVS still serves those ClusterIPs, but KUBE-SERVICES neither marks them for masquerade (clients outside the cluster CIDR, the node itself included, are not SNATed) nor ACCEPTs them; kube-proxy 1.26+ also rejects new connections to them in KUBE-IPVS-FILTER (not modelled)',
  'KUBE-LOOP-BACK': 'a pod reaching itself through the service is not masqueraded (hairpin replies bypass IPVS)',
};

function countRules(r: FixedRules): number {
  let n = 0;
  for (const t of r.ruleset.tables) for (const c of t.chains) n += c.rules.length;
  return n;
}

function describeService(s: VirtualService): string {
  const persist = s.flags & 1 ? ` persistent ${s.timeout}` : '';
  return `${serviceProtocolName(s.proto)} ${formatIPv4(s.addr)}:${s.port} ${s.scheduler}${persist}`;
}
