// Where an address lives, as the pod network routes it: pod IPs by the nodes' podCIDRs (the
// routes flannel, Calico or any CNI installs), node addresses by the Node objects, service and
// load-balancer addresses nowhere (only the proxy's rules know them), everything else outside.
import type { Cluster } from '../cluster/model.ts';
import { checkConfig } from '../cluster/config.ts';
import { viewOf } from '../proxy/node-view.ts';
import { type Cidr, cidrContains, tryParseCidr } from '../util/ipv4.ts';
import { InputError } from '../util/errors.ts';

export interface NodeInfo {
  name: string;
  index: number;
  /** kube-proxy's node IP: the first InternalIP. MASQUERADE uses it here (see docs/journey.md). */
  ip: number;
  addresses: number[];
  podCIDR: Cidr | null;
}

export type Location =
  | { kind: 'pod'; node: NodeInfo }
  | { kind: 'host'; node: NodeInfo }
  | { kind: 'external' }
  /** A service ClusterIP or load-balancer IP no rule translated: no route knows it. */
  | { kind: 'blackhole' };

const EXTERNAL: Location = { kind: 'external' };
const BLACKHOLE: Location = { kind: 'blackhole' };

export class Topology {
  readonly nodes: NodeInfo[];
  private readonly byName = new Map<string, NodeInfo>();
  private readonly byAddress = new Map<number, NodeInfo>();
  private readonly hostLocations = new Map<number, Location>();
  private readonly podLocations: Location[];
  private readonly serviceCIDR: Cidr;
  private readonly loadBalancerCIDR: Cidr;

  constructor(cluster: Cluster) {
    if (cluster.nodes.length === 0) throw new InputError('the cluster has no nodes: a packet journey needs at least one');
    const cidrs = checkConfig(cluster.config);
    this.serviceCIDR = cidrs.service;
    this.loadBalancerCIDR = cidrs.loadBalancer;
    this.nodes = cluster.nodes.map((n, index) => {
      const view = viewOf(n);
      const podCIDR = n.spec.podCIDR ?? n.spec.podCIDRs?.[0];
      const info: NodeInfo = {
        name: view.name,
        index,
        ip: view.primaryIP,
        addresses: view.addresses,
        podCIDR: podCIDR ? tryParseCidr(podCIDR) : null,
      };
      return info;
    });
    for (const n of this.nodes) {
      this.byName.set(n.name, n);
      for (const a of n.addresses) {
        if (!this.byAddress.has(a)) this.byAddress.set(a, n);
        this.hostLocations.set(a, { kind: 'host', node: n });
      }
    }
    this.podLocations = this.nodes.map((node) => ({ kind: 'pod', node }));
  }

  node(name: string): NodeInfo {
    const n = this.byName.get(name);
    if (!n)
      throw new InputError(
        `node not in the cluster (nodes: ${this.nodes
          .slice(0, 5)
          .map((x) => x.name)
          .join(', ')}${this.nodes.length > 5 ? ', ...' : ''})`,
        undefined,
        'node',
        name,
      );
    return n;
  }

  hasNode(name: string): boolean {
    return this.byName.has(name);
  }

  /** The node whose podCIDR holds `ip`, or undefined. */
  podNode(ip: number): NodeInfo | undefined {
    for (const n of this.nodes) if (n.podCIDR && cidrContains(n.podCIDR, ip)) return n;
    return undefined;
  }

  locate(ip: number): Location {
    const host = this.hostLocations.get(ip);
    if (host) return host;
    const pod = this.podNode(ip);
    if (pod) return this.podLocations[pod.index];
    if (cidrContains(this.serviceCIDR, ip) || cidrContains(this.loadBalancerCIDR, ip)) return BLACKHOLE;
    return EXTERNAL;
  }
}
