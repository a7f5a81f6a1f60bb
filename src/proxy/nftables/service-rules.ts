// One service port's part of a sync (the loop body of syncProxyRules and
// writeServiceToEndpointRules in pkg/proxy/nftables/proxier.go): its map elements are always
// ensured (the storages diff them), its chains and rules are rewritten only when the service
// or its endpoints changed since the last sync, or on a full sync.
import { cidrContains, formatCidr, formatIPv4, type Cidr } from '../../util/ipv4.ts';
import type { EndpointInfo, ServicePortInfo } from '../service-port.ts';
import { categorizeEndpoints } from '../topology.ts';
import {
  AFFINITY_PREFIX,
  ENDPOINT_PREFIX,
  EXTERNAL_PREFIX,
  endpointChainNameBase,
  FIREWALL_PREFIX,
  LOCAL_PREFIX,
  SERVICE_PREFIX,
  servicePortChainNameBase,
} from './names.ts';
import type { NftOptions } from './options.ts';
import {
  M_DADDR,
  M_FIB_SADDR_LOCAL,
  M_L4PROTO,
  M_SADDR,
  M_SADDR_ANON,
  M_SADDR_SET,
  Match,
  Rule,
  S_DNAT,
  S_DROP,
  S_GOTO,
  S_JUMP,
  S_NUMGEN,
  S_UPDATE,
} from './rule.ts';
import type { Containers } from './setup.ts';
import type { ElementStorage, ServiceRecord } from './storage.ts';
import { type Chain, type NftSet, V_DROP, V_GOTO, verdictCode } from './table.ts';
import { protoPort, type Transaction } from './tx.ts';

export interface Storages {
  clusterIPs: ElementStorage;
  serviceIPs: ElementStorage;
  firewallIPs: ElementStorage;
  noEndpointServices: ElementStorage;
  noEndpointNodePorts: ElementStorage;
  serviceNodePorts: ElementStorage;
}

export interface SyncContext {
  tx: Transaction;
  o: NftOptions;
  c: Containers;
  s: Storages;
  /** This sync's number: chains and affinity sets in use are stamped with it (the rest go stale). */
  syncId: number;
}

const addr = (ip: number) => new Match(M_SADDR, false, ip >>> 0, 0xffffffff, null, null, formatIPv4(ip));
const FIB_SADDR_LOCAL = new Match(M_FIB_SADDR_LOCAL);

