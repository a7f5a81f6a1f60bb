// Cases of kube-proxy's packet-flow tests that its iptables and nftables proxier tests share
// (pkg/proxy/{iptables,nftables}/proxier_test.go): the Services and EndpointSlices, and the
// flows whose expected output is the same in both modes. Each mode's test adds its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from '../../src/cluster/model.ts';
import { Rng } from '../../src/engine/rng.ts';
import { type DataPlane, type LookupResult, newLookupResult } from '../../src/proxy/types.ts';
import { formatIPv4, parseIPv4 } from '../../src/util/ipv4.ts';
import {
  type EndpointSpec,
  type FlowTest,
  makeService,
  makeSlice,
  runPacketFlowTests,
  testExternalClient,
  testExternalClientBlocked,
  testNodeIP,
  testNodeIPAlt,
  testNodeName,
  traceFlow,
} from './kube-proxy-test-env.ts';

const UNIFORM_IPS = ['10.180.0.1', '10.180.0.2', '10.180.0.3', '10.180.0.4'];
/** Four endpoints behind one ClusterIP port (targetPort 8080). */
export const uniformObjects = () => [
  makeService('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP', targetPort: 8080 }] }),
  makeSlice(
    'ns1',
    'svc1',
    UNIFORM_IPS.map((ip) => ({ ip })),
    [{ name: 'p80', port: 8080 }],
  ),
];

/** lookup() picks one of the traced endpoints, each about a quarter of 8,000 connections; returns the last answer. */
export function checkUniformLookup(plane: Pick<DataPlane, 'trace' | 'lookup'>): LookupResult {
  assert.deepEqual(
    traceFlow(plane, '10.0.0.2', '172.30.0.41', 80).endpoints,
    UNIFORM_IPS.map((ip) => `${ip}:8080`),
  );
  const rng = new Rng(42);
  const out = newLookupResult();
  const counts = new Map<string, number>();
  const N = 8000;
  for (let i = 0; i < N; i++) {
    plane.lookup(
      { src: parseIPv4('10.0.0.2'), dst: parseIPv4('172.30.0.41'), proto: 6, sport: 1000 + i, dport: 80 },
      'forwarded',
      rng,
      out,
    );
    assert.equal(out.verdict, 'DNAT');
    assert.equal(out.endpointPort, 8080);
    const ep = formatIPv4(out.endpointIP);
    counts.set(ep, (counts.get(ep) ?? 0) + 1);
  }
  for (const ip of UNIFORM_IPS) {
    const share = (counts.get(ip) ?? 0) / N;
    assert.ok(Math.abs(share - 0.25) < 0.03, `${ip} got ${share} of the connections`);
  }
  assert.equal(out.masquerade, false);
  return out;
}

/** ClientIP affinity with a 60 s timeout over three endpoints. */
export const affinityObjects = () => [
  makeService('ns1', 'svc1', {
    clusterIP: '172.30.0.41',
    sessionAffinity: 'ClientIP',
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
    ports: [{ name: 'p80', port: 80, protocol: 'TCP' }],
  }),
  makeSlice(
    'ns1',
    'svc1',
    ['10.180.0.1', '10.180.0.2', '10.180.0.3'].map((ip) => ({ ip })),
    [{ name: 'p80', port: 80 }],
  ),
];

/** One client sticks to its endpoint while it keeps connecting; 60 s after its last connection the choice is random again. */
export function checkAffinityLookup(plane: Pick<DataPlane, 'lookup' | 'setNow'>): void {
  const rng = new Rng(7);
  const out = newLookupResult();
  const pkt = { src: parseIPv4('10.0.0.9'), dst: parseIPv4('172.30.0.41'), proto: 6 as const, sport: 1, dport: 80 };
  plane.setNow!(0);
  const first = plane.lookup(pkt, 'forwarded', rng, out).endpointIP;
  for (let t = 1; t <= 50; t++) {
    plane.setNow!(t);
    assert.equal(plane.lookup(pkt, 'forwarded', rng, out).endpointIP, first, `sticky at t=${t}`);
  }
  const seen = new Set<number>();
  for (let k = 0; k < 40; k++) {
    plane.setNow!(1000 + k * 100);
    seen.add(plane.lookup(pkt, 'forwarded', rng, out).endpointIP);
  }
  assert.ok(seen.size > 1, 'after the timeout other endpoints get picked');
}

