// What the IPVS proxier's sync depends on, resolved once from the KubeProxyConfiguration and
// the node (kube-proxy 1.25 NewProxier, GetNodeAddresses, NewDetectLocalByCIDR).
import type { Cluster } from '../../cluster/model.ts';
import { getScheduler } from '../../ipvs/index.ts';
import type { SchedulerName } from '../../ipvs/index.ts';
import { type Cidr, cidrContains, tryParseCidr } from '../../util/ipv4.ts';
import { InputError } from '../../util/errors.ts';
import type { KubeProxyConfiguration } from '../config.ts';
import { nodeView, type NodeView } from '../service-map.ts';

export interface IpvsModeOptions {
  /** log2 of the IPVS service table's buckets (the kernel's IP_VS_SVC_TAB_BITS, 8). */
  tableBits?: number;
  /** Stand-in for the kernel's per-netns hash salt (random per boot in the kernel). */
  hashSalt?: number;
  /** iptables supports MASQUERADE --random-fully. */
  randomFully?: boolean;
  /**
   * maxelem of kube-proxy's hash ipsets (65536, fixed in kube-proxy; kubernetes PR #129390
   * proposed --ipvs-ipset-maxelements and was not merged): for experiments and tests.
   */
  ipsetMaxElem?: number;
}

export interface IpvsOptions {
  node: NodeView;
  /** The node's pod CIDR: packets from it arrive through the CNI bridge (physdev). */
  podCIDR: Cidr | null;
  scheduler: SchedulerName;
  masqueradeAll: boolean;
  masqueradeValue: number;
  /** As iptables-save prints it: "0x4000". */
  masqueradeMark: string;
  /** Local-traffic detector (detect-local-mode ClusterCIDR), null when clusterCIDR is empty. */
  localCIDR: Cidr | null;
  localCIDRText: string;
  /** Addresses that get NodePort virtual servers. */
  nodePortIPs: number[];
  tableBits: number;
  hashSalt: number;
  randomFully: boolean;
}

export function resolveIpvsOptions(cluster: Cluster, config: KubeProxyConfiguration, mode: IpvsModeOptions = {}): IpvsOptions {
  const node = nodeView(cluster, config.hostnameOverride);
  getScheduler(config.ipvsScheduler); // InputError for an unknown scheduler
  const value = 2 ** config.masqueradeBit;
  const local = localDetector(config.clusterCIDR);
  const spec = cluster.nodes.find((n) => n.metadata.name === node.name)?.spec;
  const podText = spec?.podCIDRs?.[0] ?? spec?.podCIDR;
  return {
    node,
    podCIDR: podText ? tryParseCidr(podText, false) : null,
    scheduler: config.ipvsScheduler,
    masqueradeAll: config.masqueradeAll,
    masqueradeValue: value >>> 0,
    masqueradeMark: `0x${(value >>> 0).toString(16)}`,
    localCIDR: local?.cidr ?? null,
    localCIDRText: local?.text ?? '',
    nodePortIPs: nodePortIPs(config.nodePortAddresses, node),
    tableBits: mode.tableBits ?? 8,
    hashSalt: mode.hashSalt ?? 0,
    randomFully: mode.randomFully ?? false,
  };
}

function localDetector(clusterCIDR: string): { cidr: Cidr; text: string } | null {
  for (const p of clusterCIDR
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    if (p.includes(':')) continue;
    const c = tryParseCidr(p, false);
    if (!c) throw new InputError('not a valid CIDR', undefined, 'clusterCIDR', clusterCIDR);
    return { cidr: c, text: p };
  }
  return null;
}

/**
 * utilproxy.GetNodeAddresses + the loop in syncProxyRules: with no nodePortAddresses (or a
 * 0.0.0.0/0) every local address except loopback and kube-ipvs0's (NodeIPs), else the node
 * addresses inside the CIDRs, loopback skipped.
 */
function nodePortIPs(list: string[], node: NodeView): number[] {
  const cidrs: Cidr[] = [];
  list.forEach((text, i) => {
    const t = text.trim();
    if (t.includes(':')) return;
    const c = tryParseCidr(t, false);
    if (!c || !t.includes('/')) throw new InputError('not a valid CIDR', undefined, `nodePortAddresses[${i}]`, text);
    cidrs.push(c);
  });
  const all = cidrs.length === 0 || cidrs.some((c) => c.prefix === 0);
  return node.addresses.filter((ip) => ip >>> 24 !== 127 && (all || cidrs.some((c) => cidrContains(c, ip))));
}