export function syncServicePort(ctx: SyncContext, svc: ServicePortInfo, skip: boolean, rec: ServiceRecord): void {
  const { tx, o, c, s } = ctx;
  const protocol = svc.protocol.toLowerCase();
  const base = servicePortChainNameBase(svc.namespace, svc.serviceName, protocol, svc.portName);
  const epBase = (ep: EndpointInfo) => endpointChainNameBase(svc.namespace, svc.serviceName, protocol, svc.portName, ep.key);
  const affinity = svc.sessionAffinity === 'ClientIP';
  const cat = categorizeEndpoints(svc, o.node.name, o.node.zone);
  const clusterEps = cat.clusterEndpoints ?? [];
  const localEps = cat.localEndpoints ?? [];
  const hasEndpoints = cat.hasAnyEndpoints;
  // ensureChain: add and flush once per sync; an unchanged service's chains are only noted.
  const ensure = (name: string) => {
    let ch = tx.table.chain(name);
    if (!ch || ch.activeSync !== ctx.syncId) {
      if (!skip) {
        tx.addChain(name);
        tx.flushChain(name);
        ch = tx.table.chain(name)!;
      } else if (!ch) throw new Error(`nftables: chain ${name} of unchanged ${svc.name} is missing`);
      ch.activeSync = ctx.syncId;
    }
    rec.chains.push(ch);
  };
  const use = (set: NftSet) => {
    set.activeSync = ctx.syncId;
    rec.affinitySets.push(set);
  };
  const chain = (name: string): Chain => {
    const ch = tx.table.chain(name);
    if (!ch) throw new Error(`nftables: chain ${name} of ${svc.name} is missing`);
    return ch;
  };

  for (const ep of cat.allReachable) {
    ensure(ENDPOINT_PREFIX + epBase(ep));
    // An existing affinity set stays; a new one is stamped when created below.
    const set = affinity ? (tx.table.sets.get(AFFINITY_PREFIX + epBase(ep)) as NftSet | undefined) : undefined;
    if (set) use(set);
  }
  const clusterName = SERVICE_PREFIX + base;
  const localName = LOCAL_PREFIX + base;
  const usesClusterChain = clusterEps.length > 0 && svc.usesClusterEndpoints;
  if (usesClusterChain) ensure(clusterName);
  const usesLocalChain = localEps.length > 0 && svc.usesLocalEndpoints;
  if (usesLocalChain) ensure(localName);

  let internalName = clusterName;
  let hasInternal = hasEndpoints;
  if (svc.internalPolicyLocal) {
    internalName = localName;
    if (localEps.length === 0) hasInternal = false;
  }
  let externalPolicyName = clusterName;
  let hasExternal = hasEndpoints;
  if (svc.externalPolicyLocal) {
    externalPolicyName = localName;
    if (localEps.length === 0) hasExternal = false;
  }
  const externalName = EXTERNAL_PREFIX + base;
  // Even without externally usable endpoints the short-circuit rules for local traffic are needed.
  const usesExternalChain = hasEndpoints && svc.externallyAccessible;
  if (usesExternalChain) ensure(externalName);

  // No endpoints anywhere: reject; none for this policy: drop what the external chain did not short-circuit.
  const rejectVerdict = verdictCode(V_GOTO, c.rejectChain);
  const internalVerdict = hasEndpoints ? verdictCode(V_DROP) : rejectVerdict;
  const externalVerdict = hasEndpoints ? verdictCode(V_DROP) : rejectVerdict;
  const pp = protoPort(svc.protoNumber, svc.port);
  const toExternal = () => verdictCode(V_GOTO, chain(externalName));

  s.clusterIPs.ensureAddress(tx, c.clusterIPs, svc.clusterIP, rec);
  if (hasInternal) s.serviceIPs.ensureMapElement(tx, c.serviceIPs, svc.clusterIP, pp, verdictCode(V_GOTO, chain(internalName)), rec);
  else s.noEndpointServices.ensureMapElement(tx, c.noEndpointServices, svc.clusterIP, pp, internalVerdict, rec, svc.name);
  for (const ip of svc.externalIPs) {
    if (hasEndpoints) s.serviceIPs.ensureMapElement(tx, c.serviceIPs, ip, pp, toExternal(), rec);
    if (!hasExternal) s.noEndpointServices.ensureMapElement(tx, c.noEndpointServices, ip, pp, externalVerdict, rec, svc.name);
  }
  const firewallName = FIREWALL_PREFIX + base;
  const usesFirewall = svc.loadBalancerVIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;
  if (usesFirewall) ensure(firewallName);
  for (const ip of svc.loadBalancerVIPs) {
    if (hasEndpoints) s.serviceIPs.ensureMapElement(tx, c.serviceIPs, ip, pp, toExternal(), rec);
    if (usesFirewall) s.firewallIPs.ensureMapElement(tx, c.firewallIPs, ip, pp, verdictCode(V_GOTO, chain(firewallName)), rec);
  }
  if (!hasExternal)
    for (const ip of svc.loadBalancerVIPs)
      s.noEndpointServices.ensureMapElement(tx, c.noEndpointServices, ip, pp, externalVerdict, rec, svc.name);
  if (svc.nodePort !== 0) {
    const npp = protoPort(svc.protoNumber, svc.nodePort);
    // NodePorts are not subject to loadBalancerSourceRanges (kube-proxy cannot change that now).
    if (hasEndpoints) s.serviceNodePorts.ensureMapElement(tx, c.serviceNodePorts, 0, npp, toExternal(), rec);
    if (!hasExternal) s.noEndpointNodePorts.ensureMapElement(tx, c.noEndpointNodePorts, 0, npp, externalVerdict, rec, svc.name);
  }

  if (skip) return;

  const markMasq = c.markMasq;
  const daddrCIP = new Match(M_DADDR, false, svc.clusterIP >>> 0, 0xffffffff, null, null, formatIPv4(svc.clusterIP));
  if (hasInternal) {
    if (o.masqueradeAll) tx.addRule(chain(internalName), new Rule([daddrCIP], S_JUMP, markMasq));
    else if (o.localCIDR)
      // Masquerade off-cluster traffic to a ClusterIP: it may have been routed here from anywhere.
      tx.addRule(chain(internalName), new Rule([daddrCIP, fromPods(o.localCIDR, true)], S_JUMP, markMasq));
  }
  if (usesExternalChain) {
    const ext = chain(externalName);
    if (!svc.externalPolicyLocal) tx.addRule(ext, new Rule([], S_JUMP, markMasq));
    else {
      const cluster = chain(clusterName);
      if (o.localCIDR) tx.addRule(ext, comment(new Rule([fromPods(o.localCIDR, false)], S_GOTO, cluster), 'short-circuit pod traffic'));
      tx.addRule(ext, comment(new Rule([FIB_SADDR_LOCAL], S_JUMP, markMasq), 'masquerade local traffic'));
      tx.addRule(ext, comment(new Rule([FIB_SADDR_LOCAL], S_GOTO, cluster), 'short-circuit local traffic'));
    }
    if (hasExternal) tx.addRule(ext, new Rule([], S_GOTO, chain(externalPolicyName)));
  }
  if (usesFirewall) tx.addRule(chain(firewallName), firewallRule(svc, o.node.primaryIP));

  const affinitySets = new Map<EndpointInfo, NftSet>();
  if (affinity)
    for (const ep of cat.allReachable) {
      const set = tx.addSet(AFFINITY_PREFIX + epBase(ep), null, svc.stickyMaxAgeSeconds);
      if (set.activeSync !== ctx.syncId) use(set);
      affinitySets.set(ep, set);
    }
  const endpointChain = (ep: EndpointInfo) => chain(ENDPOINT_PREFIX + epBase(ep));
  const toEndpoints = (ch: Chain, eps: EndpointInfo[]) => {
    for (const ep of eps) {
      if (affinity) tx.addRule(ch, new Rule([new Match(M_SADDR_SET, false, 0, 0, null, affinitySets.get(ep))], S_GOTO, endpointChain(ep)));
    }
    tx.addRule(ch, new Rule([], S_NUMGEN, null, null, eps.map(endpointChain)));
  };
  if (usesClusterChain) toEndpoints(chain(clusterName), clusterEps);
  if (usesLocalChain) toEndpoints(chain(localName), localEps);
  for (const ep of cat.allReachable) {
    const ch = endpointChain(ep);
    // Hairpin: a pod reaching itself through the service must be masqueraded.
    tx.addRule(ch, new Rule([addr(ep.ip)], S_JUMP, markMasq));
    if (affinity) tx.addRule(ch, new Rule([], S_UPDATE, null, null, null, 0, 0, affinitySets.get(ep)));
    tx.addRule(ch, new Rule([new Match(M_L4PROTO, false, svc.protoNumber)], S_DNAT, null, null, null, ep.ip, ep.port));
  }
}