/** TestNoEndpointsReject: a LoadBalancer with an external IP and no endpoints; every flow REJECT. */
export const noEndpointsObjects = () => [
  makeService(
    'ns1',
    'svc1',
    {
      type: 'LoadBalancer',
      clusterIP: '172.30.0.41',
      externalIPs: ['192.168.99.11'],
      ports: [{ name: 'p80', protocol: 'TCP', port: 80, nodePort: 3001 }],
    },
    ['1.2.3.4'],
  ),
];
export const noEndpointsFlows: FlowTest[] = (
  [
    ['pod to cluster IP with no endpoints', '10.0.0.2', '172.30.0.41', 80],
    ['external to external IP with no endpoints', testExternalClient, '192.168.99.11', 80],
    ['pod to NodePort with no endpoints', '10.0.0.2', testNodeIP, 3001],
    ['external to NodePort with no endpoints', testExternalClient, testNodeIP, 3001],
    ['pod to LoadBalancer IP with no endpoints', '10.0.0.2', '1.2.3.4', 80],
    ['external to LoadBalancer IP with no endpoints', testExternalClient, '1.2.3.4', 80],
  ] as const
).map(([name, sourceIP, destIP, destPort]) => ({ name, sourceIP, destIP, destPort, output: 'REJECT' }));

