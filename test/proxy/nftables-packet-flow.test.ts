// kube-proxy's nftables packet-flow tests (pkg/proxy/nftables/proxier_test.go,
// runPacketFlowTests), transcribed: each packet is traced through the nftables data plane
// built by the mode's descriptor. The documented differences from iptables mode come from
// kube-proxy itself (docs/nftables.md): no localhost NodePorts, traffic to a ClusterIP's
// undefined port is rejected and to an unallocated ClusterIP dropped (cluster-ips-check), and
// no health-check NodePort accept rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readClusterFile } from '../../src/cluster/k8s-io.ts';
import { Rng } from '../../src/engine/rng.ts';
import { NftablesDataPlane } from '../../src/proxy/nftables/data-plane.ts';
import { newLookupResult } from '../../src/proxy/types.ts';
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
import { nftCluster, nftConfig, nftPlane } from './nftables-test-env.ts';

const fixture = (name: string) => new URL(`../fixtures/iptables/${name}`, import.meta.url).pathname;

test('flows on the TestOverallNFTablesRules table', () => {
  const plane = new NftablesDataPlane(readClusterFile(fixture('overall.cluster.json')).cluster, nftConfig());
  runPacketFlowTests(plane, [
    { name: 'no match', sourceIP: '10.0.0.2', destIP: '10.0.0.3', destPort: 80, output: '' },
    { name: 'single endpoint', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: '10.180.0.1:80' },
    { name: 'multiple endpoints', sourceIP: '10.0.0.2', destIP: '172.30.0.44', destPort: 80, output: '10.180.0.4:80, 10.180.0.5:80' },
    { name: 'local, masqueraded', sourceIP: testNodeIP, destIP: '192.168.99.22', destPort: 80, output: '10.180.0.2:80', masq: true },
    {
      name: 'eTP:Local without local endpoints drops',
      sourceIP: testExternalClient,
      destIP: '192.168.99.22',
      destPort: 80,
      output: 'DROP',
    },
    { name: 'no endpoints rejects', sourceIP: '10.0.0.2', destIP: '172.30.0.46', destPort: 80, output: 'REJECT' },
    { name: 'affinity service, pod to cluster IP', sourceIP: '10.0.0.2', destIP: '172.30.0.45', destPort: 80, output: '10.180.0.3:80' },
    { name: 'LB source range allowed', sourceIP: '203.0.113.7', destIP: '5.6.7.8', destPort: 80, output: '10.180.0.3:80', masq: true },
    { name: 'LB source range blocked', sourceIP: testExternalClientBlocked, destIP: '5.6.7.8', destPort: 80, output: 'DROP' },
    // nftables only: the health-check NodePort has no accept rule (nothing to trace), and an
    // undefined port of a ClusterIP is rejected.
    { name: 'health check NodePort', sourceIP: testNodeIP, destIP: testNodeIP, destPort: 30000, output: '' },
    { name: 'undefined port of a ClusterIP', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 81, output: 'REJECT' },
  ]);
});

test('TestNoEndpointsReject', () => {
  const plane = nftPlane([
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
  ]);
  const flows: [string, string, string, number][] = [
    ['pod to cluster IP with no endpoints', '10.0.0.2', '172.30.0.41', 80],
    ['external to external IP with no endpoints', testExternalClient, '192.168.99.11', 80],
    ['pod to NodePort with no endpoints', '10.0.0.2', testNodeIP, 3001],
    ['external to NodePort with no endpoints', testExternalClient, testNodeIP, 3001],
    ['pod to LoadBalancer IP with no endpoints', '10.0.0.2', '1.2.3.4', 80],
    ['external to LoadBalancer IP with no endpoints', testExternalClient, '1.2.3.4', 80],
  ];
  runPacketFlowTests(
    plane,
    flows.map(([name, sourceIP, destIP, destPort]) => ({ name, sourceIP, destIP, destPort, output: 'REJECT' })),
  );
});

