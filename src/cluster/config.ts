// Cluster-wide settings, with the upstream defaults (kubeadm / kube-apiserver) unless noted.
import { type Cidr, cidrsOverlap, tryParseCidr } from '../util/ipv4.ts';
import { InputError } from '../util/errors.ts';
import { isDns1123Subdomain } from '../dns/names.ts';

export interface ClusterConfig {
  /** Pod network; 10.244.0.0/16 is the flannel/kubeadm-docs default. */
  clusterCIDR: string;
  /** --service-cluster-ip-range; kubeadm defaults to 10.96.0.0/12. */
  serviceCIDR: string;
  /** kube-controller-manager --node-cidr-mask-size (IPv4 default 24). */
  nodeCIDRMaskSize: number;
  /** --service-node-port-range, default 30000-32767. */
  nodePortRange: { min: number; max: number };
  /** kubelet --cluster-domain. */
  clusterDomain: string;
  /** Where node InternalIPs come from (not a Kubernetes setting: the machines' own network). */
  nodeNetworkCIDR: string;
  /** Where LoadBalancer ingress IPs come from (198.18.0.0/15 is the RFC 2544 benchmarking block). */
  loadBalancerCIDR: string;
  /** kubelet maxPods default. */
  maxPodsPerNode: number;
}

export const DEFAULT_CONFIG: ClusterConfig = {
  clusterCIDR: '10.244.0.0/16',
  serviceCIDR: '10.96.0.0/12',
  nodeCIDRMaskSize: 24,
  nodePortRange: { min: 30000, max: 32767 },
  clusterDomain: 'cluster.local',
  nodeNetworkCIDR: '192.168.0.0/16',
  loadBalancerCIDR: '198.18.0.0/15',
  maxPodsPerNode: 110,
};

export interface ParsedConfig {
  cluster: Cidr;
  service: Cidr;
  nodeNetwork: Cidr;
  loadBalancer: Cidr;
}

/** Checks the config and returns its CIDRs parsed; `where` names the file for error messages. */
export function checkConfig(c: ClusterConfig, where?: string, prefix = 'config'): ParsedConfig {
  const cidr = (field: keyof ClusterConfig): Cidr => {
    const value = c[field] as string;
    const parsed = tryParseCidr(value);
    if (!parsed) throw new InputError('not a valid IPv4 CIDR (a.b.c.d/n, host bits zero)', where, `${prefix}.${field}`, value);
    return parsed;
  };
  const cluster = cidr('clusterCIDR');
  const service = cidr('serviceCIDR');
  const nodeNetwork = cidr('nodeNetworkCIDR');
  const loadBalancer = cidr('loadBalancerCIDR');
  const named: [string, Cidr][] = [
    ['clusterCIDR', cluster],
    ['serviceCIDR', service],
    ['nodeNetworkCIDR', nodeNetwork],
    ['loadBalancerCIDR', loadBalancer],
  ];
  for (let i = 0; i < named.length; i++) {
    for (let j = i + 1; j < named.length; j++) {
      if (cidrsOverlap(named[i][1], named[j][1])) {
        throw new InputError(
          `${named[i][0]} ${c[named[i][0] as keyof ClusterConfig]} overlaps ${named[j][0]} ${c[named[j][0] as keyof ClusterConfig]}; they must be disjoint`,
          where,
          `${prefix}.${named[j][0]}`,
        );
      }
    }
  }
  if (!Number.isInteger(c.nodeCIDRMaskSize) || c.nodeCIDRMaskSize < cluster.prefix || c.nodeCIDRMaskSize > 30) {
    throw new InputError(
      `must be an integer between the cluster CIDR prefix (${cluster.prefix}) and 30`,
      where,
      `${prefix}.nodeCIDRMaskSize`,
      c.nodeCIDRMaskSize,
    );
  }
  const { min, max } = c.nodePortRange;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
    throw new InputError('must be a port range min-max within 1-65535', where, `${prefix}.nodePortRange`, `${min}-${max}`);
  }
  if (!isDns1123Subdomain(c.clusterDomain)) {
    throw new InputError('must be a DNS domain such as cluster.local', where, `${prefix}.clusterDomain`, c.clusterDomain);
  }
  if (!Number.isInteger(c.maxPodsPerNode) || c.maxPodsPerNode < 1) {
    throw new InputError('must be a positive integer', where, `${prefix}.maxPodsPerNode`, c.maxPodsPerNode);
  }
  return { cluster, service, nodeNetwork, loadBalancer };
}

/** Parses "30000-32767". */
export function parsePortRange(text: string, where?: string, field = 'nodePortRange'): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  if (!m) throw new InputError('must look like 30000-32767', where, field, text);
  return { min: Number(m[1]), max: Number(m[2]) };
}
