// kube-proxy's view of the cluster for one node: every proxied service port with its endpoints
// (ServicePortMap + EndpointsMap in pkg/proxy), shared by every proxy mode.
//
//   const node = nodeView(cluster, 'node-1');
//   for (const svc of buildServiceMap(cluster, node)) {
//     const { clusterEndpoints, localEndpoints, allReachable, hasAnyEndpoints } =
//       categorizeEndpoints(svc, node.name, node.zone);
//   }
//
// Order: services in the cluster's order, ports in spec order. (kube-proxy iterates a Go map,
// so its order is random; a fixed order keeps our rule positions reproducible.)
import type { Cluster } from '../cluster/model.ts';
import { endpointsByServicePort, portKey } from './endpoints.ts';
import { type NodeView, nodeView } from './node-view.ts';
import { servicePorts, type ServicePortInfo } from './service-port.ts';

export { categorizeEndpoints, type CategorizedEndpoints } from './topology.ts';
export { nodeView, viewOf, LOOPBACK_IP, type NodeView } from './node-view.ts';
export {
  servicePorts,
  servicePortName,
  shouldSkipService,
  ipv4ClusterIP,
  DEFAULT_STICKY_SECONDS,
  type ServicePortInfo,
  type EndpointInfo,
} from './service-port.ts';

/**
 * Every proxied service port of the cluster, with its endpoints, for the node `node` (a name
 * or a NodeView; a name not in the cluster is an InputError). Headless and ExternalName
 * services and services without an IPv4 cluster IP are skipped, as kube-proxy skips them.
 */
export function buildServiceMap(cluster: Cluster, node: string | NodeView): ServicePortInfo[] {
  const view = typeof node === 'string' ? nodeView(cluster, node) : node;
  const endpoints = endpointsByServicePort(cluster.endpointSlices, view.name);
  const out: ServicePortInfo[] = [];
  for (const svc of cluster.services) {
    for (const sp of servicePorts(svc)) {
      sp.endpoints = endpoints.get(portKey(sp.namespace, sp.serviceName, sp.portName, sp.protocol)) ?? [];
      out.push(sp);
    }
  }
  return out;
}