test('TestClusterIPGeneral: endpoints, targetPort, TCP/UDP/SCTP, hairpin, wrong port rejected, unallocated IP dropped', () => {
  const plane = nftPlane([
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
  ]);
  const pod = '10.180.0.2';
  runPacketFlowTests(plane, [
    { name: 'simple clusterIP', sourceIP: pod, destIP: '172.30.0.41', destPort: 80, output: '10.180.0.1:80' },
    { name: 'hairpin to cluster IP', sourceIP: '10.180.0.1', destIP: '172.30.0.41', destPort: 80, output: '10.180.0.1:80', masq: true },
    {
      name: 'clusterIP with multiple endpoints',
      sourceIP: pod,
      destIP: '172.30.0.42',
      destPort: 80,
      output: '10.180.0.1:80, 10.180.2.1:80',
    },
    { name: 'clusterIP with TargetPort', sourceIP: pod, destIP: '172.30.0.42', destPort: 443, output: '10.180.0.1:8443, 10.180.2.1:8443' },
    {
      name: 'same port (TCP)',
      sourceIP: pod,
      protocol: 'TCP',
      destIP: '172.30.0.42',
      destPort: 53,
      output: '10.180.0.1:5353, 10.180.2.1:5353',
    },
    {
      name: 'same port (UDP)',
      sourceIP: pod,
      protocol: 'UDP',
      destIP: '172.30.0.42',
      destPort: 53,
      output: '10.180.0.1:53, 10.180.2.1:53',
    },
    {
      name: 'same port (SCTP)',
      sourceIP: pod,
      protocol: 'SCTP',
      destIP: '172.30.0.42',
      destPort: 53,
      output: '10.180.0.1:53, 10.180.2.1:53',
    },
    {
      name: 'TCP-only port does not match UDP traffic',
      sourceIP: pod,
      protocol: 'UDP',
      destIP: '172.30.0.42',
      destPort: 80,
      output: 'REJECT',
    },
    { name: "svc1 does not accept svc2's ports", sourceIP: pod, destIP: '172.30.0.41', destPort: 443, output: 'REJECT' },
    { name: 'packet to unallocated cluster ip', sourceIP: pod, destIP: '172.30.0.50', destPort: 80, output: 'DROP' },
  ]);
});

test('TestLoadBalancer: loadBalancerSourceRanges through firewall-ips, NodePorts not subject to them', () => {
  const plane = nftPlane([
    makeService(
      'ns1',
      'svc1',
      {
        type: 'LoadBalancer',
        clusterIP: '172.30.0.41',
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
        loadBalancerSourceRanges: ['192.168.0.0/24', ' 203.0.113.0/25'],
      },
      ['1.2.3.4', '5.6.7.8'],
    ),
    makeSlice('ns1', 'svc1', [{ ip: '10.180.0.1' }], [{ name: 'p80', port: 80 }]),
  ]);
  const ep = '10.180.0.1:80';
  const flows: FlowTest[] = [
    { name: 'pod to cluster IP', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: ep },
    { name: 'external to nodePort', sourceIP: testExternalClient, destIP: testNodeIP, destPort: 3001, output: ep, masq: true },
    {
      name: 'nodePort bypasses LoadBalancerSourceRanges',
      sourceIP: testExternalClientBlocked,
      destIP: testNodeIP,
      destPort: 3001,
      output: ep,
      masq: true,
    },
  ];
  for (const lb of ['1.2.3.4', '5.6.7.8']) {
    flows.push(
      { name: `accepted external to ${lb}`, sourceIP: testExternalClient, destIP: lb, destPort: 80, output: ep, masq: true },
      { name: `blocked external to ${lb}`, sourceIP: testExternalClientBlocked, destIP: lb, destPort: 80, output: 'DROP' },
      { name: `pod to ${lb} (blocked by LoadBalancerSourceRanges)`, sourceIP: '10.0.0.2', destIP: lb, destPort: 80, output: 'DROP' },
      {
        name: `node to ${lb} (allowed by LoadBalancerSourceRanges)`,
        sourceIP: testNodeIP,
        destIP: lb,
        destPort: 80,
        output: ep,
        masq: true,
      },
      { name: `same node to ${lb}, SNATted to ${lb} (implicitly allowed)`, sourceIP: lb, destIP: lb, destPort: 80, output: ep, masq: true },
    );
  }
  runPacketFlowTests(plane, flows);
});

