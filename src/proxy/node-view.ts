// The node a proxier runs on, as kube-proxy sees it: its name, its labels (for topology
// hints), its primary IP and every address that `-m addrtype --dst-type LOCAL` matches.
import type { Cluster } from '../cluster/model.ts';
import type { Node } from '../cluster/k8s-types.ts';
import { type Cidr, cidrContains, tryParseIPv4 } from '../util/ipv4.ts';
import { InputError } from '../util/errors.ts';

export const LOOPBACK_IP = 0x7f000001; // 127.0.0.1

export interface NodeView {
  name: string;
  labels: Record<string, string>;
  /** topology.kubernetes.io/zone label ('' when absent): used by topology-aware hints. */
  zone: string;
  /** kube-proxy's nodeIP: the first InternalIP (else first address), 0 when the node has none. */
  primaryIP: number;
  /** InternalIP and ExternalIP addresses from status.addresses, in order, without 127.0.0.1. */
  addresses: number[];
  /** `addresses` plus 127.0.0.1: what counts as a local address of the node. */
  localIPs: Set<number>;
}

/** The node `name` of the cluster; InputError when it is missing. */
export function nodeView(cluster: Cluster, name: string, file?: string): NodeView {
  if (!name) {
    throw new InputError(
      `hostnameOverride is empty: name the node whose data plane to build with --node NAME or hostnameOverride (${sampleNames(cluster)})`,
      file,
      'hostnameOverride',
    );
  }
  const node = cluster.nodes.find((n) => n.metadata.name === name);
  if (!node) throw new InputError(`node "${name}" is not in the cluster (${sampleNames(cluster)})`, file, 'hostnameOverride', name);
  return viewOf(node);
}

export function viewOf(node: Node): NodeView {
  const addrs = node.status?.addresses ?? [];
  const addresses: number[] = [];
  let primary = 0;
  for (const a of addrs) {
    if (a.type !== 'InternalIP' && a.type !== 'ExternalIP') continue;
    const ip = tryParseIPv4(a.address);
    if (ip === null) continue;
    if (!addresses.includes(ip)) addresses.push(ip);
    if (a.type === 'InternalIP' && primary === 0) primary = ip;
  }
  if (primary === 0 && addresses.length > 0) primary = addresses[0];
  const labels = node.metadata.labels ?? {};
  return {
    name: node.metadata.name,
    labels,
    zone: labels['topology.kubernetes.io/zone'] ?? '',
    primaryIP: primary,
    addresses,
    localIPs: new Set([...addresses, LOOPBACK_IP]),
  };
}

/** "nodes: a, b, c" (the first five) for error messages. */
export function sampleNames(cluster: Cluster): string {
  const names = cluster.nodes.slice(0, 5).map((n) => n.metadata.name);
  if (names.length === 0) return 'the cluster has no Node objects';
  const more = cluster.nodes.length > names.length ? `, ... ${cluster.nodes.length} in all` : '';
  return `nodes: ${names.join(', ')}${more}`;
}

/**
 * Whether a packet arrived through the node's CNI bridge (what `-m physdev --physdev-is-in`
 * sees): it comes from a pod on this node, i.e. from the network side with a source address in
 * the node's pod CIDR.
 */
export function crossedBridge(p: { src: number }, origin: 'forwarded' | 'local', podCIDR: Cidr | null): boolean {
  return origin === 'forwarded' && podCIDR !== null && cidrContains(podCIDR, p.src >>> 0);
}
