// A short description of a cluster, for `kpsim validate` and run logs.
import type { Cluster } from './model.ts';

export interface ClusterSummary {
  nodes: number;
  namespaces: number;
  services: number;
  servicesByType: Record<string, number>;
  servicePorts: number;
  nodePorts: number;
  endpointSlices: number;
  endpoints: { total: number; ready: number; notReady: number; terminating: number };
  config: { clusterCIDR: string; serviceCIDR: string; nodePortRange: string; clusterDomain: string };
}

export function summarize(cluster: Cluster): ClusterSummary {
  const byType: Record<string, number> = { ClusterIP: 0, Headless: 0, NodePort: 0, LoadBalancer: 0, ExternalName: 0 };
  let ports = 0;
  let nodePorts = 0;
  const namespaces = new Set<string>();
  for (const svc of cluster.services) {
    const type = svc.spec.clusterIP === 'None' ? 'Headless' : (svc.spec.type ?? 'ClusterIP');
    byType[type] = (byType[type] ?? 0) + 1;
    namespaces.add(svc.metadata.namespace ?? 'default');
    for (const p of svc.spec.ports ?? []) {
      ports++;
      if (p.nodePort !== undefined) nodePorts++;
    }
  }
  for (const ns of cluster.namespaces) namespaces.add(ns.metadata.name);
  const eps = { total: 0, ready: 0, notReady: 0, terminating: 0 };
  for (const slice of cluster.endpointSlices) {
    for (const ep of slice.endpoints ?? []) {
      eps.total++;
      if (ep.conditions?.terminating) eps.terminating++;
      else if (ep.conditions?.ready === false) eps.notReady++;
      else eps.ready++;
    }
  }
  const c = cluster.config;
  return {
    nodes: cluster.nodes.length,
    namespaces: namespaces.size,
    services: cluster.services.length,
    servicesByType: byType,
    servicePorts: ports,
    nodePorts,
    endpointSlices: cluster.endpointSlices.length,
    endpoints: eps,
    config: {
      clusterCIDR: c.clusterCIDR,
      serviceCIDR: c.serviceCIDR,
      nodePortRange: `${c.nodePortRange.min}-${c.nodePortRange.max}`,
      clusterDomain: c.clusterDomain,
    },
  };
}

export function formatSummary(s: ClusterSummary): string {
  const types = Object.entries(s.servicesByType)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  return [
    `nodes:           ${s.nodes}`,
    `namespaces:      ${s.namespaces}`,
    `services:        ${s.services} (${types || 'none'})`,
    `service ports:   ${s.servicePorts} (${s.nodePorts} with a nodePort)`,
    `endpointslices:  ${s.endpointSlices}`,
    `endpoints:       ${s.endpoints.total} (ready ${s.endpoints.ready}, not ready ${s.endpoints.notReady}, terminating ${s.endpoints.terminating})`,
    `cluster CIDR:    ${s.config.clusterCIDR}`,
    `service CIDR:    ${s.config.serviceCIDR}`,
    `NodePort range:  ${s.config.nodePortRange}`,
    `cluster domain:  ${s.config.clusterDomain}`,
  ].join('\n');
}