/** TestClusterIPGeneral: one and many endpoints, targetPort, named ports, TCP/UDP/SCTP, hairpin. */
export const clusterIPGeneralObjects = () => [
  makeService('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
  makeService('ns2', 'svc2', {
    clusterIP: '172.30.0.42',
    ports: [
      { name: 'http', port: 80, protocol: 'TCP' },
      { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 },
      { name: 'dns-udp', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 5353 },
      { name: 'dns-sctp', port: 53, protocol: 'SCTP' },
    ],
  }),
  makeSlice('ns1', 'svc1', [{ ip: '10.180.0.1', node: testNodeName }], [{ name: 'http', port: 80 }]),
  makeSlice(
    'ns2',
    'svc2',
    [
      { ip: '10.180.0.1', node: testNodeName },
      { ip: '10.180.2.1', node: 'node2' },
    ],
    [
      { name: 'http', port: 80 },
      { name: 'https', port: 8443 },
      { name: 'dns-udp', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 5353 },
      { name: 'dns-sctp', port: 53, protocol: 'SCTP' },
    ],
  ),
];
const POD = '10.180.0.2';
/** @param undefinedPort what a packet to a port the ClusterIP does not serve gets ('' in iptables mode, REJECT in nftables). */
export const clusterIPGeneralFlows = (undefinedPort: string): FlowTest[] => [
  { name: 'simple clusterIP', sourceIP: POD, destIP: '172.30.0.41', destPort: 80, output: '10.180.0.1:80' },
  { name: 'hairpin to cluster IP', sourceIP: '10.180.0.1', destIP: '172.30.0.41', destPort: 80, output: '10.180.0.1:80', masq: true },
  { name: 'clusterIP with multiple endpoints', sourceIP: POD, destIP: '172.30.0.42', destPort: 80, output: '10.180.0.1:80, 10.180.2.1:80' },
  { name: 'clusterIP with TargetPort', sourceIP: POD, destIP: '172.30.0.42', destPort: 443, output: '10.180.0.1:8443, 10.180.2.1:8443' },
  {
    name: 'same port (TCP)',
    sourceIP: POD,
    protocol: 'TCP',
    destIP: '172.30.0.42',
    destPort: 53,
    output: '10.180.0.1:5353, 10.180.2.1:5353',
  },
  { name: 'same port (UDP)', sourceIP: POD, protocol: 'UDP', destIP: '172.30.0.42', destPort: 53, output: '10.180.0.1:53, 10.180.2.1:53' },
  {
    name: 'same port (SCTP)',
    sourceIP: POD,
    protocol: 'SCTP',
    destIP: '172.30.0.42',
    destPort: 53,
    output: '10.180.0.1:53, 10.180.2.1:53',
  },
  {
    name: 'TCP-only port does not match UDP traffic',
    sourceIP: POD,
    protocol: 'UDP',
    destIP: '172.30.0.42',
    destPort: 80,
    output: undefinedPort,
  },
  { name: "svc1 does not accept svc2's ports", sourceIP: POD, destIP: '172.30.0.41', destPort: 443, output: undefinedPort },
];

/** TestLoadBalancer: two LB IPs with loadBalancerSourceRanges (one padded with a space). */
export const loadBalancerObjects = () => [
  makeService(
    'ns1',
    'svc1',
    {
      type: 'LoadBalancer',
      clusterIP: '172.30.0.41',
      ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
      // Regression in kube-proxy's test: excess whitespace is ignored.
      loadBalancerSourceRanges: ['192.168.0.0/24', ' 203.0.113.0/25'],
    },
    ['1.2.3.4', '5.6.7.8'],
  ),
  makeSlice('ns1', 'svc1', [{ ip: '10.180.0.1' }], [{ name: 'p80', port: 80 }]),
];
const LB_EP = '10.180.0.1:80';
export const loadBalancerFlows: FlowTest[] = [
  { name: 'pod to cluster IP', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: LB_EP },
  { name: 'external to nodePort', sourceIP: testExternalClient, destIP: testNodeIP, destPort: 3001, output: LB_EP, masq: true },
  {
    name: 'nodePort bypasses LoadBalancerSourceRanges',
    sourceIP: testExternalClientBlocked,
    destIP: testNodeIP,
    destPort: 3001,
    output: LB_EP,
    masq: true,
  },
  ...['1.2.3.4', '5.6.7.8'].flatMap((lb, i): FlowTest[] => [
    { name: `accepted external to LB${i + 1}`, sourceIP: testExternalClient, destIP: lb, destPort: 80, output: LB_EP, masq: true },
    { name: `blocked external to LB${i + 1}`, sourceIP: testExternalClientBlocked, destIP: lb, destPort: 80, output: 'DROP' },
    { name: `pod to LB${i + 1} (blocked by LoadBalancerSourceRanges)`, sourceIP: '10.0.0.2', destIP: lb, destPort: 80, output: 'DROP' },
    {
      name: `node to LB${i + 1} (allowed by LoadBalancerSourceRanges)`,
      sourceIP: testNodeIP,
      destIP: lb,
      destPort: 80,
      output: LB_EP,
      masq: true,
    },
    // A node's request to a VIP it holds loops back with the VIP as its source.
    {
      name: `same node to LB${i + 1}, SNATted to LB${i + 1} (implicitly allowed)`,
      sourceIP: lb,
      destIP: lb,
      destPort: 80,
      output: LB_EP,
      masq: true,
    },
  ]),
];

/** TestNodePorts: a NodePort service with a remote and a local endpoint. */
export const nodePortObjects = () => [
  makeService('ns1', 'svc1', {
    type: 'NodePort',
    clusterIP: '172.30.0.41',
    ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
  }),
  makeSlice('ns1', 'svc1', [{ ip: '10.180.0.1' }, { ip: '10.180.2.1', node: testNodeName }], [{ name: 'p80', port: 80 }]),
];

/**
 * TestNodePorts' flows to nodePortObjects: both endpoints (masqueraded from outside the pod
 * network), the secondary node IP a NodePort only with `allowAltNodeIP`, and the mode's own flow
 * from localhost given the endpoints' output.
 */
export function nodePortFlows(allowAltNodeIP: boolean, localhost: (output: string) => FlowTest): FlowTest[] {
  const output = '10.180.0.1:80, 10.180.2.1:80';
  return [
    { name: 'pod to cluster IP', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output },
    { name: 'external to nodePort', sourceIP: testExternalClient, destIP: testNodeIP, destPort: 3001, output, masq: true },
    { name: 'node to nodePort', sourceIP: testNodeIP, destIP: testNodeIP, destPort: 3001, output, masq: true },
    localhost(output),
    allowAltNodeIP
      ? {
          name: 'external to nodePort on secondary IP',
          sourceIP: testExternalClient,
          destIP: testNodeIPAlt,
          destPort: 3001,
          output,
          masq: true,
        }
      : { name: 'secondary nodeIP ignores NodePorts', sourceIP: testExternalClient, destIP: testNodeIPAlt, destPort: 3001, output: '' },
  ];
}

/** TestExternalTrafficPolicyLocal / Cluster: LoadBalancer + externalIP, a remote and a local endpoint. */
export const policyServices = (policy: 'Local' | 'Cluster') => [
  makeService(
    'ns1',
    'svc1',
    {
      type: 'LoadBalancer',
      externalTrafficPolicy: policy,
      clusterIP: '172.30.0.41',
      externalIPs: ['192.168.99.11'],
      ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001, targetPort: 80 }],
      ...(policy === 'Local' ? { healthCheckNodePort: 30000 } : {}),
    },
    ['1.2.3.4'],
  ),
  makeSlice('ns1', 'svc1', [{ ip: '10.180.0.1' }, { ip: '10.180.2.1', node: testNodeName }], [{ name: 'p80', port: 80 }]),
];
const BOTH = '10.180.0.1:80, 10.180.2.1:80';
const LOCAL = '10.180.2.1:80';
const flow = (name: string, sourceIP: string, destIP: string, destPort: number, output: string, masq = false): FlowTest => ({
  name,
  sourceIP,
  destIP,
  destPort,
  output,
  masq,
});
/** eTP:Local: external traffic only to the local endpoint, nothing masqueraded. */
export const policyLocalFlows: FlowTest[] = [
  flow('pod to cluster IP hits both endpoints, unmasqueraded', '10.0.0.2', '172.30.0.41', 80, BOTH),
  flow('pod to external IP hits both endpoints, unmasqueraded', '10.0.0.2', '192.168.99.11', 80, BOTH),
  flow('external to external IP hits only local endpoint, unmasqueraded', testExternalClient, '192.168.99.11', 80, LOCAL),
  flow('pod to LB IP hits only both endpoints, unmasqueraded', '10.0.0.2', '1.2.3.4', 80, BOTH),
  flow('external to LB IP hits only local endpoint, unmasqueraded', testExternalClient, '1.2.3.4', 80, LOCAL),
  flow('pod to NodePort hits both endpoints, unmasqueraded', '10.0.0.2', testNodeIP, 3001, BOTH),
  flow('external to NodePort hits only local endpoint, unmasqueraded', testExternalClient, testNodeIP, 3001, LOCAL),
];
/** eTP:Cluster: external traffic to every endpoint, masqueraded. */
export const policyClusterFlows: FlowTest[] = [
  flow('pod to cluster IP hits both endpoints, unmasqueraded', '10.0.0.2', '172.30.0.41', 80, BOTH),
  flow('pod to external IP hits both endpoints, masqueraded', '10.0.0.2', '192.168.99.11', 80, BOTH, true),
  flow('external to external IP hits both endpoints, masqueraded', testExternalClient, '192.168.99.11', 80, BOTH, true),
  flow('pod to LB IP hits both endpoints, masqueraded', '10.0.0.2', '1.2.3.4', 80, BOTH, true),
  flow('external to LB IP hits both endpoints, masqueraded', testExternalClient, '1.2.3.4', 80, BOTH, true),
  flow('pod to NodePort hits both endpoints, masqueraded', '10.0.0.2', testNodeIP, 3001, BOTH, true),
  flow('external to NodePort hits both endpoints, masqueraded', testExternalClient, testNodeIP, 3001, BOTH, true),
];