// TestNodePorts (IPv4): the fake proxier's nodePortAddresses [192.168.0.2/32], then two /24s.
for (const tc of [
  { name: 'ipv4', nodePortAddresses: null, allowAltNodeIP: false },
  {
    name: 'ipv4, multiple nodeport-addresses',
    nodePortAddresses: ['192.168.0.0/24', '192.168.1.0/24', '2001:db8::/64'],
    allowAltNodeIP: true,
  },
]) {
  test(`TestNodePorts: ${tc.name}`, () => {
    const plane = nftPlane(
      [
        makeService('ns1', 'svc1', {
          type: 'NodePort',
          clusterIP: '172.30.0.41',
          ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
        }),
        makeSlice('ns1', 'svc1', [{ ip: '10.180.0.1' }, { ip: '10.180.2.1', node: testNodeName }], [{ name: 'p80', port: 80 }]),
      ],
      tc.nodePortAddresses ? { nodePortAddresses: tc.nodePortAddresses } : {},
    );
    const output = '10.180.0.1:80, 10.180.2.1:80';
    runPacketFlowTests(plane, [
      { name: 'pod to cluster IP', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output },
      { name: 'external to nodePort', sourceIP: testExternalClient, destIP: testNodeIP, destPort: 3001, output, masq: true },
      { name: 'node to nodePort', sourceIP: testNodeIP, destIP: testNodeIP, destPort: 3001, output, masq: true },
      tc.allowAltNodeIP
        ? {
            name: 'external to nodePort on secondary IP',
            sourceIP: testExternalClient,
            destIP: testNodeIPAlt,
            destPort: 3001,
            output,
            masq: true,
          }
        : { name: 'secondary nodeIP ignores NodePorts', sourceIP: testExternalClient, destIP: testNodeIPAlt, destPort: 3001, output: '' },
      // Not a kube-proxy case: nftables mode has no localhost NodePorts (iptables mode has them by default).
      { name: 'localhost to nodePort is not a NodePort', sourceIP: '127.0.0.1', destIP: '127.0.0.1', destPort: 3001, output: '' },
    ]);
  });
}

test('nodePortAddresses unset: NodePorts on every local address but 127.0.0.0/8 (fib daddr type local)', () => {
  const plane = nftPlane(
    [
      makeService('ns1', 'svc1', {
        type: 'NodePort',
        clusterIP: '172.30.0.41',
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
      }),
      makeSlice('ns1', 'svc1', [{ ip: '10.180.0.1' }], [{ name: 'p80', port: 80 }]),
    ],
    { nodePortAddresses: [] },
  );
  runPacketFlowTests(plane, [
    { name: 'primary IP', sourceIP: testExternalClient, destIP: testNodeIP, destPort: 3001, output: '10.180.0.1:80', masq: true },
    { name: 'secondary IP', sourceIP: testExternalClient, destIP: testNodeIPAlt, destPort: 3001, output: '10.180.0.1:80', masq: true },
    { name: 'localhost', sourceIP: '127.0.0.1', destIP: '127.0.0.1', destPort: 3001, output: '' },
  ]);
  assert.ok(!plane.render('nft-state').includes('nodeport-ips'), 'nodeport-ips is added then deleted');
});

