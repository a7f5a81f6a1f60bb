// The iptables-restore input kube-proxy writes on a full sync: the filter and nat tables'
// KUBE-* chains (pkg/proxy/iptables/proxier.go, syncProxyRules and
// writeServiceToEndpointRules), rule for rule in kube-proxy's order and quoting.
import { categorizeEndpoints } from '../topology.ts';
import type { EndpointInfo, ServicePortInfo } from '../service-port.ts';
import { formatCidr, formatIPv4 } from '../../util/ipv4.ts';
import { endpointChainName, serviceChainNames } from './chain-names.ts';
import type { IptablesOptions } from './options.ts';
import { probability } from './probability.ts';
import { type L4, RuleBuf } from './rule-buf.ts';

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
export const KUBE_FIREWALL = 'KUBE-FIREWALL';

/** nat chains every sync writes whole, partial or not; the rest belong to one service port. */
const FIXED_NAT_CHAINS = new Set([KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ]);
/** natChains begins with the fixed chains. */
export const FIXED_NAT_CHAIN_COUNT = FIXED_NAT_CHAINS.size;

/** Above this many endpoints kube-proxy drops per-endpoint comments (largeClusterEndpointsThreshold). */
export const LARGE_CLUSTER_ENDPOINTS = 1000;

/** nfacct counter names (pkg/proxy/metrics). */
const NFACCT_INVALID = 'ct_state_invalid_dropped_pkts';
const NFACCT_LOCALHOST_NODEPORT = 'localhost_nps_accepted_pkts';

export type RuleLine = RuleBuf;

/** What a rendering wrote besides the rules themselves. */
export interface RenderSummary {
  /** Each section as kube-proxy's LineBuffers hold it: chains declared, rules written. */
  filterChains: string[];
  natChains: string[];
  filterRuleCount: number;
  natRuleCount: number;
  /**
   * Per service port, in the services' order: the lines of its own chains (declarations plus
   * rules), which a partial restore writes only when the port changed. Every other line
   * belongs to the fixed chains, written on every sync. A port whose own chains were not
   * rendered (`unchanged`) has the count it had.
   */
  ownLines: Int32Array;
  /** Per service port: natChains.length once its chains were declared (its own chains end there). */
  ownChainEnd: Int32Array;
  /** Lines of the own chains of ports not rendered again (`unchanged`): in the table all the same. */
  reusedLines: number;
  largeClusterMode: boolean;
}

export interface RestorePayload extends RenderSummary {
  filterRules: RuleBuf[];
  natRules: RuleBuf[];
}

/**
 * Takes finished rules in batches, in the order written; the arrays are the renderer's and
 * are reused after the call, so a sink that keeps no rule lets each batch become garbage.
 */
export type RuleSink = (filterRules: RuleBuf[], natRules: RuleBuf[]) => void;

/** Rules per batch handed to a sink: a few services' worth, few enough to die young (a scavenge, not a full collection). */
const BATCH = 256;

/** The restore payload with every rule kept (for the texts; a sync streams with renderRules). */
export function renderRestore(services: ServicePortInfo[], o: IptablesOptions): RestorePayload {
  const filterRules: RuleBuf[] = [];
  const natRules: RuleBuf[] = [];
  const summary = renderRules(services, o, (f, n) => {
    for (let i = 0; i < f.length; i++) filterRules.push(f[i]);
    for (let i = 0; i < n.length; i++) natRules.push(n[i]);
  });
  return { ...summary, filterRules, natRules };
}

/**
 * Renders every rule, streamed to `sink`. With `unchanged`, a port i whose entry is not -1
 * has only its rules in the fixed chains rendered (its own chains are what they were, and its
 * ownLines is that entry): the rest of the table is copied, not rendered again.
 */
