// What cilium-agent programs for a cluster, one frontend per (address, port, protocol) as
// `cilium-dbg service list` shows them (kubeproxy-free.rst, "Validate the Setup"): for every
// service port its ClusterIP, for a NodePort the 0.0.0.0 surrogate plus one frontend per node
// address (InternalIP/ExternalIP, "NodePort Devices"), each externalIP and each load-balancer
// ingress IP. Backends per scope follow the traffic policies ("Internal Traffic Policy"): the
// external scope serves north-south traffic, the internal scope (a second set of slots, only
// when the two policies differ) east-west traffic.
import type { Cluster } from '../../cluster/model.ts';
import { type Cidr, formatIPv4 } from '../../util/ipv4.ts';
import { buildServiceMap, categorizeEndpoints, type EndpointInfo, type NodeView } from '../service-map.ts';

export const FE_CLUSTER_IP = 0;
export const FE_NODE_PORT = 1;
export const FE_EXTERNAL_IP = 2;
export const FE_LOAD_BALANCER = 3;
export const FE_TYPE_NAMES = ['ClusterIP', 'NodePort', 'ExternalIPs', 'LoadBalancer'] as const;

export interface BackendRef {
  /** "ip:port/PROTO", the backend's identity in Cilium's backend map (one ID per address, port and protocol). */
  key: string;
  addr: number;
  port: number;
  proto: number;
  /** Runs on this node (Cilium finds out from its endpoint map). */
  local: boolean;
}

export interface Frontend {
  /** "ip:port/PROTO". */
  key: string;
  addr: number;
  port: number;
  proto: number;
  type: number;
  /** kube-proxy's "ns/name:port" of the service port. */
  service: string;
  /** The external scope's backends (the only scope unless `int` is set). */
  ext: BackendRef[];
  /** The internal scope's backends when the traffic policies differ (SVC_FLAG_TWO_SCOPES), else null. */
  int: BackendRef[] | null;
  /** ClientIP affinity timeout in seconds, 0 without affinity. */
  affinity: number;
  /** loadBalancerSourceRanges (LoadBalancer frontends only). */
  ranges: Cidr[];
  /** Reached from outside the node (gets a Maglev table when loadBalancer.algorithm=maglev). */
  northSouth: boolean;
  /** Everything that, when changed, makes the agent rewrite the frontend's entries. */
  sig: string;
}

export interface DesiredState {
  frontends: Frontend[];
  /** healthCheckNodePorts served by the agent's own health server. */
  healthCheckPorts: number[];
}

export function desiredFrontends(cluster: Cluster, node: NodeView, lbExternalClusterIP: boolean): DesiredState {
  const frontends: Frontend[] = [];
  const seen = new Set<string>();
  const healthCheckPorts: number[] = [];
  for (const sp of buildServiceMap(cluster, node)) {
    const cat = categorizeEndpoints(sp, node.name, node.zone);
    const refs = (eps: EndpointInfo[] | null): BackendRef[] =>
      (eps ?? []).map((e) => ({ key: `${e.key}/${sp.protocol}`, addr: e.ip, port: e.port, proto: sp.protoNumber, local: e.isLocal }));
    const internal = refs(sp.internalPolicyLocal ? cat.localEndpoints : cat.clusterEndpoints);
    const external = refs(sp.externalPolicyLocal ? cat.localEndpoints : cat.clusterEndpoints);
    const twoScopes = sp.externalPolicyLocal !== sp.internalPolicyLocal;
    const add = (addr: number, port: number, type: number, ranges: Cidr[] = []) => {
      const key = `${formatIPv4(addr)}:${port}/${sp.protocol}`;
      if (seen.has(key)) return; // a second service on the same frontend is not programmed
      seen.add(key);
      const cip = type === FE_CLUSTER_IP;
      const ext = cip ? internal : external;
      const int = !cip && twoScopes ? internal : null;
      const affinity = sp.stickyMaxAgeSeconds;
      const sig = [
        type,
        affinity,
        ext.map((b) => `${b.key}${b.local ? 'L' : ''}`).join(','),
        int ? int.map((b) => b.key).join(',') : '-',
        ranges.map((r) => `${r.addr}/${r.prefix}`).join(','),
      ].join('|');
      frontends.push({
        key,
        addr,
        port,
        proto: sp.protoNumber,
        type,
        service: sp.name,
        ext,
        int,
        affinity,
        ranges,
        northSouth: !cip || lbExternalClusterIP,
        sig,
      });
    };
    add(sp.clusterIP, sp.port, FE_CLUSTER_IP);
    if (sp.nodePort) {
      add(0, sp.nodePort, FE_NODE_PORT);
      for (const a of node.addresses) add(a, sp.nodePort, FE_NODE_PORT);
    }
    for (const ip of sp.externalIPs) add(ip, sp.port, FE_EXTERNAL_IP);
    for (const ip of sp.loadBalancerVIPs) add(ip, sp.port, FE_LOAD_BALANCER, sp.loadBalancerSourceRanges);
    if (sp.healthCheckNodePort) healthCheckPorts.push(sp.healthCheckNodePort);
  }
  return { frontends, healthCheckPorts };
}

/** Service-map entries a frontend takes: its master entry and one per backend slot, per scope. */
export function frontendEntries(fe: Frontend): number {
  return 1 + fe.ext.length + (fe.int ? 1 + fe.int.length : 0);
}