const policyObjects = (policy: 'Local' | 'Cluster') => [
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
const both = '10.180.0.1:80, 10.180.2.1:80';

test('TestExternalTrafficPolicyLocal: external traffic only to local endpoints, not masqueraded', () => {
  const local = '10.180.2.1:80';
  runPacketFlowTests(nftPlane(policyObjects('Local')), [
    { name: 'pod to cluster IP', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: both },
    { name: 'pod to external IP', sourceIP: '10.0.0.2', destIP: '192.168.99.11', destPort: 80, output: both },
    { name: 'external to external IP', sourceIP: testExternalClient, destIP: '192.168.99.11', destPort: 80, output: local },
    { name: 'pod to LB IP', sourceIP: '10.0.0.2', destIP: '1.2.3.4', destPort: 80, output: both },
    { name: 'external to LB IP', sourceIP: testExternalClient, destIP: '1.2.3.4', destPort: 80, output: local },
    { name: 'pod to NodePort', sourceIP: '10.0.0.2', destIP: testNodeIP, destPort: 3001, output: both },
    { name: 'external to NodePort', sourceIP: testExternalClient, destIP: testNodeIP, destPort: 3001, output: local },
  ]);
});

test('TestExternalTrafficPolicyCluster: external traffic to all endpoints, masqueraded', () => {
  runPacketFlowTests(nftPlane(policyObjects('Cluster')), [
    { name: 'pod to cluster IP', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: both },
    { name: 'pod to external IP', sourceIP: '10.0.0.2', destIP: '192.168.99.11', destPort: 80, output: both, masq: true },
    { name: 'external to external IP', sourceIP: testExternalClient, destIP: '192.168.99.11', destPort: 80, output: both, masq: true },
    { name: 'pod to LB IP', sourceIP: '10.0.0.2', destIP: '1.2.3.4', destPort: 80, output: both, masq: true },
    { name: 'external to LB IP', sourceIP: testExternalClient, destIP: '1.2.3.4', destPort: 80, output: both, masq: true },
    { name: 'pod to NodePort', sourceIP: '10.0.0.2', destIP: testNodeIP, destPort: 3001, output: both, masq: true },
    { name: 'external to NodePort', sourceIP: testExternalClient, destIP: testNodeIP, destPort: 3001, output: both, masq: true },
  ]);
});

for (const tc of [
  { name: 'cluster', itp: 'Cluster', nodes: [testNodeName, 'node1', 'node2'], output: '10.0.1.1:80, 10.0.1.2:80, 10.0.1.3:80' },
  { name: 'local, one local endpoint', itp: 'Local', nodes: [testNodeName, 'node1', 'node2'], output: '10.0.1.1:80' },
  {
    name: 'local, multiple local endpoints',
    itp: 'Local',
    nodes: [testNodeName, testNodeName, 'node2'],
    output: '10.0.1.1:80, 10.0.1.2:80',
  },
  { name: 'local, no local endpoints', itp: 'Local', nodes: ['node0', 'node1', 'node2'], output: 'DROP' },
]) {
  test(`TestInternalTrafficPolicy: ${tc.name}, then endpoints deleted (a partial sync)`, () => {
    const svc = makeService('ns1', 'svc1', {
      clusterIP: '172.30.1.1',
      internalTrafficPolicy: tc.itp as 'Local' | 'Cluster',
      ports: [{ name: '', port: 80, protocol: 'TCP' }],
    });
    const slice = makeSlice(
      'ns1',
      'svc1',
      tc.nodes.map((node, i) => ({ ip: `10.0.1.${i + 1}`, node, ready: true })),
      [{ name: '', port: 80 }],
    );
    const plane = nftPlane([svc, slice]);
    runPacketFlowTests(plane, [{ name: 'pod to ClusterIP', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: tc.output }]);
    plane.sync(nftCluster([svc]));
    assert.equal(plane.lastWork.fullSync, false);
    runPacketFlowTests(plane, [{ name: 'endpoints deleted', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: 'REJECT' }]);
  });
}

const rs = (ready: boolean, serving: boolean, terminating: boolean) => ({ ready, serving, terminating });
const terminatingCases: {
  policy: 'Local' | 'Cluster';
  name: string;
  eps: EndpointSpec[];
  clusterIP: string;
  lb: string;
  lbMasq: boolean;
}[] = [
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
];
for (const policy of ['Local', 'Cluster'] as const) {
  terminatingCases.push({
    policy,
    name: 'no usable endpoints on any node',
    eps: [
      { ip: '10.0.1.5', node: testNodeName, ...rs(false, false, true) },
      { ip: '10.0.1.5', node: 'node-1', ...rs(false, false, true) },
    ],
    clusterIP: 'REJECT',
    lb: 'REJECT',
    lbMasq: false,
  });
}
for (const tc of terminatingCases) {
  test(`TestTerminatingEndpointsTrafficPolicy${tc.policy}: ${tc.name}`, () => {
    const svc = makeService(
      'ns1',
      'svc1',
      {
        clusterIP: '172.30.1.1',
        type: 'LoadBalancer',
        externalTrafficPolicy: tc.policy,
        healthCheckNodePort: 30000,
        ports: [{ name: '', targetPort: 80, port: 80, protocol: 'TCP' }],
      },
      ['1.2.3.4'],
    );
    const plane = nftPlane([svc, makeSlice('ns1', 'svc1', tc.eps, [{ name: '', port: 80 }])]);
    runPacketFlowTests(plane, [
      { name: 'pod to clusterIP', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: tc.clusterIP },
      { name: 'external to LB', sourceIP: testExternalClient, destIP: '1.2.3.4', destPort: 80, output: tc.lb, masq: tc.lbMasq },
    ]);
    plane.sync(nftCluster([svc]));
    runPacketFlowTests(plane, [
      { name: 'pod to clusterIP after endpoints deleted', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: 'REJECT' },
      { name: 'external to LB after endpoints deleted', sourceIP: testExternalClient, destIP: '1.2.3.4', destPort: 80, output: 'REJECT' },
    ]);
  });
}

// TestInternalExternalMasquerade: three LoadBalancer services (plain, eTP:Local, iTP:Local),
// each with a local and a remote endpoint; the nftables test has no localhost cases.
const masqueradeObjects = () =>
  (
    [
      ['ns1', 'svc1', '172.30.0.41', 3001, '1.2.3.4', {}],
      ['ns2', 'svc2', '172.30.0.42', 3002, '5.6.7.8', { externalTrafficPolicy: 'Local' }],
      ['ns3', 'svc3', '172.30.0.43', 3003, '9.10.11.12', { internalTrafficPolicy: 'Local' }],
    ] as const
  ).flatMap(([ns, name, clusterIP, nodePort, lb, policy], i) => [
    makeService(
      ns,
      name,
      {
        type: 'LoadBalancer',
        clusterIP,
        healthCheckNodePort: 30001 + i,
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort }],
        ...policy,
      },
      [lb],
    ),
    makeSlice(
      ns,
      name,
      [
        { ip: `10.180.0.${i + 1}`, node: testNodeName },
        { ip: `10.180.1.${i + 1}`, node: 'remote' },
      ],
      [{ name: 'p80', port: 80 }],
    ),
  ]);
