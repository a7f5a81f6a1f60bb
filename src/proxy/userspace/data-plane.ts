// One node's data plane in the legacy userspace mode: kube-proxy itself is the load
// balancer. nat PREROUTING/OUTPUT send a service's traffic to a port kube-proxy listens on
// (REDIRECT for containers, DNAT to the node IP for the host), kube-proxy accepts the
// connection in user space, picks a backend round-robin (with ClientIP stickiness) and opens
// a second connection to it from the node. Every byte then crosses into user space twice,
// which is why the mode is marked perPacketUserspace.
import type { Cluster } from '../../cluster/model.ts';
import { Rng } from '../../engine/rng.ts';
import { writeIptablesSave } from '../../netfilter/index.ts';
import { formatIPv4, tryParseCidr, type Cidr } from '../../util/ipv4.ts';
import { InputError } from '../../util/errors.ts';
import type { KubeProxyConfiguration } from '../config.ts';
import { PacketWalk, T_DNAT, T_REDIRECT } from '../../netfilter/index.ts';
import { crossedBridge } from '../node-view.ts';
import { buildServiceMap, nodeView, type NodeView, type ServicePortInfo } from '../service-map.ts';
import type { DataPlane, DataPlaneStats, LookupResult, Packet, PacketOrigin, SyncWork, TraceResult } from '../types.ts';
import { clearLookupResult } from '../types.ts';
import { type Backend, BalancerState } from './load-balancer.ts';
import { DEFAULT_PROXY_PORT_RANGE, PortAllocator } from './port-allocator.ts';
import { PortalChains } from './portal-chains.ts';
import { JUMP_RULES, portalRules, ruleCount, type PortalRules } from './rules.ts';

export interface UserspaceModeOptions {
  /** --proxy-port-range; default the kernel's ephemeral range 32768-60999. */
  proxyPortRange?: { base: number; size: number };
  /** Seed for proxy-port choice and endpoint shuffling (default: the node name). */
  seed?: string | number;
}

/** One proxied service port: its socket, its rules, its balancer. */
interface Portal {
  key: string;
  /** What sameConfig compares; a change closes and reopens the portal on a new port. */
  signature: string;
  proxyPort: number;
  rules: PortalRules;
  /** Sockets held open for NodePorts and local portal IPs (claimNodePort). */
  claims: number;
  balancer: BalancerState;
  name: string;
}

export class UserspaceDataPlane implements DataPlane {
  readonly mode = 'userspace' as const;
  private node: NodeView;
  private podCIDR: Cidr | null = null;
  private readonly portals = new Map<string, Portal>();
  private readonly byProxyPort = new Map<number, Portal>();
  private readonly ports: PortAllocator;
  private readonly rng: Rng;
  private chains!: PortalChains;
  private readonly walk: PacketWalk;
  private nowS = 0;
  private firstSync = true;

  constructor(
    cluster: Cluster,
    private readonly config: KubeProxyConfiguration,
    opts: UserspaceModeOptions = {},
  ) {
    this.node = nodeView(cluster, config.hostnameOverride);
    this.rng = new Rng(opts.seed ?? `userspace/${this.node.name}`);
    const range = opts.proxyPortRange ?? config.portRange ?? DEFAULT_PROXY_PORT_RANGE;
    this.ports = new PortAllocator(range.base, range.size, this.rng.fork('ports'));
    const isLocal = (ip: number) => ip >>> 24 === 127 || this.node.localIPs.has(ip);
    this.walk = new PacketWalk({ isLocal });
    this.sync(cluster);
  }

  // --- control plane ------------------------------------------------------------------

  /** syncProxyRules: merge changed services (new port, new rules), unmerge removed ones, ensurePortals. */
  sync(cluster: Cluster): SyncWork {
    this.node = nodeView(cluster, this.config.hostnameOverride);
    const spec = cluster.nodes.find((n) => n.metadata.name === this.node.name)?.spec;
    const podText = spec?.podCIDRs?.[0] ?? spec?.podCIDR;
    this.podCIDR = podText ? tryParseCidr(podText, false) : null;
    // iptablesInit: 5 chains ensured (iptables -N), 5 jumps checked (-C), added the first time.
    let commands = 10 + (this.firstSync ? JUMP_RULES.length : 0);
    let portOps = 0;
    const wanted = new Map<string, ServicePortInfo>();
    // The userspace proxy cannot proxy SCTP (newProxySocket: unknown protocol).
    for (const sp of buildServiceMap(cluster, this.node)) if (sp.protocol !== 'SCTP') wanted.set(`${sp.name}/${sp.protocol}`, sp);

    for (const [key, p] of this.portals) {
      const sp = wanted.get(key);
      if (sp && signature(sp) === p.signature) continue;
      commands += ruleCount(p.rules); // DeleteRule, one command per rule
      portOps += this.close(p);
    }
    for (const [key, sp] of wanted) {
      let p = this.portals.get(key);
      if (!p) {
        p = this.open(key, sp);
        portOps += 1 + p.claims;
        commands += 2 * ruleCount(p.rules); // EnsureRule: check, then append
      }
      p.balancer.setBackends(backendsOf(sp), this.rng);
      p.balancer.cleanup(this.nowS);
    }
    // ensurePortals: every rule of every service is checked again on every sync.
    for (const p of this.portals.values()) commands += ruleCount(p.rules);
    this.firstSync = false;
    this.chains = new PortalChains(this.portals.values());
    return { port_ops: portOps, iptables_invocations: commands, total_rules: this.chains.ruleCount };
  }

