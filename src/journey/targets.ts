// What the simulated clients are and what they connect to: pods on every node (the cluster's
// own pods, so a pod can land on itself: hairpin), external clients, and every service port as
// a pod reaches it (ClusterIP, or by name, which also reaches headless services) or as the
// outside reaches it (NodePort on any node, load-balancer IP on a node the balancer picks).
import { buildServiceMap } from '../proxy/service-map.ts';
import { cidrSize, formatIPv4, parseIPv4, tryParseIPv4 } from '../util/ipv4.ts';
import { InputError } from '../util/errors.ts';
import type { Topology, NodeInfo } from './topology.ts';
import type { Cluster } from '../cluster/model.ts';
import { type ProtoNumber, serviceProtocolNumber } from '../util/proto.ts';

export interface PodTarget {
  /** "ns/name:port". */
  label: string;
  namespace: string;
  name: string;
  /** ClusterIP (0 for a headless service, which only a name reaches). */
  ip: number;
  port: number;
  proto: ProtoNumber;
}

export interface ExternalTarget {
  label: string;
  kind: 'nodeport' | 'loadbalancer';
  /** Load-balancer IP (0 for a NodePort: the client uses the node's own address). */
  ip: number;
  port: number;
  proto: ProtoNumber;
  /** Nodes the load balancer sends to (externalTrafficPolicy Local: those whose health check passes). */
  nodes: NodeInfo[];
}

export interface ClientPod {
  ip: number;
  namespace: string;
  node: NodeInfo;
}

export interface Workload {
  /** Per node (by index), the pods that can be clients. */
  clients: ClientPod[][];
  /** Nodes with at least one client. */
  clientNodes: NodeInfo[];
  byAddress: PodTarget[];
  byName: PodTarget[];
  external: ExternalTarget[];
}

/** 203.0.113.0/24 (RFC 5737 TEST-NET-3): where external clients come from. */
export const EXTERNAL_CLIENT_BASE = parseIPv4('203.0.113.1');
export const EXTERNAL_CLIENTS = 254;

/**
 * Clients and targets. `clientNodes` limits the nodes clients run on and external traffic enters
 * (default: every node), so a large cluster needs data planes for only a few nodes.
 */
export function buildWorkload(cluster: Cluster, topo: Topology, clientNodes: readonly NodeInfo[] = topo.nodes): Workload {
  const allowed = new Set(clientNodes);
  const clients: ClientPod[][] = topo.nodes.map(() => []);
  for (const pod of cluster.pods) {
    if (pod.namespace === 'kube-system') continue; // system components are not the workload
    const ip = tryParseIPv4(pod.ip);
    if (ip === null) continue;
    const node = topo.podNode(ip);
    if (node && allowed.has(node)) clients[node.index].push({ ip, namespace: pod.namespace, node });
  }
  // A node running none of the cluster's pods still gets a client pod, at the top of its podCIDR.
  for (const node of clientNodes) {
    if (clients[node.index].length === 0 && node.podCIDR && node.podCIDR.prefix <= 30) {
      clients[node.index].push({ ip: node.podCIDR.addr + cidrSize(node.podCIDR) - 2, namespace: 'default', node });
    }
  }
  const withClients = topo.nodes.filter((n) => clients[n.index].length > 0);
  if (withClients.length === 0) throw new InputError('no node has a podCIDR, so there is nowhere to put client pods', undefined, 'nodes');

  const byAddress: PodTarget[] = [];
  const byName: PodTarget[] = [];
  const external: ExternalTarget[] = [];
  for (const sp of buildServiceMap(cluster, topo.nodes[0].name)) {
    if (sp.namespace === 'kube-system') continue;
    const label = `${sp.namespace}/${sp.serviceName}:${sp.port}`;
    const t: PodTarget = { label, namespace: sp.namespace, name: sp.serviceName, ip: sp.clusterIP, port: sp.port, proto: sp.protoNumber };
    byAddress.push(t);
    byName.push(t);
    if (!sp.externallyAccessible) continue;
    const ingress = topo.nodes.filter((n) => allowed.has(n));
    let nodes = ingress;
    if (sp.externalPolicyLocal) {
      const local = new Set(sp.endpoints.filter((e) => e.ready && e.nodeName).map((e) => e.nodeName));
      const healthy = ingress.filter((n) => local.has(n.name));
      if (healthy.length > 0) nodes = healthy; // no healthy node: balancers fail open
    }
    if (sp.nodePort > 0)
      external.push({
        label: `${label} (NodePort ${sp.nodePort})`,
        kind: 'nodeport',
        ip: 0,
        port: sp.nodePort,
        proto: sp.protoNumber,
        nodes: ingress,
      });
    for (const vip of sp.loadBalancerVIPs)
      external.push({
        label: `${label} (LoadBalancer ${formatIPv4(vip)})`,
        kind: 'loadbalancer',
        ip: vip,
        port: sp.port,
        proto: sp.protoNumber,
        nodes,
      });
  }
  // Headless services have no ClusterIP: only their name (A records of the pods) reaches them.
  for (const svc of cluster.services) {
    if (svc.spec.clusterIP !== 'None' || svc.spec.type === 'ExternalName') continue;
    const ns = svc.metadata.namespace ?? 'default';
    if (ns === 'kube-system') continue;
    for (const p of svc.spec.ports ?? []) {
      const port = typeof p.targetPort === 'number' ? p.targetPort : p.port;
      byName.push({
        label: `${ns}/${svc.metadata.name}:${p.port} (headless)`,
        namespace: ns,
        name: svc.metadata.name,
        ip: 0,
        port,
        proto: serviceProtocolNumber(p.protocol ?? 'TCP'),
      });
    }
  }
  return { clients, clientNodes: withClients, byAddress, byName, external };
}
