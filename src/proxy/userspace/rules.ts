// The legacy userspace proxier's iptables rules (pkg/proxy/userspace/proxier.go, Kubernetes
// <= 1.25: iptablesInit, openOnePortal, openNodePort, iptablesCommonPortalArgs), as
// iptables-save prints them (addresses and -p first, then the matches in order). kube-proxy
// listens on 0.0.0.0, so traffic from containers is REDIRECTed to the proxy port and traffic
// from the host is DNATed to the node IP and the proxy port.
import type { Rule } from '../../netfilter/index.ts';
import { formatIPv4 } from '../../util/ipv4.ts';
import type { ServicePortInfo } from '../service-map.ts';

export const PORTALS_CONTAINER = 'KUBE-PORTALS-CONTAINER';
export const PORTALS_HOST = 'KUBE-PORTALS-HOST';
export const NODEPORT_CONTAINER = 'KUBE-NODEPORT-CONTAINER';
export const NODEPORT_HOST = 'KUBE-NODEPORT-HOST';
export const NODEPORT_NON_LOCAL = 'KUBE-NODEPORT-NON-LOCAL';

export const PORTAL_COMMENT = 'handle ClusterIPs; NOTE: this must be before the NodePort rules';
export const NODEPORT_COMMENT = 'handle service NodePorts; NOTE: this must be the last rule in the chain';
export const NON_LOCAL_COMMENT = 'Ensure that non-local NodePort traffic can flow';

/** iptablesInit's jumps: [table, built-in chain, rule text], in each chain's final order. */
export const JUMP_RULES: ['nat' | 'filter', string, string][] = [
  ['nat', 'PREROUTING', `-m comment --comment "${PORTAL_COMMENT}" -j ${PORTALS_CONTAINER}`],
  ['nat', 'PREROUTING', `-m addrtype --dst-type LOCAL -m comment --comment "${NODEPORT_COMMENT}" -j ${NODEPORT_CONTAINER}`],
  ['nat', 'OUTPUT', `-m comment --comment "${PORTAL_COMMENT}" -j ${PORTALS_HOST}`],
  ['nat', 'OUTPUT', `-m addrtype --dst-type LOCAL -m comment --comment "${NODEPORT_COMMENT}" -j ${NODEPORT_HOST}`],
  ['filter', 'INPUT', `-m comment --comment "${NON_LOCAL_COMMENT}" -j ${NODEPORT_NON_LOCAL}`],
];

/** One portal rule: its iptables-save text. */
export interface PortalRule {
  text: string;
  /** The parsed rule, made once: a portal's rules outlive many syncs (see PortalChains). */
  parsed?: Rule;
}

/** The rules one service port owns, per chain, in the order openPortal appends them. */
export interface PortalRules {
  container: PortalRule[];
  host: PortalRule[];
  nodeContainer: PortalRule[];
  nodeHost: PortalRule[];
  nonLocal: PortalRule[];
}

export function portalRules(sp: ServicePortInfo, proxyPort: number, hostIP: number): PortalRules {
  const p = sp.protocol.toLowerCase();
  const common = (dst: number | null, port: number) =>
    `${dst === null ? '' : `-d ${formatIPv4(dst)}/32 `}-p ${p} -m comment --comment "${sp.name}" -m ${p} --dport ${port}`;
  const redirect = `-j REDIRECT --to-ports ${proxyPort}`;
  const dnat = `-j DNAT --to-destination ${formatIPv4(hostIP)}:${proxyPort}`;
  const r: PortalRules = { container: [], host: [], nodeContainer: [], nodeHost: [], nonLocal: [] };
  // ClusterIP and load-balancer ingress IPs: one rule for containers, one for the host.
  const portal = (ip: number) => {
    r.container.push({ text: `${common(ip, sp.port)} ${redirect}` });
    r.host.push({ text: `${common(ip, sp.port)} ${dnat}` });
  };
  portal(sp.clusterIP);
  // External IPs: from off the machine (not bridged), or to an external IP that is local.
  for (const ip of sp.externalIPs) {
    r.container.push({ text: `${common(ip, sp.port)} -m physdev ! --physdev-is-in ${redirect}` });
    r.container.push({ text: `${common(ip, sp.port)} -m addrtype --dst-type LOCAL ${redirect}` });
    r.host.push({ text: `${common(ip, sp.port)} -m addrtype --dst-type LOCAL ${dnat}` });
  }
  for (const ip of sp.loadBalancerVIPs) portal(ip);
  if (sp.nodePort !== 0) {
    r.nodeContainer.push({ text: `${common(null, sp.nodePort)} ${redirect}` });
    r.nodeHost.push({ text: `${common(null, sp.nodePort)} ${dnat}` });
    // Accepts the redirected traffic to the proxy port in filter INPUT.
    r.nonLocal.push({ text: `${common(null, proxyPort)} -m state --state NEW -j ACCEPT` });
  }
  return r;
}

export function ruleCount(r: PortalRules): number {
  return r.container.length + r.host.length + r.nodeContainer.length + r.nodeHost.length + r.nonLocal.length;
}