/** TestInternalTrafficPolicy: the endpoints' nodes and what a pod's packet to the ClusterIP gets. */
export const INTERNAL_POLICY_CASES: { name: string; itp: 'Cluster' | 'Local'; nodes: string[]; output: string }[] = [
  {
    name: 'internalTrafficPolicy is cluster',
    itp: 'Cluster',
    nodes: [testNodeName, 'node1', 'node2'],
    output: '10.0.1.1:80, 10.0.1.2:80, 10.0.1.3:80',
  },
  {
    name: 'internalTrafficPolicy is local and there is one local endpoint',
    itp: 'Local',
    nodes: [testNodeName, 'node1', 'node2'],
    output: '10.0.1.1:80',
  },
  {
    name: 'internalTrafficPolicy is local and there are multiple local endpoints',
    itp: 'Local',
    nodes: [testNodeName, testNodeName, 'node2'],
    output: '10.0.1.1:80, 10.0.1.2:80',
  },
  {
    name: 'internalTrafficPolicy is local and there are no local endpoints',
    itp: 'Local',
    nodes: ['node0', 'node1', 'node2'],
    output: 'DROP',
  },
];
export const internalPolicyService = (itp: 'Cluster' | 'Local') =>
  makeService('ns1', 'svc1', {
    clusterIP: '172.30.1.1',
    selector: { foo: 'bar' },
    internalTrafficPolicy: itp,
    ports: [{ name: '', port: 80, protocol: 'TCP' }],
  });
export const internalPolicySlice = (nodes: string[]) =>
  makeSlice(
    'ns1',
    'svc1',
    nodes.map((node, i) => ({ ip: `10.0.1.${i + 1}`, node, ready: true })),
    [{ name: '', port: 80 }],
  );

