// The settings syncProxyRules depends on, from the KubeProxyConfiguration, the node and the
// cluster: the same resolution as iptables mode (NewNodePortAddresses, NewDetectLocalByCIDR),
// the masquerade bit of the `nftables:` section, and the service CIDRs kube-proxy learns from
// ServiceCIDR objects (OnServiceCIDRsChanged), here the cluster's serviceCIDR.
import type { Cluster } from '../../cluster/model.ts';
import { InputError } from '../../util/errors.ts';
import { type Cidr, formatCidr, tryParseCidr } from '../../util/ipv4.ts';
import type { KubeProxyConfiguration } from '../config.ts';
import { resolveOptions } from '../iptables/options.ts';
import { DEFAULT_NFTABLES_SECTION, type NftablesSection } from './config.ts';
import { type NodeView, nodeView } from '../node-view.ts';

export interface NftOptions {
  node: NodeView;
  /** 1 << masqueradeBit (0x4000 by default). */
  masqueradeMark: number;
  masqueradeAll: boolean;
  /** Local-traffic detector (clusterCIDR), or null for none. */
  localCIDR: Cidr | null;
  /** nodePortAddresses empty (or a /0): NodePorts on every local address but 127.0.0.0/8. */
  nodePortMatchAll: boolean;
  /** Otherwise the node's addresses inside nodePortAddresses; loopback is skipped (no localhost NodePorts). */
  nodePortIPs: number[];
  /** The IPv4 service CIDRs (cluster-ips-check drops traffic to unallocated ClusterIPs in them). */
  serviceCIDRs: Cidr[];
}

export function resolveNftOptions(cluster: Cluster, config: KubeProxyConfiguration, file?: string): NftOptions {
  const node = nodeView(cluster, config.hostnameOverride, file);
  const base = resolveOptions(config, node, {}, file);
  const serviceCIDRs: Cidr[] = [];
  for (const text of cluster.config.serviceCIDR.split(',').map((s) => s.trim())) {
    if (text === '' || text.includes(':')) continue;
    const c = tryParseCidr(text, false);
    if (!c) throw new InputError('not a valid CIDR', undefined, 'serviceCIDR', cluster.config.serviceCIDR);
    serviceCIDRs.push(c);
  }
  // masqueradeBit and masqueradeAll come from the `nftables:` section in this mode (config.ts).
  const section = (config.sections.nftables as NftablesSection | undefined) ?? DEFAULT_NFTABLES_SECTION;
  return {
    node,
    masqueradeMark: 2 ** section.masqueradeBit,
    masqueradeAll: section.masqueradeAll ?? base.masqueradeAll,
    localCIDR: base.localCIDR ? tryParseCidr(base.localCIDR, false) : null,
    nodePortMatchAll: base.nodePortMatchAll,
    nodePortIPs: base.nodePortIPs.filter((ip) => ip >>> 24 !== 127),
    serviceCIDRs,
  };
}

/** Options that change what the table's fixed part looks like (a change forces a full sync). */
export function optionsKey(o: NftOptions): string {
  const cidr = (c: Cidr | null) => (c ? formatCidr(c) : '');
  return [
    o.masqueradeMark,
    o.masqueradeAll,
    cidr(o.localCIDR),
    o.nodePortMatchAll,
    o.nodePortIPs.join(','),
    o.serviceCIDRs.map(cidr).join(','),
  ].join('|');
}