const e1 = '10.180.0.1:80, 10.180.1.1:80';
const e2 = '10.180.0.2:80, 10.180.1.2:80';
const e3 = '10.180.0.3:80, 10.180.1.3:80';
const EXT = testExternalClient;
const masqueradeFlows: FlowTest[] = [
  { name: 'pod to ClusterIP', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: e1, masq: false },
  { name: 'pod to NodePort', sourceIP: '10.0.0.2', destIP: testNodeIP, destPort: 3001, output: e1, masq: true },
  { name: 'pod to LB', sourceIP: '10.0.0.2', destIP: '1.2.3.4', destPort: 80, output: e1, masq: true },
  { name: 'node to ClusterIP', sourceIP: testNodeIP, destIP: '172.30.0.41', destPort: 80, output: e1, masq: true },
  { name: 'node to NodePort', sourceIP: testNodeIP, destIP: testNodeIP, destPort: 3001, output: e1, masq: true },
  { name: 'node to LB', sourceIP: testNodeIP, destIP: '1.2.3.4', destPort: 80, output: e1, masq: true },
  { name: 'external to ClusterIP', sourceIP: EXT, destIP: '172.30.0.41', destPort: 80, output: e1, masq: true },
  { name: 'external to NodePort', sourceIP: EXT, destIP: testNodeIP, destPort: 3001, output: e1, masq: true },
  { name: 'external to LB', sourceIP: EXT, destIP: '1.2.3.4', destPort: 80, output: e1, masq: true },
  { name: 'pod to ClusterIP with eTP:Local', sourceIP: '10.0.0.2', destIP: '172.30.0.42', destPort: 80, output: e2, masq: false },
  { name: 'pod to NodePort with eTP:Local', sourceIP: '10.0.0.2', destIP: testNodeIP, destPort: 3002, output: e2, masq: false },
  { name: 'pod to LB with eTP:Local', sourceIP: '10.0.0.2', destIP: '5.6.7.8', destPort: 80, output: e2, masq: false },
  { name: 'node to ClusterIP with eTP:Local', sourceIP: testNodeIP, destIP: '172.30.0.42', destPort: 80, output: e2, masq: true },
  // (kube-proxy's case uses port 3001 here, svc1's NodePort; transcribed as written.)
  { name: 'node to NodePort with eTP:Local', sourceIP: testNodeIP, destIP: testNodeIP, destPort: 3001, output: e1, masq: true },
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
  { name: 'node to LB with iTP:Local', sourceIP: testNodeIP, destIP: '9.10.11.12', destPort: 80, output: e3, masq: true },
  { name: 'external to ClusterIP with iTP:Local', sourceIP: EXT, destIP: '172.30.0.43', destPort: 80, output: '10.180.0.3:80', masq: true },
  { name: 'external to NodePort with iTP:Local', sourceIP: EXT, destIP: testNodeIP, destPort: 3003, output: e3, masq: true },
  { name: 'external to LB with iTP:Local', sourceIP: EXT, destIP: '9.10.11.12', destPort: 80, output: e3, masq: true },
];
const noMasq = { masq: false };
const masqOn = { masq: true };
const podOnlyLocal = { output: '10.180.0.2:80' };
for (const tc of [
  { name: 'base', masqueradeAll: false, localDetector: true, overrides: {} },
  {
    name: 'no LocalTrafficDetector',
    masqueradeAll: false,
    localDetector: false,
    overrides: {
      'node to ClusterIP': noMasq,
      'node to ClusterIP with eTP:Local': noMasq,
      'node to ClusterIP with iTP:Local': noMasq,
      'external to ClusterIP': noMasq,
      'external to ClusterIP with eTP:Local': noMasq,
      'external to ClusterIP with iTP:Local': noMasq,
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
] as { name: string; masqueradeAll: boolean; localDetector: boolean; overrides: Record<string, Partial<FlowTest>> }[]) {
  test(`TestInternalExternalMasquerade: ${tc.name}`, () => {
    const plane = nftPlane(masqueradeObjects(), { masqueradeAll: tc.masqueradeAll, clusterCIDR: tc.localDetector ? '10.0.0.0/8' : '' });
    let applied = 0;
    const flows = masqueradeFlows.map((f) => {
      const o = tc.overrides[f.name];
      if (!o) return f;
      applied++;
      return { ...f, ...o };
    });
    assert.equal(applied, Object.keys(tc.overrides).length, 'every override names a flow');
    runPacketFlowTests(plane, flows);
  });
}

test('lookup picks one of the traced endpoints, uniformly (numgen random mod N)', () => {
  const ips = ['10.180.0.1', '10.180.0.2', '10.180.0.3', '10.180.0.4'];
  const plane = nftPlane([
    makeService('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP', targetPort: 8080 }] }),
    makeSlice(
      'ns1',
      'svc1',
      ips.map((ip) => ({ ip })),
      [{ name: 'p80', port: 8080 }],
    ),
  ]);
  assert.deepEqual(
    traceFlow(plane, '10.0.0.2', '172.30.0.41', 80).endpoints,
    ips.map((ip) => `${ip}:8080`),
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
  for (const ip of ips) {
    const share = (counts.get(ip) ?? 0) / N;
    assert.ok(Math.abs(share - 0.25) < 0.03, `${ip} got ${share} of the connections`);
  }
  assert.equal(out.masquerade, false);
  // A first packet: firewall-check, services, the service chain, one endpoint chain, then the
  // forward filter chains and masquerading: a fixed handful of rules and map lookups.
  assert.ok(out.rulesEvaluated > 5 && out.rulesEvaluated < 20, String(out.rulesEvaluated));
  assert.ok(out.hashProbes >= 4 && out.hashProbes <= 6, String(out.hashProbes));
});