export function renderRules(services: ServicePortInfo[], o: IptablesOptions, sink: RuleSink, unchanged?: Int32Array): RenderSummary {
  const filterChains: string[] = [];
  const filterRules: RuleBuf[] = [];
  const natChains: string[] = [];
  const natRules: RuleBuf[] = [];
  let filterRuleCount = 0;
  let natRuleCount = 0;
  const flush = () => {
    filterRuleCount += filterRules.length;
    natRuleCount += natRules.length;
    sink(filterRules, natRules);
    filterRules.length = natRules.length = 0;
  };
  const ownLines = new Int32Array(services.length);
  let own = 0;
  let reusedLines = 0;
  const ownChainEnd = new Int32Array(services.length);
  const filter = (chain: string) => {
    const r = new RuleBuf(chain);
    filterRules.push(r);
    return r;
  };
  const nat = (chain: string) => {
    const r = new RuleBuf(chain);
    natRules.push(r);
    if (!FIXED_NAT_CHAINS.has(chain)) own++;
    return r;
  };
  const declare = (chain: string) => {
    natChains.push(chain);
    own++;
  };
  const markText = o.masqueradeMark;
  const markValue = o.masqueradeValue;

  filterChains.push(KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL);
  natChains.push(KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ);

  nat(KUBE_POSTROUTING).mark(true, markValue, markText).verdict('RETURN');
  // Clear the mark so a packet that re-traverses the stack is not masqueraded twice.
  nat(KUBE_POSTROUTING).markTarget('xor-mark', markValue, markText);
  nat(KUBE_POSTROUTING).comment('kubernetes service traffic requiring SNAT').masquerade(o.randomFully);
  nat(KUBE_MARK_MASQ).markTarget('or-mark', markValue, markText);

  if (o.localhostNodePorts) {
    // route_localnet opens 127.0.0.0/8 to the network (issue 90259); this rule closes it again.
    filterChains.push(KUBE_FIREWALL);
    filter(KUBE_FIREWALL)
      .comment('block incoming localnet connections')
      .addr('dst', false, '127.0.0.0/8')
      .addr('src', true, '127.0.0.0/8')
      .ctstate(true, ['RELATED', 'ESTABLISHED', 'DNAT'])
      .verdict('DROP');
  }

  let totalEndpoints = 0;
  for (const svc of services) totalEndpoints += svc.endpoints.length;
  const largeClusterMode = totalEndpoints > LARGE_CLUSTER_ENDPOINTS;
  // appendServiceCommentLocked: large clusters drop the per-endpoint comments.
  const serviceComment = (text: string): string | null => (largeClusterMode ? null : text);

  for (let si = 0; si < services.length; si++) {
    const svc = services[si];
    own = 0;
    const p = svc.protocol.toLowerCase() as L4;
    const name = svc.name;
    const names = serviceChainNames(name, svc.protocol);
    // Each endpoint's chain name is needed by the SVC/SVL rules and by its own chain: hash once.
    const sepNames = new Map<EndpointInfo, string>();
    const epChain = (ep: EndpointInfo) => {
      let n = sepNames.get(ep);
      if (n === undefined) sepNames.set(ep, (n = endpointChainName(name, svc.protocol, ep.key)));
      return n;
    };
    const {
      clusterEndpoints,
      localEndpoints,
      allReachable,
      hasAnyEndpoints: hasEndpoints,
    } = categorizeEndpoints(svc, o.node.name, o.node.zone);
    const cluster = clusterEndpoints ?? [];
    const local = localEndpoints ?? [];
    const usesClusterPolicyChain = cluster.length > 0 && svc.usesClusterEndpoints;
    const usesLocalPolicyChain = local.length > 0 && svc.usesLocalEndpoints;

    let internalChain = names.cluster;
    let hasInternalEndpoints = hasEndpoints;
    if (svc.internalPolicyLocal) {
      internalChain = names.local;
      if (local.length === 0) hasInternalEndpoints = false;
    }
    let externalPolicyChain = names.cluster;
    let hasExternalEndpoints = hasEndpoints;
    if (svc.externalPolicyLocal) {
      externalPolicyChain = names.local;
      if (local.length === 0) hasExternalEndpoints = false;
    }
    const externalChain = names.external;
    // The EXT chain is needed for the local short-circuit even without external endpoints.
    const usesExternalChain = hasEndpoints && svc.externallyAccessible;
    const usesFWChain = hasEndpoints && svc.loadBalancerVIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;
    const lbChain = usesFWChain ? names.firewall : externalChain;

    // No endpoints at all: REJECT everything; no local ones for a Local policy: DROP.
    let internalFilter: 'REJECT' | 'DROP' = 'DROP';
    let internalFilterComment = '';
    let externalFilter: 'REJECT' | 'DROP' = 'DROP';
    let externalFilterComment = '';
    if (!hasEndpoints) {
      internalFilter = externalFilter = 'REJECT';
      internalFilterComment = externalFilterComment = `${name} has no endpoints`;
    } else {
      if (!hasInternalEndpoints) internalFilterComment = `${name} has no local endpoints`;
      if (!hasExternalEndpoints) externalFilterComment = `${name} has no local endpoints`;
    }

    const clusterIP = formatIPv4(svc.clusterIP);
    const port = svc.port;

    // Capture the cluster IP.
    if (hasInternalEndpoints) nat(KUBE_SERVICES).comment(`${name} cluster IP`).proto(p, clusterIP, port).jump(internalChain);
    else filter(KUBE_SERVICES).comment(internalFilterComment).proto(p, clusterIP, port).verdict(internalFilter);

    // Capture external IPs.
    for (const ipNum of svc.externalIPs) {
      const ip = formatIPv4(ipNum);
      if (hasEndpoints) nat(KUBE_SERVICES).comment(`${name} external IP`).proto(p, ip, port).jump(externalChain);
      if (!hasExternalEndpoints) filter(KUBE_EXTERNAL_SERVICES).comment(externalFilterComment).proto(p, ip, port).verdict(externalFilter);
    }

    // Capture load-balancer ingress IPs.
    for (const ipNum of svc.loadBalancerVIPs) {
      const ip = formatIPv4(ipNum);
      if (hasEndpoints) nat(KUBE_SERVICES).comment(`${name} loadbalancer IP`).proto(p, ip, port).jump(lbChain);
      if (usesFWChain)
        filter(KUBE_PROXY_FIREWALL).comment(`${name} traffic not accepted by ${names.firewall}`).proto(p, ip, port).verdict('DROP');
    }
    if (!hasExternalEndpoints) {
      for (const ipNum of svc.loadBalancerVIPs) {
        filter(KUBE_EXTERNAL_SERVICES).comment(externalFilterComment).proto(p, formatIPv4(ipNum), port).verdict(externalFilter);
      }
    }

    // Capture node ports (not subject to loadBalancerSourceRanges).
    if (svc.nodePort !== 0) {
      if (hasEndpoints) {
        if (o.localhostNodePorts && o.nfacct) {
          nat(KUBE_NODEPORTS).comment(name).proto(p, '127.0.0.0/8', svc.nodePort).nfacct(NFACCT_LOCALHOST_NODEPORT).jump(externalChain);
        }
        nat(KUBE_NODEPORTS).comment(name).proto(p, null, svc.nodePort).jump(externalChain);
      }
      if (!hasExternalEndpoints) {
        filter(KUBE_EXTERNAL_SERVICES)
          .comment(externalFilterComment)
          .addrtypeLocal('dst')
          .proto(p, null, svc.nodePort)
          .verdict(externalFilter);
      }
    }

    // Health-check node port: accepted whether or not this node has local endpoints.
    if (svc.healthCheckNodePort !== 0) {
      filter(KUBE_NODEPORTS).comment(`${name} health check node port`).proto('tcp', null, svc.healthCheckNodePort).verdict('ACCEPT');
    }

    // Everything below writes the port's own chains.
    if (unchanged !== undefined && unchanged[si] >= 0) {
      ownLines[si] = unchanged[si];
      reusedLines += unchanged[si];
      ownChainEnd[si] = natChains.length;
      if (filterRules.length + natRules.length >= BATCH) flush();
      continue;
    }

    // Internal traffic: masquerade what does not come from a pod (or everything with masqueradeAll).
    if (hasInternalEndpoints) {
      if (o.masqueradeAll) nat(internalChain).comment(`${name} cluster IP`).proto(p, clusterIP, port).jump(KUBE_MARK_MASQ);
      else if (o.localCIDR)
        nat(internalChain).comment(`${name} cluster IP`).proto(p, clusterIP, port).addr('src', true, o.localCIDR).jump(KUBE_MARK_MASQ);
    }

    // External traffic: EXT chain, then the external policy chain.
    if (usesExternalChain) {
      declare(externalChain);
      if (!svc.externalPolicyLocal) {
        // Endpoints may be on other nodes: masquerade so replies come back through this node.
        nat(externalChain).comment(`masquerade traffic for ${name} external destinations`).jump(KUBE_MARK_MASQ);
      } else {
        if (o.localCIDR) {
          // Pod -> external IP is short-circuited to all endpoints, as if it went out and came back.
          nat(externalChain).comment(`pod traffic for ${name} external destinations`).addr('src', false, o.localCIDR).jump(names.cluster);
        }
        // The host's own traffic needs masquerading: its source would be the (local) LB IP.
        nat(externalChain).comment(`masquerade LOCAL traffic for ${name} external destinations`).addrtypeLocal('src').jump(KUBE_MARK_MASQ);
        nat(externalChain).comment(`route LOCAL traffic for ${name} external destinations`).addrtypeLocal('src').jump(names.cluster);
      }
      if (hasExternalEndpoints) nat(externalChain).jump(externalPolicyChain);
    }

    // Firewall chain for loadBalancerSourceRanges.
    if (usesFWChain) {
      declare(names.firewall);
      let allowFromNode = false;
      for (const cidr of svc.loadBalancerSourceRanges) {
        nat(names.firewall).comment(`${name} loadbalancer IP`).addr('src', false, formatCidr(cidr)).jump(externalChain);
        if (o.node.primaryIP !== 0 && (o.node.primaryIP & cidr.mask) >>> 0 === cidr.addr) allowFromNode = true;
      }
      // A node reaching its own VIP loops back with the VIP as source address.
      if (allowFromNode) {
        for (const ipNum of svc.loadBalancerVIPs)
          nat(names.firewall).comment(`${name} loadbalancer IP`).addr('src', false, formatIPv4(ipNum)).jump(externalChain);
      }
      // Anything left was not DNATed and will be dropped by KUBE-PROXY-FIREWALL in filter.
      nat(names.firewall).comment(`other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`);
    }

    if (usesClusterPolicyChain) {
      declare(names.cluster);
      writeServiceToEndpointRules(nat, svc, names.cluster, cluster, epChain, serviceComment);
    }
    if (usesLocalPolicyChain) {
      declare(names.local);
      writeServiceToEndpointRules(nat, svc, names.local, local, epChain, serviceComment);
    }

    // One chain per reachable endpoint: hairpin masquerade, affinity record, DNAT.
    const comment = serviceComment(name);
    for (const ep of allReachable) {
      const chain = epChain(ep);
      declare(chain);
      nat(chain).comment(comment).addr('src', false, ep.ipText).jump(KUBE_MARK_MASQ);
      const dnat = nat(chain).comment(comment);
      if (svc.sessionAffinity === 'ClientIP') dnat.recent(chain, null);
      dnat.proto(p).dnat(ep.ip, ep.port);
    }
    ownLines[si] = own;
    ownChainEnd[si] = natChains.length;
    if (filterRules.length + natRules.length >= BATCH) flush();
  }

  // Tail call to KUBE-NODEPORTS: must be the last rule of nat KUBE-SERVICES.
  const lastComment = 'kubernetes service nodeports; NOTE: this must be the last rule in this chain';
  if (o.nodePortMatchAll) {
    const r = nat(KUBE_SERVICES).comment(lastComment).addrtypeLocal('dst');
    // Localhost NodePorts only work with route_localnet, which localhostNodePorts sets.
    if (!o.localhostNodePorts) r.addr('dst', true, '127.0.0.0/8');
    r.jump(KUBE_NODEPORTS);
  } else {
    for (const ip of o.nodePortIPs) {
      if (ip >>> 24 === 127 && !o.localhostNodePorts) continue;
      nat(KUBE_SERVICES).comment(lastComment).addr('dst', false, formatIPv4(ip)).jump(KUBE_NODEPORTS);
    }
  }

  if (!o.conntrackTCPLiberal) {
    // INVALID packets would otherwise reset connections (issues 74839, 117924).
    const r = filter(KUBE_FORWARD).ctstate(false, ['INVALID']);
    if (o.nfacct) r.nfacct(NFACCT_INVALID);
    r.verdict('DROP');
  }
  // Forward marked traffic even when the FORWARD policy is DROP, and its replies.
  filter(KUBE_FORWARD).comment('kubernetes forwarding rules').mark(false, markValue, markText).verdict('ACCEPT');
  filter(KUBE_FORWARD).comment('kubernetes forwarding conntrack rule').ctstate(false, ['RELATED', 'ESTABLISHED']).verdict('ACCEPT');

  flush();
  return { filterChains, natChains, filterRuleCount, natRuleCount, ownLines, ownChainEnd, reusedLines, largeClusterMode };
}