  setNow(seconds: number): void {
    this.nowS = seconds;
  }

  stats(): DataPlaneStats {
    return { iptables_rules: this.chains.ruleCount, iptables_chains: 5, proxy_ports: this.portals.size };
  }

  render(format: string): string {
    if (format !== 'iptables-save') throw new InputError(`userspace mode cannot render "${format}" (formats: iptables-save)`);
    return writeIptablesSave(this.chains.ruleset);
  }

  private open(key: string, sp: ServicePortInfo): Portal {
    const proxyPort = this.ports.allocate();
    const rules = portalRules(sp, proxyPort, this.node.primaryIP);
    // claimNodePort holds the NodePort, and any local portal address's port, open.
    let claims = sp.nodePort !== 0 ? 1 : 0;
    for (const ip of [sp.clusterIP, ...sp.externalIPs, ...sp.loadBalancerVIPs]) if (this.node.localIPs.has(ip)) claims++;
    const balancer = new BalancerState(sp.sessionAffinity === 'ClientIP', sp.stickyMaxAgeSeconds || 10800);
    const p: Portal = { key, signature: signature(sp), proxyPort, rules, claims, balancer, name: sp.name };
    this.portals.set(key, p);
    this.byProxyPort.set(proxyPort, p);
    return p;
  }

  /** cleanupPortalAndProxy: rules deleted, socket closed, port released; returns sockets closed. */
  private close(p: Portal): number {
    this.portals.delete(p.key);
    this.byProxyPort.delete(p.proxyPort);
    this.ports.release(p.proxyPort);
    return 1 + p.claims;
  }

  // --- data plane ---------------------------------------------------------------------

  trace(packet: Packet, origin: PacketOrigin): TraceResult {
    const path: string[] = [];
    const env = this.reset(packet, origin, path);
    const res: TraceResult = { verdict: 'NONE', endpoints: [], masquerade: false, rulesEvaluated: 0, path };
    const v = env.walk(this.chains.nat, origin === 'local' ? 'OUTPUT' : 'PREROUTING');
    if (v === T_REDIRECT || v === T_DNAT) {
      const p = this.byProxyPort.get(env.natPort)!;
      env.rules++; // the proxy port's socket lookup
      path.push(
        `userspace proxy: ${p.name} on port ${p.proxyPort}, round robin${p.balancer.sticky ? ` with ClientIP affinity (${p.balancer.ttlSeconds}s)` : ''} over ${p.balancer.backends.length} endpoints`,
      );
      if (p.balancer.backends.length === 0) {
        res.verdict = 'REJECT';
        path.push('userspace proxy: no endpoints: the accepted connection is closed');
      } else {
        res.verdict = 'DNAT';
        res.endpoints = p.balancer.backends.map((b) => b.key).sort();
        // The proxy connects to the backend from the node: the backend sees the node's address.
        res.masquerade = true;
      }
    }
    res.rulesEvaluated = env.rules;
    return res;
  }

  lookup(packet: Packet, origin: PacketOrigin, _rng: Rng, out: LookupResult): LookupResult {
    const env = this.reset(packet, origin, null);
    clearLookupResult(out);
    // The same rule-by-rule walk as trace(): the portal chains hold one rule per service port,
    // so the wall-clock cost of this lookup grows with the services, as the kernel's does.
    const v = env.walk(this.chains.nat, origin === 'local' ? 'OUTPUT' : 'PREROUTING');
    const p = v === T_REDIRECT || v === T_DNAT ? this.byProxyPort.get(env.natPort) : undefined;
    if (p) {
      env.rules++;
      const b = p.balancer.next(packet.src >>> 0, this.nowS);
      if (!b) out.verdict = 'REJECT';
      else {
        out.verdict = 'DNAT';
        out.endpointIP = b.ip;
        out.endpointPort = b.port;
        out.masquerade = true;
      }
    }
    out.rulesEvaluated = env.rules;
    return out;
  }

  private reset(p: Packet, origin: PacketOrigin, path: string[] | null): PacketWalk {
    return this.walk.load(p.src, p.dst, p.proto, p.sport, p.dport, crossedBridge(p, origin, this.podCIDR), path);
  }
}

/** sameConfig: protocol, port, nodePort, cluster IP, external IPs, LB ingress, affinity. */
function signature(sp: ServicePortInfo): string {
  return [
    sp.protocol,
    sp.port,
    sp.nodePort,
    sp.clusterIP,
    sp.externalIPs.join(','),
    sp.loadBalancerVIPs.join(','),
    sp.sessionAffinity,
  ].join('|');
}

/** The proxy balances over the ready endpoints of the Endpoints object, ignoring topology. */
function backendsOf(sp: ServicePortInfo): Backend[] {
  return sp.endpoints.filter((e) => e.ready).map((e) => ({ ip: e.ip, port: e.port, key: `${formatIPv4(e.ip)}:${e.port}` }));
}
