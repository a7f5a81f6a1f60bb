// Small clusters for pricing churn with the real data planes: copies of a template service
// with given numbers of ready, not-ready and terminating endpoints. Endpoint addresses are
// canonical (one address block per condition), so the same counts always give the same
// cluster, and the template's endpoints lend their nodes (which endpoints are local to the
// node under test, for the Local traffic policies).
import type { EndpointSlice, Service } from '../cluster/k8s-types.ts';
import { SERVICE_NAME_LABEL } from '../cluster/k8s-types.ts';
import type { Cluster } from '../cluster/model.ts';
import { formatIPv4 } from '../util/ipv4.ts';

/** A service to put in the cluster: its template and endpoint counts. */
export interface SynthService {
  service: Service;
  slices: readonly EndpointSlice[];
  ready: number;
  notReady: number;
  terminating: number;
  /** Name of the copy (default: the template's); a cluster's copies need distinct names. */
  name?: string;
  /** Which block of endpoint addresses the copy uses (default: its position in the cluster). */
  block?: number;
}

// 100.64.0.0/10 (RFC 6598 shared address space): no scenario puts pods or nodes there. Per
// condition a 2^20 block, in it 256 blocks of 4096 endpoints, one per copy.
const ENDPOINT_BASE = (100 << 24) | (64 << 16);
const ROLE_STRIDE = 1 << 20;
const BLOCK = 4096;

/** The cluster `base` (its nodes and settings) holding exactly `services`. */
export function synthCluster(base: Cluster, services: readonly SynthService[]): Cluster {
  const out: Cluster = { ...base, services: [], endpointSlices: [], pods: [] };
  services.forEach((s, i) => {
    const name = s.name ?? s.service.metadata.name;
    const ns = s.service.metadata.namespace ?? 'default';
    out.services.push({ ...s.service, metadata: { ...s.service.metadata, name, namespace: ns } });
    out.endpointSlices.push(endpointSlice(s, name, ns, (s.block ?? i) % 256));
  });
  return out;
}

function endpointSlice(s: SynthService, name: string, ns: string, copy: number): EndpointSlice {
  const template = s.slices.flatMap((sl) => sl.endpoints ?? []);
  const ports = s.slices.find((sl) => (sl.ports?.length ?? 0) > 0)?.ports ?? [];
  const endpoints: NonNullable<EndpointSlice['endpoints']> = [];
  const add = (role: number, j: number, conditions: { ready: boolean; serving: boolean; terminating: boolean }) => {
    const like = template.length > 0 ? template[endpoints.length % template.length] : undefined;
    const ip = (ENDPOINT_BASE + role * ROLE_STRIDE + copy * BLOCK + (j % BLOCK)) >>> 0;
    endpoints.push({ addresses: [formatIPv4(ip)], conditions, ...(like?.nodeName ? { nodeName: like.nodeName } : {}) });
  };
  for (let j = 0; j < s.ready; j++) add(0, j, { ready: true, serving: true, terminating: false });
  for (let j = 0; j < s.notReady; j++) add(1, j, { ready: false, serving: false, terminating: false });
  for (let j = 0; j < s.terminating; j++) add(2, j, { ready: false, serving: true, terminating: true });
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-synth`, namespace: ns, labels: { [SERVICE_NAME_LABEL]: name } },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}