/** The local-traffic detector: ip saddr [!=] CLUSTER_CIDR (IfLocalNFT / IfNotLocalNFT). */
function fromPods(cidr: Cidr, negate: boolean): Match {
  return new Match(M_SADDR, negate, cidr.addr, cidr.mask, null, null, formatCidr(cidr));
}

function comment(r: Rule, text: string): Rule {
  return new Rule(r.matches, r.stmt, r.chain, r.map, r.targets, r.a, r.b, r.set, text);
}

/**
 * ip saddr != { RANGES } drop. When a range contains the node IP, the LB IPs are allowed too:
 * a node's request to a VIP it holds locally loops back with the VIP as its source.
 */
function firewallRule(svc: ServicePortInfo, nodeIP: number): Rule {
  const cidrs: Cidr[] = [...svc.loadBalancerSourceRanges];
  const texts = cidrs.map(formatCidr);
  if (cidrs.some((c) => cidrContains(c, nodeIP)))
    for (const ip of svc.loadBalancerVIPs) {
      cidrs.push({ addr: ip >>> 0, mask: 0xffffffff, prefix: 32 });
      texts.push(formatIPv4(ip));
    }
  return new Rule([new Match(M_SADDR_ANON, true, 0, 0, cidrs, null, `{ ${texts.join(' , ')} }`)], S_DROP);
}