/** How a mode's test builds a data plane (with KubeProxyConfiguration overrides) and a cluster from test objects. */
export interface CaseEnv {
  plane(objects: unknown[], config?: Record<string, unknown>): Pick<DataPlane, 'trace' | 'sync'>;
  cluster(objects: unknown[]): Cluster;
}

/**
 * Registers the traffic-policy and masquerade tests both proxier tests have:
 * TestExternalTrafficPolicy{Local,Cluster}, TestInternalTrafficPolicy,
 * TestTerminatingEndpointsTrafficPolicy{Local,Cluster} and TestInternalExternalMasquerade (its
 * flows those `keepMasquerade` keeps).
 */
export function policyAndMasqueradeTests(env: CaseEnv, keepMasquerade?: (f: FlowTest) => boolean): void {
  test('TestExternalTrafficPolicyLocal: external traffic only to local endpoints, not masqueraded', () => {
    runPacketFlowTests(env.plane(policyServices('Local')), policyLocalFlows);
  });
  test('TestExternalTrafficPolicyCluster: external traffic to all endpoints, masqueraded', () => {
    runPacketFlowTests(env.plane(policyServices('Cluster')), policyClusterFlows);
  });
  for (const tc of INTERNAL_POLICY_CASES) test(`TestInternalTrafficPolicy: ${tc.name}`, () => checkInternalPolicy(env, tc));
  for (const tc of TERMINATING_CASES)
    test(`TestTerminatingEndpointsTrafficPolicy${tc.policy}: ${tc.name}`, () => checkTerminating(env, tc));
  for (const tc of MASQUERADE_CASES)
    test(`TestInternalExternalMasquerade: ${tc.name}`, () => {
      const plane = env.plane(masqueradeServices(), { masqueradeAll: tc.masqueradeAll, clusterCIDR: tc.localDetector ? '10.0.0.0/8' : '' });
      runPacketFlowTests(plane, masqueradeCaseFlows(tc, keepMasquerade));
    });
}

/** A pod's packet to the ClusterIP, then again after the endpoints are deleted (REJECT). */
export function checkInternalPolicy(env: CaseEnv, tc: (typeof INTERNAL_POLICY_CASES)[number]): void {
  const svc = internalPolicyService(tc.itp);
  const plane = env.plane([svc, internalPolicySlice(tc.nodes)]);
  runPacketFlowTests(plane, [{ name: 'pod to ClusterIP', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: tc.output }]);
  plane.sync(env.cluster([svc]));
  runPacketFlowTests(plane, [{ name: 'endpoints deleted', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: 'REJECT' }]);
}

/** A pod to the ClusterIP and an outside client to the LB IP, then both after the endpoints are deleted. */
export function checkTerminating(env: CaseEnv, tc: TerminatingCase): void {
  const svc = terminatingService(tc.policy);
  const plane = env.plane([svc, makeSlice('ns1', 'svc1', tc.eps, [{ name: '', port: 80 }])]);
  runPacketFlowTests(plane, [
    { name: 'pod to clusterIP', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: tc.clusterIP },
    { name: 'external to LB', sourceIP: testExternalClient, destIP: '1.2.3.4', destPort: 80, output: tc.lb, masq: tc.lbMasq },
  ]);
  plane.sync(env.cluster([svc]));
  runPacketFlowTests(plane, [
    { name: 'pod to clusterIP after endpoints deleted', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: 'REJECT' },
    { name: 'external to LB after endpoints deleted', sourceIP: testExternalClient, destIP: '1.2.3.4', destPort: 80, output: 'REJECT' },
  ]);
}

/** TestTerminatingEndpointsTrafficPolicy{Local,Cluster}: LoadBalancer 172.30.1.1 / 1.2.3.4. */
export const terminatingService = (policy: 'Local' | 'Cluster') =>
  makeService(
    'ns1',
    'svc1',
    {
      clusterIP: '172.30.1.1',
      type: 'LoadBalancer',
      externalTrafficPolicy: policy,
      healthCheckNodePort: 30000,
      ports: [{ name: '', targetPort: 80, port: 80, protocol: 'TCP' }],
    },
    ['1.2.3.4'],
  );
