// The cluster model: Kubernetes objects as the API has them, plus the indexes the data planes need.
import { type ClusterConfig, DEFAULT_CONFIG } from './config.ts';
import type { EndpointSlice, Namespace, Node, Service } from './k8s-types.ts';
import { SERVICE_NAME_LABEL } from './k8s-types.ts';

/** A pod as far as service networking cares: its IP and where it runs. */
export interface Pod {
  namespace: string;
  name: string;
  ip: string;
  nodeName?: string;
  hostname?: string;
}

export interface Cluster {
  config: ClusterConfig;
  nodes: Node[];
  namespaces: Namespace[];
  services: Service[];
  endpointSlices: EndpointSlice[];
  /** Pods the dump names (Pod objects, or else the targets of EndpointSlice endpoints). */
  pods: Pod[];
}

export function emptyCluster(config: ClusterConfig = DEFAULT_CONFIG): Cluster {
  return { config, nodes: [], namespaces: [], services: [], endpointSlices: [], pods: [] };
}

export const serviceKey = (namespace: string | undefined, name: string): string => `${namespace ?? 'default'}/${name}`;

/** EndpointSlices grouped by the Service they belong to (via the kubernetes.io/service-name label). */
export function slicesByService(cluster: Cluster): Map<string, EndpointSlice[]> {
  const out = new Map<string, EndpointSlice[]>();
  for (const slice of cluster.endpointSlices) {
    const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    const key = serviceKey(slice.metadata.namespace, svc);
    let list = out.get(key);
    if (!list) out.set(key, (list = []));
    list.push(slice);
  }
  return out;
}

/** Node InternalIP (first one), as kube-proxy takes the node IP. */
export function nodeInternalIP(node: Node): string | undefined {
  return node.status.addresses?.find((a) => a.type === 'InternalIP')?.address;
}

/** Every address the node owns according to its status (what addrtype LOCAL matches, besides 127.0.0.1). */
export function nodeAddresses(node: Node): string[] {
  return (node.status.addresses ?? []).filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP').map((a) => a.address);
}

/** Pods derived from EndpointSlice targets when the dump has no Pod objects. */
export function podsFromSlices(slices: EndpointSlice[]): Pod[] {
  const seen = new Set<string>();
  const pods: Pod[] = [];
  for (const slice of slices) {
    for (const ep of slice.endpoints ?? []) {
      const ref = ep.targetRef;
      if (!ref || ref.kind !== 'Pod' || !ref.name) continue;
      const ns = ref.namespace ?? slice.metadata.namespace ?? 'default';
      const key = `${ns}/${ref.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      pods.push({ namespace: ns, name: ref.name, ip: ep.addresses[0], nodeName: ep.nodeName, hostname: ep.hostname });
    }
  }
  return pods;
}
