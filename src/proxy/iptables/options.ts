// The settings syncProxyRules depends on, resolved once from the KubeProxyConfiguration and
// the node (what kube-proxy's NewProxier / NewNodePortAddresses / NewDetectLocalByCIDR do).
import type { KubeProxyConfiguration } from '../config.ts';
import { LOOPBACK_IP, type NodeView } from '../node-view.ts';
import { type Cidr, cidrContains, formatCidr, tryParseCidr } from '../../util/ipv4.ts';
import { InputError } from '../../util/errors.ts';

/** Host features kube-proxy probes at start-up; defaults are those of kube-proxy's test fake. */
export interface HostFeatures {
  /** nfacct counters exist (adds `-m nfacct` to the INVALID drop and localhost NodePort rules). */
  nfacct: boolean;
  /** iptables supports `MASQUERADE --random-fully`. */
  randomFully: boolean;
  /** sysctl nf_conntrack_tcp_be_liberal is set (then no INVALID drop rule). */
  conntrackTCPLiberal: boolean;
}

export const DEFAULT_HOST_FEATURES: HostFeatures = { nfacct: true, randomFully: false, conntrackTCPLiberal: false };

export interface IptablesOptions extends HostFeatures {
  node: NodeView;
  /** 1 << masqueradeBit, e.g. 0x4000. */
  masqueradeValue: number;
  /** The mark as written in rules: "0x4000". */
  masqueradeMark: string;
  masqueradeAll: boolean;
  /** Local-traffic detector (detect-local-mode ClusterCIDR): the pod CIDR, or null for none. */
  localCIDR: string | null;
  /** iptables.localhostNodePorts, turned off when nodePortAddresses excludes 127.0.0.1. */
  localhostNodePorts: boolean;
  /** nodePortAddresses empty (or 0.0.0.0/0): NodePorts on every local address. */
  nodePortMatchAll: boolean;
  /** Otherwise: the node's addresses inside nodePortAddresses (127.0.0.1 first), in order. */
  nodePortIPs: number[];
}

export function resolveOptions(
  config: KubeProxyConfiguration,
  node: NodeView,
  features: Partial<HostFeatures> = {},
  file?: string,
): IptablesOptions {
  const value = 2 ** config.masqueradeBit;
  const npa = nodePortAddresses(config.nodePortAddresses, node, file);
  return {
    ...DEFAULT_HOST_FEATURES,
    ...features,
    node,
    masqueradeValue: value >>> 0,
    // kube-proxy writes fmt "%#08x" (0x00004000); iptables-save prints 0x4000, as its tests expect.
    masqueradeMark: `0x${(value >>> 0).toString(16)}`,
    masqueradeAll: config.masqueradeAll,
    localCIDR: localDetector(config.clusterCIDR, file),
    localhostNodePorts: config.localhostNodePorts && npa.containsLoopback,
    nodePortMatchAll: npa.matchAll,
    nodePortIPs: npa.matchAll ? [] : candidateIPs(node).filter((ip) => npa.cidrs.some((c) => cidrContains(c, ip))),
  };
}

/** clusterCIDR may list one CIDR per family ("10.0.0.0/8,fd00::/64"); the IPv4 one is used. */
function localDetector(clusterCIDR: string, file?: string): string | null {
  const parts = clusterCIDR
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const p of parts) {
    if (p.includes(':')) continue;
    const c = tryParseCidr(p, false);
    if (!c) throw new InputError('not a valid CIDR', file, 'clusterCIDR', clusterCIDR);
    return formatCidr(c);
  }
  return null;
}

interface NodePortAddresses {
  matchAll: boolean;
  cidrs: Cidr[];
  containsLoopback: boolean;
}

/** proxyutil.NewNodePortAddresses for IPv4 ("primary" means the node's own IPs). */
function nodePortAddresses(list: string[], node: NodeView, file?: string): NodePortAddresses {
  const cidrs: Cidr[] = [];
  list.forEach((text, i) => {
    const t = text.trim();
    if (t === 'primary') {
      if (node.primaryIP !== 0) cidrs.push({ addr: node.primaryIP, mask: 0xffffffff, prefix: 32 });
      return;
    }
    if (t.includes(':')) return; // another IP family
    const c = tryParseCidr(t, false);
    if (!c || !t.includes('/'))
      throw new InputError('not a valid CIDR (expected a.b.c.d/n or "primary")', file, `nodePortAddresses[${i}]`, text);
    cidrs.push(c);
  });
  const matchAll = cidrs.length === 0 || cidrs.some((c) => c.prefix === 0);
  const containsLoopback = matchAll || cidrs.some((c) => cidrContains(c, 0x7f000000) || c.addr >>> 24 === 127);
  return { matchAll, cidrs, containsLoopback };
}

/** Addresses GetNodeIPs can return: the loopback address, then the node's addresses. */
function candidateIPs(node: NodeView): number[] {
  return [LOOPBACK_IP, ...node.addresses.filter((ip) => ip !== LOOPBACK_IP)];
}