const rs = (ready: boolean, serving: boolean, terminating: boolean) => ({ ready, serving, terminating });
export interface TerminatingCase {
  policy: 'Local' | 'Cluster';
  name: string;
  eps: EndpointSpec[];
  clusterIP: string;
  lb: string;
  lbMasq: boolean;
}
export const TERMINATING_CASES: TerminatingCase[] = [
  {
    policy: 'Local',
    name: 'ready endpoints exist',
    eps: [
      { ip: '10.0.1.1', node: testNodeName, ...rs(true, true, false) },
      { ip: '10.0.1.2', node: testNodeName, ...rs(true, true, false) },
      { ip: '10.0.1.3', node: testNodeName, ...rs(false, true, true) },
      { ip: '10.0.1.4', node: testNodeName, ...rs(false, false, true) },
      { ip: '10.0.1.5', node: 'node-1', ...rs(true, true, false) },
    ],
    clusterIP: '10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80',
    lb: '10.0.1.1:80, 10.0.1.2:80',
    lbMasq: false,
  },
  {
    policy: 'Local',
    name: 'only terminating endpoints exist',
    eps: [
      { ip: '10.0.1.2', node: testNodeName, ...rs(false, true, true) },
      { ip: '10.0.1.3', node: testNodeName, ...rs(false, true, true) },
      { ip: '10.0.1.4', node: testNodeName, ...rs(false, false, true) },
      { ip: '10.0.1.5', node: 'node-1', ...rs(true, true, false) },
    ],
    clusterIP: '10.0.1.5:80',
    lb: '10.0.1.2:80, 10.0.1.3:80',
    lbMasq: false,
  },
  {
    policy: 'Local',
    name: 'terminating endpoints on remote node',
    eps: [{ ip: '10.0.1.5', node: 'node-1', ...rs(false, true, true) }],
    clusterIP: '10.0.1.5:80',
    lb: 'DROP',
    lbMasq: false,
  },
  {
    policy: 'Cluster',
    name: 'ready endpoints exist',
    eps: [
      { ip: '10.0.1.1', node: testNodeName, ...rs(true, true, false) },
      { ip: '10.0.1.2', node: testNodeName, ...rs(true, true, false) },
      { ip: '10.0.1.3', node: 'another-node', ...rs(false, true, true) },
      { ip: '10.0.1.4', node: 'another-node', ...rs(false, false, true) },
      { ip: '10.0.1.5', node: 'another-node', ...rs(true, true, false) },
    ],
    clusterIP: '10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80',
    lb: '10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80',
    lbMasq: true,
  },
  {
    policy: 'Cluster',
    name: 'only terminating endpoints exist',
    eps: [
      { ip: '10.0.1.2', node: testNodeName, ...rs(false, true, true) },
      { ip: '10.0.1.3', node: testNodeName, ...rs(false, true, true) },
      { ip: '10.0.1.4', node: 'another-node', ...rs(false, false, true) },
      { ip: '10.0.1.5', node: 'another-node', ...rs(false, true, true) },
    ],
    clusterIP: '10.0.1.2:80, 10.0.1.3:80, 10.0.1.5:80',
    lb: '10.0.1.2:80, 10.0.1.3:80, 10.0.1.5:80',
    lbMasq: true,
  },
  {
    policy: 'Cluster',
    name: 'terminating endpoints on remote node',
    eps: [{ ip: '10.0.1.5', node: 'node-1', ...rs(false, true, true) }],
    clusterIP: '10.0.1.5:80',
    lb: '10.0.1.5:80',
    lbMasq: true,
  },
  ...(['Local', 'Cluster'] as const).map(
    (policy): TerminatingCase => ({
      policy,
      name: 'no usable endpoints on any node',
      eps: [
        { ip: '10.0.1.5', node: testNodeName, ...rs(false, false, true) },
        { ip: '10.0.1.5', node: 'node-1', ...rs(false, false, true) },
      ],
      clusterIP: 'REJECT',
      lb: 'REJECT',
      lbMasq: false,
    }),
  ),
];