/** ClientIP affinity checks first, then one rule per endpoint with probability 1/(n-i). */
function writeServiceToEndpointRules(
  nat: (chain: string) => RuleBuf,
  svc: ServicePortInfo,
  chain: string,
  endpoints: EndpointInfo[],
  epChain: (ep: EndpointInfo) => string,
  serviceComment: (text: string) => string | null,
): void {
  if (svc.sessionAffinity === 'ClientIP') {
    for (const ep of endpoints) {
      const sep = epChain(ep);
      nat(chain)
        .comment(serviceComment(`${svc.name} -> ${ep.key}`))
        .recent(sep, svc.stickyMaxAgeSeconds)
        .jump(sep);
    }
  }
  const n = endpoints.length;
  endpoints.forEach((ep, i) => {
    const r = nat(chain).comment(serviceComment(`${svc.name} -> ${ep.key}`));
    if (i < n - 1) r.statistic(probability(n - i));
    r.jump(epChain(ep));
  });
}

/** A rule line as iptables-restore reads it. */
export function ruleLineText(r: RuleBuf): string {
  return r.text === '' ? `-A ${r.chain}` : `-A ${r.chain} ${r.text}`;
}

/** kube-proxy's iptablesData: the text handed to iptables-restore. */
export function restoreText(p: RestorePayload): string {
  const out = ['*filter'];
  for (const c of p.filterChains) out.push(`:${c} - [0:0]`);
  for (const r of p.filterRules) out.push(ruleLineText(r));
  out.push('COMMIT', '*nat');
  for (const c of p.natChains) out.push(`:${c} - [0:0]`);
  for (const r of p.natRules) out.push(ruleLineText(r));
  out.push('COMMIT', '');
  return out.join('\n');
}
