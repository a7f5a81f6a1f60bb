// Which endpoints a service port uses on this node (pkg/proxy/topology.go, CategorizeEndpoints).
// "Usable" means ready; only when no ready endpoint exists (separately for the Cluster and the
// Local list) do serving+terminating endpoints take their place.
import type { EndpointInfo, ServicePortInfo } from './service-port.ts';

export interface CategorizedEndpoints {
  /** Endpoints for "Cluster" traffic policy (after topology hints); null if the port never uses them. */
  clusterEndpoints: EndpointInfo[] | null;
  /** This node's endpoints for "Local" traffic policy; null if the port never uses them. */
  localEndpoints: EndpointInfo[] | null;
  /** Union of the two: every endpoint this node can send to (each needs a KUBE-SEP chain). */
  allReachable: EndpointInfo[];
  /** Whether any usable endpoint exists anywhere in the cluster (else REJECT). */
  hasAnyEndpoints: boolean;
}

/** @param nodeZone the node's topology.kubernetes.io/zone label ('' when it has none). */
export function categorizeEndpoints(svc: ServicePortInfo, nodeName: string, nodeZone = ''): CategorizedEndpoints {
  const eps = svc.endpoints;
  const res: CategorizedEndpoints = { clusterEndpoints: null, localEndpoints: null, allReachable: [], hasAnyEndpoints: false };
  if (eps.length === 0) return res;
  let topologyMode = '';
  if (svc.usesClusterEndpoints) {
    topologyMode = topologyModeFromHints(eps, nodeZone);
    let cluster = eps.filter((ep) => ep.ready && availableForTopology(ep, topologyMode, nodeZone));
    // No ready endpoint anywhere: fall back to serving terminating ones.
    if (cluster.length === 0) cluster = eps.filter((ep) => ep.serving && ep.terminating);
    if (cluster.length > 0) res.hasAnyEndpoints = true;
    res.clusterEndpoints = cluster;
  }
  if (!svc.usesLocalEndpoints) {
    res.allReachable = res.clusterEndpoints ?? [];
    return res;
  }
  let localReady = false;
  let localServingTerminating = false;
  for (const ep of eps) {
    if (ep.ready) {
      res.hasAnyEndpoints = true;
      if (ep.isLocal) localReady = true;
    } else if (ep.serving && ep.terminating) {
      res.hasAnyEndpoints = true;
      if (ep.isLocal) localServingTerminating = true;
    }
  }
  let usesTerminating = false;
  if (localReady) res.localEndpoints = eps.filter((ep) => ep.isLocal && ep.ready);
  else if (localServingTerminating) {
    usesTerminating = true;
    res.localEndpoints = eps.filter((ep) => ep.isLocal && ep.serving && ep.terminating);
  } else res.localEndpoints = [];
  // kube-proxy leaves localEndpoints nil when it has none; callers only check the length.
  if (!svc.usesClusterEndpoints) {
    res.allReachable = res.localEndpoints;
    return res;
  }
  const cluster = res.clusterEndpoints ?? [];
  if (topologyMode === '' && !usesTerminating) {
    // Every ready endpoint is in the cluster list, so it contains all local (ready) ones.
    res.allReachable = cluster;
    return res;
  }
  // Merge (kube-proxy merges through a map, in random order; we keep "ip:port" order).
  const merged = new Map<string, EndpointInfo>();
  for (const ep of cluster) merged.set(ep.key, ep);
  for (const ep of res.localEndpoints) merged.set(ep.key, ep);
  res.allReachable = [...merged.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return res;
}

/**
 * "PreferSameZone" when every ready endpoint has zone hints and one is hinted for this
 * node's zone, else "" (no topology). Node hints (PreferSameNode, a newer feature gate) are
 * not modelled.
 */
function topologyModeFromHints(eps: EndpointInfo[], zone: string): string {
  let hasReady = false;
  let allHaveZoneHints = true;
  let hasForZone = false;
  for (const ep of eps) {
    if (!ep.ready) continue;
    hasReady = true;
    if (ep.zoneHints.length === 0) allHaveZoneHints = false;
    else if (ep.zoneHints.includes(zone)) hasForZone = true;
  }
  return hasReady && allHaveZoneHints && hasForZone ? 'PreferSameZone' : '';
}

function availableForTopology(ep: EndpointInfo, mode: string, zone: string): boolean {
  return mode === '' || ep.zoneHints.includes(zone);
}