// TestInternalExternalMasquerade: three LoadBalancer services (plain, eTP:Local, iTP:Local), each
// with a local and a remote endpoint, the same flows under masqueradeAll and without a
// local-traffic detector (clusterCIDR unset), with the test's per-case overrides. The nftables
// test has the same cases but those from 127.0.0.1 (no localhost NodePorts).
export const masqueradeServices = () => [
  makeService(
    'ns1',
    'svc1',
    {
      type: 'LoadBalancer',
      clusterIP: '172.30.0.41',
      healthCheckNodePort: 30001,
      ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
    },
    ['1.2.3.4'],
  ),
  makeService(
    'ns2',
    'svc2',
    {
      type: 'LoadBalancer',
      clusterIP: '172.30.0.42',
      healthCheckNodePort: 30002,
      externalTrafficPolicy: 'Local',
      ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3002 }],
    },
    ['5.6.7.8'],
  ),
  makeService(
    'ns3',
    'svc3',
    {
      type: 'LoadBalancer',
      clusterIP: '172.30.0.43',
      healthCheckNodePort: 30003,
      internalTrafficPolicy: 'Local',
      ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3003 }],
    },
    ['9.10.11.12'],
  ),
  makeSlice(
    'ns1',
    'svc1',
    [
      { ip: '10.180.0.1', node: testNodeName },
      { ip: '10.180.1.1', node: 'remote' },
    ],
    [{ name: 'p80', port: 80 }],
  ),
  makeSlice(
    'ns2',
    'svc2',
    [
      { ip: '10.180.0.2', node: testNodeName },
      { ip: '10.180.1.2', node: 'remote' },
    ],
    [{ name: 'p80', port: 80 }],
  ),
  makeSlice(
    'ns3',
    'svc3',
    [
      { ip: '10.180.0.3', node: testNodeName },
      { ip: '10.180.1.3', node: 'remote' },
    ],
    [{ name: 'p80', port: 80 }],
  ),
];
const e1 = '10.180.0.1:80, 10.180.1.1:80';
const e2 = '10.180.0.2:80, 10.180.1.2:80';
const e3 = '10.180.0.3:80, 10.180.1.3:80';
const EXT = testExternalClient;
export const masqueradeFlows: FlowTest[] = [
  { name: 'pod to ClusterIP', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: e1, masq: false },
  { name: 'pod to NodePort', sourceIP: '10.0.0.2', destIP: testNodeIP, destPort: 3001, output: e1, masq: true },
  { name: 'pod to LB', sourceIP: '10.0.0.2', destIP: '1.2.3.4', destPort: 80, output: e1, masq: true },
  { name: 'node to ClusterIP', sourceIP: testNodeIP, destIP: '172.30.0.41', destPort: 80, output: e1, masq: true },
  { name: 'node to NodePort', sourceIP: testNodeIP, destIP: testNodeIP, destPort: 3001, output: e1, masq: true },
  { name: 'localhost to NodePort', sourceIP: '127.0.0.1', destIP: '127.0.0.1', destPort: 3001, output: e1, masq: true },
  { name: 'node to LB', sourceIP: testNodeIP, destIP: '1.2.3.4', destPort: 80, output: e1, masq: true },
  { name: 'external to ClusterIP', sourceIP: EXT, destIP: '172.30.0.41', destPort: 80, output: e1, masq: true },
  { name: 'external to NodePort', sourceIP: EXT, destIP: testNodeIP, destPort: 3001, output: e1, masq: true },
  { name: 'external to LB', sourceIP: EXT, destIP: '1.2.3.4', destPort: 80, output: e1, masq: true },
  { name: 'pod to ClusterIP with eTP:Local', sourceIP: '10.0.0.2', destIP: '172.30.0.42', destPort: 80, output: e2, masq: false },
  { name: 'pod to NodePort with eTP:Local', sourceIP: '10.0.0.2', destIP: testNodeIP, destPort: 3002, output: e2, masq: false },
  { name: 'pod to LB with eTP:Local', sourceIP: '10.0.0.2', destIP: '5.6.7.8', destPort: 80, output: e2, masq: false },
  { name: 'node to ClusterIP with eTP:Local', sourceIP: testNodeIP, destIP: '172.30.0.42', destPort: 80, output: e2, masq: true },
  // (kube-proxy's case uses port 3001 here, i.e. svc1's NodePort; transcribed as written.)
  { name: 'node to NodePort with eTP:Local', sourceIP: testNodeIP, destIP: testNodeIP, destPort: 3001, output: e1, masq: true },
  { name: 'localhost to NodePort with eTP:Local', sourceIP: '127.0.0.1', destIP: '127.0.0.1', destPort: 3002, output: e2, masq: true },
  { name: 'node to LB with eTP:Local', sourceIP: testNodeIP, destIP: '5.6.7.8', destPort: 80, output: e2, masq: true },
  { name: 'external to ClusterIP with eTP:Local', sourceIP: EXT, destIP: '172.30.0.42', destPort: 80, output: e2, masq: true },
  { name: 'external to NodePort with eTP:Local', sourceIP: EXT, destIP: testNodeIP, destPort: 3002, output: '10.180.0.2:80', masq: false },
  { name: 'external to LB with eTP:Local', sourceIP: EXT, destIP: '5.6.7.8', destPort: 80, output: '10.180.0.2:80', masq: false },
  {
    name: 'pod to ClusterIP with iTP:Local',
    sourceIP: '10.0.0.2',
    destIP: '172.30.0.43',
    destPort: 80,
    output: '10.180.0.3:80',
    masq: false,
  },
  { name: 'pod to NodePort with iTP:Local', sourceIP: '10.0.0.2', destIP: testNodeIP, destPort: 3003, output: e3, masq: true },
  { name: 'pod to LB with iTP:Local', sourceIP: '10.0.0.2', destIP: '9.10.11.12', destPort: 80, output: e3, masq: true },
  {
    name: 'node to ClusterIP with iTP:Local',
    sourceIP: testNodeIP,
    destIP: '172.30.0.43',
    destPort: 80,
    output: '10.180.0.3:80',
    masq: true,
  },
  { name: 'node to NodePort with iTP:Local', sourceIP: testNodeIP, destIP: testNodeIP, destPort: 3003, output: e3, masq: true },
  { name: 'localhost to NodePort with iTP:Local', sourceIP: '127.0.0.1', destIP: '127.0.0.1', destPort: 3003, output: e3, masq: true },
  { name: 'node to LB with iTP:Local', sourceIP: testNodeIP, destIP: '9.10.11.12', destPort: 80, output: e3, masq: true },
  { name: 'external to ClusterIP with iTP:Local', sourceIP: EXT, destIP: '172.30.0.43', destPort: 80, output: '10.180.0.3:80', masq: true },
  { name: 'external to NodePort with iTP:Local', sourceIP: EXT, destIP: testNodeIP, destPort: 3003, output: e3, masq: true },
  { name: 'external to LB with iTP:Local', sourceIP: EXT, destIP: '9.10.11.12', destPort: 80, output: e3, masq: true },
];
const noMasq = { masq: false };
const masqOn = { masq: true };
const podOnlyLocal = { output: '10.180.0.2:80' };

