// The environment of kube-proxy's iptables unit tests (pkg/proxy/iptables/proxier_test.go,
// NewFakeProxier and its helpers makeTestService / makeTestEndpointSlice / runPacketFlowTests),
// rebuilt over kpsim's cluster model so their packet-flow cases can be transcribed.
import assert from 'node:assert/strict';
import type { EndpointSlice, Service } from '../../src/cluster/k8s-types.ts';
import { clusterFromObjects } from '../../src/cluster/k8s-io.ts';
import type { Cluster } from '../../src/cluster/model.ts';
import { parseKubeProxyConfig } from '../../src/proxy/load-config.ts';
import { IptablesDataPlane } from '../../src/proxy/iptables/dataplane.ts';
import { type DataPlane, type PacketOrigin, type TraceResult } from '../../src/proxy/types.ts';
import { parseIPv4 } from '../../src/util/ipv4.ts';
import { PROTO_SCTP, PROTO_TCP, PROTO_UDP, type ProtoNumber } from '../../src/util/proto.ts';

export const testNodeName = 'test-node';
export const testNodeIP = '192.168.0.2';
export const testNodeIPAlt = '192.168.1.2';
export const testExternalIP = '192.168.99.11';
export const testExternalClient = '203.0.113.2';
export const testExternalClientBlocked = '203.0.113.130';
/** testNodeIPs (IPv4 part) plus 127.0.0.1, what the tracer treats as LOCAL. */
export const LOCAL_IPS = new Set([testNodeIP, testNodeIPAlt, testExternalIP, '127.0.0.1']);

export const testNode = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: testNodeName },
  spec: {},
  status: {
    addresses: [
      { type: 'InternalIP', address: testNodeIP },
      { type: 'InternalIP', address: testNodeIPAlt },
      { type: 'ExternalIP', address: testExternalIP },
    ],
  },
};

type Spec = Service['spec'];

export function makeService(ns: string, name: string, spec: Spec, ingress: string[] = []): Service {
  const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec };
  if (ingress.length > 0) svc.status = { loadBalancer: { ingress: ingress.map((ip) => ({ ip })) } };
  return svc;
}

export type EndpointSpec = { ip: string; node?: string; ready?: boolean; serving?: boolean; terminating?: boolean };

export function makeSlice(
  ns: string,
  service: string,
  endpoints: EndpointSpec[],
  ports: { name?: string; port: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }[],
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    addressType: 'IPv4',
    metadata: { name: `${service}-1`, namespace: ns, labels: { 'kubernetes.io/service-name': service } },
    endpoints: endpoints.map((e) => {
      const conditions: Record<string, boolean> = {};
      if (e.ready !== undefined) conditions.ready = e.ready;
      if (e.serving !== undefined) conditions.serving = e.serving;
      if (e.terminating !== undefined) conditions.terminating = e.terminating;
      return { addresses: [e.ip], ...(e.node ? { nodeName: e.node } : {}), conditions };
    }),
    ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

export function makeCluster(objects: unknown[]): Cluster {
  return clusterFromObjects([{ kind: 'List', items: [testNode, ...objects] }], '(test)').cluster;
}

/** NewFakeProxier's settings; `overrides` as KubeProxyConfiguration fields. */
export function fakeProxyConfig(overrides: Record<string, unknown> = {}) {
  const { iptables, ...rest } = overrides as { iptables?: Record<string, unknown> };
  return parseKubeProxyConfig({
    hostnameOverride: testNodeName,
    clusterCIDR: '10.0.0.0/8',
    iptables: { masqueradeBit: 14, localhostNodePorts: true, ...iptables },
    ...rest,
  });
}

export function makePlane(objects: unknown[], overrides: Record<string, unknown> = {}): IptablesDataPlane {
  return new IptablesDataPlane(makeCluster(objects), fakeProxyConfig(overrides));
}

export interface FlowTest {
  name: string;
  sourceIP: string;
  destIP: string;
  destPort: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  output: string;
  masq?: boolean;
}

const PROTOS: Record<string, ProtoNumber> = { TCP: PROTO_TCP, UDP: PROTO_UDP, SCTP: PROTO_SCTP };

/** A packet from a local address starts in nat OUTPUT, any other in nat PREROUTING. */
export function traceFlow(plane: Pick<DataPlane, 'trace'>, src: string, dst: string, dport: number, protocol = 'TCP'): TraceResult {
  const origin: PacketOrigin = LOCAL_IPS.has(src) ? 'local' : 'forwarded';
  return plane.trace({ src: parseIPv4(src), dst: parseIPv4(dst), proto: PROTOS[protocol], sport: 40000, dport }, origin);
}

/** The tracer's output string: DNAT destinations, then a DROP/REJECT/ACCEPT verdict, joined by ", ". */
export function tracerOutput(r: TraceResult): string {
  const parts = [...r.endpoints];
  if (r.verdict === 'DROP' || r.verdict === 'REJECT' || r.verdict === 'ACCEPT') parts.push(r.verdict);
  return parts.join(', ');
}

/** runPacketFlowTests: every case's output and masquerade flag must match. */
export function runPacketFlowTests(plane: Pick<DataPlane, 'trace'>, cases: FlowTest[]): void {
  const failures: string[] = [];
  for (const tc of cases) {
    const r = traceFlow(plane, tc.sourceIP, tc.destIP, tc.destPort, tc.protocol);
    const output = tracerOutput(r);
    const masq = tc.masq ?? false;
    if (output !== tc.output || r.masquerade !== masq) {
      failures.push(
        `${tc.name}: ${tc.sourceIP} -> ${tc.destIP}:${tc.destPort}: got ${JSON.stringify(output)} masq=${r.masquerade}, want ${JSON.stringify(tc.output)} masq=${masq}\n    ${r.path.join('\n    ')}`,
      );
    }
  }
  assert.deepEqual(failures, []);
}