test('lookup honours ClientIP affinity (update @affinity-... { ip saddr }), and it times out', () => {
  const plane = nftPlane([
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
  ]);
  assert.match(plane.render('nft-state'), /flags dynamic,timeout ; timeout 60s ;/);
  const rng = new Rng(7);
  const out = newLookupResult();
  const pkt = { src: parseIPv4('10.0.0.9'), dst: parseIPv4('172.30.0.41'), proto: 6 as const, sport: 1, dport: 80 };
  plane.setNow(0);
  const first = plane.lookup(pkt, 'forwarded', rng, out).endpointIP;
  for (let t = 1; t <= 50; t++) {
    plane.setNow(t);
    assert.equal(plane.lookup(pkt, 'forwarded', rng, out).endpointIP, first, `sticky at t=${t}`);
  }
  const seen = new Set<number>();
  for (let k = 0; k < 40; k++) {
    plane.setNow(1000 + k * 100);
    seen.add(plane.lookup(pkt, 'forwarded', rng, out).endpointIP);
  }
  assert.ok(seen.size > 1, 'after the timeout other endpoints get picked');
  // The tracer has no connection history: every endpoint is explored.
  assert.equal(traceFlow(plane, '10.0.0.9', '172.30.0.41', 80).endpoints.length, 3);
});

test('trace path names the hooks, the chains and the map hits', () => {
  const plane = nftPlane(policyObjects('Cluster'));
  const r = traceFlow(plane, '10.0.0.2', '172.30.0.41', 80);
  assert.equal(r.path[0], 'hook prerouting: filter-prerouting-pre-dnat (filter, priority -110)');
  assert.ok(
    r.path.some((s) => /^services #1 .* vmap @service-ips: 172\.30\.0\.41 \. tcp \. 80 -> goto service-/.test(s)),
    r.path.join('\n'),
  );
  assert.ok(r.path.some((s) => s.includes('numgen random mod 2 vmap') && s.includes('exploring all 2')));
  assert.ok(r.path.includes('hook forward: filter-forward (filter, priority 0)'));
  assert.ok(r.path.some((s) => s.startsWith('firewall-check #1') && s.endsWith('no element')));
  const fromNode = traceFlow(plane, testNodeIP, '172.30.0.41', 80);
  assert.equal(fromNode.path[0], 'hook output: filter-output-pre-dnat (filter, priority -110)');
});