export interface MasqueradeCase {
  name: string;
  masqueradeAll: boolean;
  localDetector: boolean;
  overrides: Record<string, Partial<FlowTest>>;
}

export const MASQUERADE_CASES: MasqueradeCase[] = [
  { name: 'base', masqueradeAll: false, localDetector: true, overrides: {} },
  {
    name: 'no LocalTrafficDetector',
    masqueradeAll: false,
    localDetector: false,
    overrides: {
      // Without a detector all ClusterIP traffic counts as from a pod: no masquerade...
      'node to ClusterIP': noMasq,
      'node to ClusterIP with eTP:Local': noMasq,
      'node to ClusterIP with iTP:Local': noMasq,
      'external to ClusterIP': noMasq,
      'external to ClusterIP with eTP:Local': noMasq,
      'external to ClusterIP with iTP:Local': noMasq,
      // ...and no eTP:Local short-circuit for pods, which get only the local endpoints.
      'pod to NodePort with eTP:Local': podOnlyLocal,
      'pod to LB with eTP:Local': podOnlyLocal,
    },
  },
  {
    name: 'masqueradeAll',
    masqueradeAll: true,
    localDetector: true,
    overrides: { 'pod to ClusterIP': masqOn, 'pod to ClusterIP with eTP:Local': masqOn, 'pod to ClusterIP with iTP:Local': masqOn },
  },
  {
    name: 'masqueradeAll, no LocalTrafficDetector',
    masqueradeAll: true,
    localDetector: false,
    overrides: {
      'pod to ClusterIP': masqOn,
      'pod to ClusterIP with eTP:Local': masqOn,
      'pod to ClusterIP with iTP:Local': masqOn,
      'pod to NodePort with eTP:Local': podOnlyLocal,
      'pod to LB with eTP:Local': podOnlyLocal,
    },
  },
];

/** The case's flows: the base flows (those `keep` keeps) with its overrides applied, each override used. */
export function masqueradeCaseFlows(tc: MasqueradeCase, keep: (f: FlowTest) => boolean = () => true): FlowTest[] {
  let applied = 0;
  const flows = masqueradeFlows.filter(keep).map((f) => {
    const o = tc.overrides[f.name];
    if (!o) return f;
    applied++;
    return { ...f, ...o };
  });
  assert.equal(applied, Object.keys(tc.overrides).length, 'every override names a flow');
  return flows;
}
