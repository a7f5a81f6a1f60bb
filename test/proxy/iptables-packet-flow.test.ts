// Packet-flow tests modelled on kube-proxy's runPacketFlowTests (pkg/proxy/iptables/
// proxier_test.go). Services, endpoints and expected outputs/masquerade flags are transcribed
// from the named kube-proxy tests; each packet is traced through our rendered ruleset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readClusterFile } from '../../src/cluster/k8s-io.ts';
import { loadKubeProxyConfig } from '../../src/proxy/load-config.ts';
import { IptablesDataPlane } from '../../src/proxy/iptables/dataplane.ts';
import {
  type FlowTest,
  LOCAL_IPS,
  makeCluster,
  makePlane,
  makeService,
  makeSlice,
  runPacketFlowTests,
  testExternalClient,
  testExternalClientBlocked,
  testNodeIP,
  testNodeIPAlt,
  testNodeName,
  fakeProxyConfig,
  traceFlow,
} from './kube-proxy-test-env.ts';

const fixture = (name: string) => new URL(`../fixtures/iptables/${name}`, import.meta.url).pathname;

test('TestTracePacket cases on the TestOverallIPTablesRules cluster', () => {
  const plane = new IptablesDataPlane(
    readClusterFile(fixture('overall.cluster.json')).cluster,
    loadKubeProxyConfig(fixture('test-node.kube-proxy.yaml')),
  );
  runPacketFlowTests(plane, [
    { name: 'no match', sourceIP: '10.0.0.2', destIP: '10.0.0.3', destPort: 80, output: '' },
    { name: 'single endpoint', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: '10.180.0.1:80' },
    { name: 'multiple endpoints', sourceIP: '10.0.0.2', destIP: '172.30.0.44', destPort: 80, output: '10.180.0.4:80, 10.180.0.5:80' },
    { name: 'LOCAL, KUBE-MARK-MASQ', sourceIP: testNodeIP, destIP: '192.168.99.22', destPort: 80, output: '10.180.0.2:80', masq: true },
    { name: 'DROP', sourceIP: testExternalClient, destIP: '192.168.99.22', destPort: 80, output: 'DROP' },
    { name: 'ACCEPT (NodePortHealthCheck)', sourceIP: testNodeIP, destIP: testNodeIP, destPort: 30000, output: 'ACCEPT' },
    { name: 'REJECT', sourceIP: '10.0.0.2', destIP: '172.30.0.46', destPort: 80, output: 'REJECT' },
    // Not in TestTracePacket: ClientIP affinity (svc5) and its loadBalancerSourceRanges.
    { name: 'affinity service, pod to cluster IP', sourceIP: '10.0.0.2', destIP: '172.30.0.45', destPort: 80, output: '10.180.0.3:80' },
    { name: 'LB source range allowed', sourceIP: '203.0.113.7', destIP: '5.6.7.8', destPort: 80, output: '10.180.0.3:80', masq: true },
    { name: 'LB source range blocked', sourceIP: testExternalClientBlocked, destIP: '5.6.7.8', destPort: 80, output: 'DROP' },
  ]);
});

test('TestNoEndpointsReject', () => {
  const plane = makePlane([
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
  runPacketFlowTests(plane, [
    { name: 'pod to cluster IP with no endpoints', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: 'REJECT' },
    {
      name: 'external to external IP with no endpoints',
      sourceIP: testExternalClient,
      destIP: '192.168.99.11',
      destPort: 80,
      output: 'REJECT',
    },
    { name: 'pod to NodePort with no endpoints', sourceIP: '10.0.0.2', destIP: testNodeIP, destPort: 3001, output: 'REJECT' },
    { name: 'external to NodePort with no endpoints', sourceIP: testExternalClient, destIP: testNodeIP, destPort: 3001, output: 'REJECT' },
    { name: 'pod to LoadBalancer IP with no endpoints', sourceIP: '10.0.0.2', destIP: '1.2.3.4', destPort: 80, output: 'REJECT' },
    {
      name: 'external to LoadBalancer IP with no endpoints',
      sourceIP: testExternalClient,
      destIP: '1.2.3.4',
      destPort: 80,
      output: 'REJECT',
    },
  ]);
});

test('TestClusterIPGeneral: one and many endpoints, targetPort, named ports, TCP/UDP/SCTP, hairpin', () => {
  const plane = makePlane([
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
  runPacketFlowTests(plane, [
    { name: 'simple clusterIP', sourceIP: '10.180.0.2', destIP: '172.30.0.41', destPort: 80, output: '10.180.0.1:80' },
    { name: 'hairpin to cluster IP', sourceIP: '10.180.0.1', destIP: '172.30.0.41', destPort: 80, output: '10.180.0.1:80', masq: true },
    {
      name: 'clusterIP with multiple endpoints',
      sourceIP: '10.180.0.2',
      destIP: '172.30.0.42',
      destPort: 80,
      output: '10.180.0.1:80, 10.180.2.1:80',
    },
    {
      name: 'clusterIP with TargetPort',
      sourceIP: '10.180.0.2',
      destIP: '172.30.0.42',
      destPort: 443,
      output: '10.180.0.1:8443, 10.180.2.1:8443',
    },
    {
      name: 'same port (TCP)',
      sourceIP: '10.180.0.2',
      protocol: 'TCP',
      destIP: '172.30.0.42',
      destPort: 53,
      output: '10.180.0.1:5353, 10.180.2.1:5353',
    },
    {
      name: 'same port (UDP)',
      sourceIP: '10.180.0.2',
      protocol: 'UDP',
      destIP: '172.30.0.42',
      destPort: 53,
      output: '10.180.0.1:53, 10.180.2.1:53',
    },
    {
      name: 'same port (SCTP)',
      sourceIP: '10.180.0.2',
      protocol: 'SCTP',
      destIP: '172.30.0.42',
      destPort: 53,
      output: '10.180.0.1:53, 10.180.2.1:53',
    },
    {
      name: 'TCP-only port does not match UDP traffic',
      sourceIP: '10.180.0.2',
      protocol: 'UDP',
      destIP: '172.30.0.42',
      destPort: 80,
      output: '',
    },
    { name: "svc1 does not accept svc2's ports", sourceIP: '10.180.0.2', destIP: '172.30.0.41', destPort: 443, output: '' },
  ]);
});

test('TestLoadBalancer: loadBalancerSourceRanges', () => {
  const plane = makePlane([
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
  ]);
  const ep = '10.180.0.1:80';
  runPacketFlowTests(plane, [
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
    { name: 'accepted external to LB1', sourceIP: testExternalClient, destIP: '1.2.3.4', destPort: 80, output: ep, masq: true },
    { name: 'accepted external to LB2', sourceIP: testExternalClient, destIP: '5.6.7.8', destPort: 80, output: ep, masq: true },
    { name: 'blocked external to LB1', sourceIP: testExternalClientBlocked, destIP: '1.2.3.4', destPort: 80, output: 'DROP' },
    { name: 'blocked external to LB2', sourceIP: testExternalClientBlocked, destIP: '5.6.7.8', destPort: 80, output: 'DROP' },
    { name: 'pod to LB1 (blocked by LoadBalancerSourceRanges)', sourceIP: '10.0.0.2', destIP: '1.2.3.4', destPort: 80, output: 'DROP' },
    { name: 'pod to LB2 (blocked by LoadBalancerSourceRanges)', sourceIP: '10.0.0.2', destIP: '5.6.7.8', destPort: 80, output: 'DROP' },
    {
      name: 'node to LB1 (allowed by LoadBalancerSourceRanges)',
      sourceIP: testNodeIP,
      destIP: '1.2.3.4',
      destPort: 80,
      output: ep,
      masq: true,
    },
    {
      name: 'node to LB2 (allowed by LoadBalancerSourceRanges)',
      sourceIP: testNodeIP,
      destIP: '5.6.7.8',
      destPort: 80,
      output: ep,
      masq: true,
    },
    {
      name: 'same node to LB1, SNATted to LB1 (implicitly allowed)',
      sourceIP: '1.2.3.4',
      destIP: '1.2.3.4',
      destPort: 80,
      output: ep,
      masq: true,
    },
    {
      name: 'same node to LB2, SNATted to LB2 (implicitly allowed)',
      sourceIP: '5.6.7.8',
      destIP: '5.6.7.8',
      destPort: 80,
      output: ep,
      masq: true,
    },
  ]);
});

// TestNodePorts (its IPv4 cases): --nodeport-addresses and --iptables-localhost-nodeports.
for (const tc of [
  { name: 'localhost-nodeports enabled', localhostNodePorts: true, nodePortAddresses: null, allowAltNodeIP: true, expectFirewall: true },
  { name: 'localhost-nodeports disabled', localhostNodePorts: false, nodePortAddresses: null, allowAltNodeIP: true, expectFirewall: false },
  {
    name: 'localhost-nodeports disabled, localhost in nodeport-addresses',
    localhostNodePorts: false,
    nodePortAddresses: ['192.168.0.0/24', '127.0.0.1/32'],
    allowAltNodeIP: false,
    expectFirewall: false,
  },
  {
    name: 'localhost-nodeports enabled, multiple nodeport-addresses',
    localhostNodePorts: false,
    nodePortAddresses: ['192.168.0.0/24', '192.168.1.0/24', '2001:db8::/64'],
    allowAltNodeIP: true,
    expectFirewall: false,
  },
]) {
  test(`TestNodePorts: ipv4, ${tc.name}`, () => {
    const plane = makePlane(
      [
        makeService('ns1', 'svc1', {
          type: 'NodePort',
          clusterIP: '172.30.0.41',
          ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
        }),
        makeSlice('ns1', 'svc1', [{ ip: '10.180.0.1' }, { ip: '10.180.2.1', node: testNodeName }], [{ name: 'p80', port: 80 }]),
      ],
      {
        iptables: { localhostNodePorts: tc.localhostNodePorts },
        ...(tc.nodePortAddresses ? { nodePortAddresses: tc.nodePortAddresses } : {}),
      },
    );
    const output = '10.180.0.1:80, 10.180.2.1:80';
    runPacketFlowTests(plane, [
      { name: 'pod to cluster IP', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output },
      { name: 'external to nodePort', sourceIP: testExternalClient, destIP: testNodeIP, destPort: 3001, output, masq: true },
      { name: 'node to nodePort', sourceIP: testNodeIP, destIP: testNodeIP, destPort: 3001, output, masq: true },
      tc.localhostNodePorts
        ? { name: 'localhost to nodePort gets masqueraded', sourceIP: '127.0.0.1', destIP: '127.0.0.1', destPort: 3001, output, masq: true }
        : { name: 'localhost to nodePort is ignored', sourceIP: '127.0.0.1', destIP: '127.0.0.1', destPort: 3001, output: '' },
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
    ]);
    // Checked on the rules, as kube-proxy does, since the tracer has no conntrack states.
    const firewall = plane
      .restoreText()
      .split('\n')
      .filter((l) => l.startsWith('-A KUBE-FIREWALL '));
    assert.deepEqual(
      firewall,
      tc.expectFirewall
        ? [
            '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
          ]
        : [],
    );
  });
}

test('TestHealthCheckNodePort: accepted in filter, gone with the service', () => {
  const svc = makeService('ns1', 'svc1', {
    type: 'LoadBalancer',
    clusterIP: '172.30.0.42',
    externalTrafficPolicy: 'Local',
    healthCheckNodePort: 30000,
    ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
  });
  const plane = makePlane([svc], { nodePortAddresses: ['127.0.0.0/8'] });
  runPacketFlowTests(plane, [
    { name: 'firewall accepts HealthCheckNodePort', sourceIP: '1.2.3.4', destIP: testNodeIP, destPort: 30000, output: 'ACCEPT' },
  ]);
  plane.sync(makeCluster([]));
  runPacketFlowTests(plane, [
    { name: 'HealthCheckNodePort no longer has any rule', sourceIP: '1.2.3.4', destIP: testNodeIP, destPort: 30000, output: '' },
  ]);
});

const policyServices = (policy: 'Local' | 'Cluster') => [
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

test('TestExternalTrafficPolicyLocal: external traffic only to local endpoints, not masqueraded', () => {
  const both = '10.180.0.1:80, 10.180.2.1:80';
  const local = '10.180.2.1:80';
  runPacketFlowTests(makePlane(policyServices('Local')), [
    {
      name: 'pod to cluster IP hits both endpoints, unmasqueraded',
      sourceIP: '10.0.0.2',
      destIP: '172.30.0.41',
      destPort: 80,
      output: both,
    },
    {
      name: 'pod to external IP hits both endpoints, unmasqueraded',
      sourceIP: '10.0.0.2',
      destIP: '192.168.99.11',
      destPort: 80,
      output: both,
    },
    {
      name: 'external to external IP hits only local endpoint, unmasqueraded',
      sourceIP: testExternalClient,
      destIP: '192.168.99.11',
      destPort: 80,
      output: local,
    },
    { name: 'pod to LB IP hits only both endpoints, unmasqueraded', sourceIP: '10.0.0.2', destIP: '1.2.3.4', destPort: 80, output: both },
    {
      name: 'external to LB IP hits only local endpoint, unmasqueraded',
      sourceIP: testExternalClient,
      destIP: '1.2.3.4',
      destPort: 80,
      output: local,
    },
    { name: 'pod to NodePort hits both endpoints, unmasqueraded', sourceIP: '10.0.0.2', destIP: testNodeIP, destPort: 3001, output: both },
    {
      name: 'external to NodePort hits only local endpoint, unmasqueraded',
      sourceIP: testExternalClient,
      destIP: testNodeIP,
      destPort: 3001,
      output: local,
    },
  ]);
});

test('TestExternalTrafficPolicyCluster: external traffic to all endpoints, masqueraded', () => {
  const both = '10.180.0.1:80, 10.180.2.1:80';
  runPacketFlowTests(makePlane(policyServices('Cluster')), [
    {
      name: 'pod to cluster IP hits both endpoints, unmasqueraded',
      sourceIP: '10.0.0.2',
      destIP: '172.30.0.41',
      destPort: 80,
      output: both,
    },
    {
      name: 'pod to external IP hits both endpoints, masqueraded',
      sourceIP: '10.0.0.2',
      destIP: '192.168.99.11',
      destPort: 80,
      output: both,
      masq: true,
    },
    {
      name: 'external to external IP hits both endpoints, masqueraded',
      sourceIP: testExternalClient,
      destIP: '192.168.99.11',
      destPort: 80,
      output: both,
      masq: true,
    },
    {
      name: 'pod to LB IP hits both endpoints, masqueraded',
      sourceIP: '10.0.0.2',
      destIP: '1.2.3.4',
      destPort: 80,
      output: both,
      masq: true,
    },
    {
      name: 'external to LB IP hits both endpoints, masqueraded',
      sourceIP: testExternalClient,
      destIP: '1.2.3.4',
      destPort: 80,
      output: both,
      masq: true,
    },
    {
      name: 'pod to NodePort hits both endpoints, masqueraded',
      sourceIP: '10.0.0.2',
      destIP: testNodeIP,
      destPort: 3001,
      output: both,
      masq: true,
    },
    {
      name: 'external to NodePort hits both endpoints, masqueraded',
      sourceIP: testExternalClient,
      destIP: testNodeIP,
      destPort: 3001,
      output: both,
      masq: true,
    },
  ]);
});

for (const tc of [
  {
    name: 'internalTrafficPolicy is cluster',
    itp: 'Cluster' as const,
    eps: [
      ['10.0.1.1', testNodeName],
      ['10.0.1.2', 'node1'],
      ['10.0.1.3', 'node2'],
    ],
    output: '10.0.1.1:80, 10.0.1.2:80, 10.0.1.3:80',
  },
  {
    name: 'internalTrafficPolicy is local and there is one local endpoint',
    itp: 'Local' as const,
    eps: [
      ['10.0.1.1', testNodeName],
      ['10.0.1.2', 'node1'],
      ['10.0.1.3', 'node2'],
    ],
    output: '10.0.1.1:80',
  },
  {
    name: 'internalTrafficPolicy is local and there are multiple local endpoints',
    itp: 'Local' as const,
    eps: [
      ['10.0.1.1', testNodeName],
      ['10.0.1.2', testNodeName],
      ['10.0.1.3', 'node2'],
    ],
    output: '10.0.1.1:80, 10.0.1.2:80',
  },
  {
    name: 'internalTrafficPolicy is local and there are no local endpoints',
    itp: 'Local' as const,
    eps: [
      ['10.0.1.1', 'node0'],
      ['10.0.1.2', 'node1'],
      ['10.0.1.3', 'node2'],
    ],
    output: 'DROP',
  },
]) {
  test(`TestInternalTrafficPolicy: ${tc.name}`, () => {
    const svc = makeService('ns1', 'svc1', {
      clusterIP: '172.30.1.1',
      selector: { foo: 'bar' },
      internalTrafficPolicy: tc.itp,
      ports: [{ name: '', port: 80, protocol: 'TCP' }],
    });
    const slice = makeSlice(
      'ns1',
      'svc1',
      tc.eps.map(([ip, node]) => ({ ip, node, ready: true })),
      [{ name: '', port: 80 }],
    );
    const plane = makePlane([svc, slice]);
    runPacketFlowTests(plane, [{ name: 'pod to ClusterIP', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: tc.output }]);
    plane.sync(makeCluster([svc]));
    runPacketFlowTests(plane, [{ name: 'endpoints deleted', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: 'REJECT' }]);
  });
}

const rs = (ready: boolean, serving: boolean, terminating: boolean) => ({ ready, serving, terminating });
for (const tc of [
  {
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
  },
  {
    name: 'only terminating endpoints exist',
    eps: [
      { ip: '10.0.1.2', node: testNodeName, ...rs(false, true, true) },
      { ip: '10.0.1.3', node: testNodeName, ...rs(false, true, true) },
      { ip: '10.0.1.4', node: testNodeName, ...rs(false, false, true) },
      { ip: '10.0.1.5', node: 'node-1', ...rs(true, true, false) },
    ],
    clusterIP: '10.0.1.5:80',
    lb: '10.0.1.2:80, 10.0.1.3:80',
  },
  {
    name: 'terminating endpoints on remote node',
    eps: [{ ip: '10.0.1.5', node: 'node-1', ...rs(false, true, true) }],
    clusterIP: '10.0.1.5:80',
    lb: 'DROP',
  },
  {
    name: 'no usable endpoints on any node',
    eps: [
      { ip: '10.0.1.5', node: testNodeName, ...rs(false, false, true) },
      { ip: '10.0.1.5', node: 'node-1', ...rs(false, false, true) },
    ],
    clusterIP: 'REJECT',
    lb: 'REJECT',
  },
]) {
  test(`TestTerminatingEndpointsTrafficPolicyLocal: ${tc.name}`, () => {
    const svc = makeService(
      'ns1',
      'svc1',
      {
        clusterIP: '172.30.1.1',
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 30000,
        ports: [{ name: '', targetPort: 80, port: 80, protocol: 'TCP' }],
      },
      ['1.2.3.4'],
    );
    const plane = makePlane([svc, makeSlice('ns1', 'svc1', tc.eps, [{ name: '', port: 80 }])]);
    runPacketFlowTests(plane, [
      { name: 'pod to clusterIP', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: tc.clusterIP },
      { name: 'external to LB', sourceIP: testExternalClient, destIP: '1.2.3.4', destPort: 80, output: tc.lb },
    ]);
    plane.sync(makeCluster([svc]));
    runPacketFlowTests(plane, [
      { name: 'pod to clusterIP after endpoints deleted', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: 'REJECT' },
      { name: 'external to LB after endpoints deleted', sourceIP: testExternalClient, destIP: '1.2.3.4', destPort: 80, output: 'REJECT' },
    ]);
  });
}

// TestInternalExternalMasquerade: the same flows under masqueradeAll and without a
// local-traffic detector (clusterCIDR unset), with the test's per-case overrides.
const masqueradeServices = () => [
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
const masqueradeFlows: FlowTest[] = [
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
for (const tc of [
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
] as { name: string; masqueradeAll: boolean; localDetector: boolean; overrides: Record<string, Partial<FlowTest>> }[]) {
  test(`TestInternalExternalMasquerade: ${tc.name}`, () => {
    const plane = makePlane(masqueradeServices(), { masqueradeAll: tc.masqueradeAll, clusterCIDR: tc.localDetector ? '10.0.0.0/8' : '' });
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

test('lookup picks one of the traced endpoints, spreading by the statistic probabilities', async () => {
  const { Rng } = await import('../../src/engine/rng.ts');
  const { newLookupResult } = await import('../../src/proxy/types.ts');
  const { parseIPv4, formatIPv4 } = await import('../../src/util/ipv4.ts');
  const ips = ['10.180.0.1', '10.180.0.2', '10.180.0.3', '10.180.0.4'];
  const plane = makePlane([
    makeService('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP', targetPort: 8080 }] }),
    makeSlice(
      'ns1',
      'svc1',
      ips.map((ip) => ({ ip })),
      [{ name: 'p80', port: 8080 }],
    ),
  ]);
  const traced = traceFlow(plane, '10.0.0.2', '172.30.0.41', 80);
  assert.deepEqual(
    traced.endpoints,
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
});

test('lookup honours ClientIP affinity through -m recent, and it expires', async () => {
  const { Rng } = await import('../../src/engine/rng.ts');
  const { newLookupResult } = await import('../../src/proxy/types.ts');
  const { parseIPv4 } = await import('../../src/util/ipv4.ts');
  const plane = makePlane([
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
  const rng = new Rng(7);
  const out = newLookupResult();
  const pkt = { src: parseIPv4('10.0.0.9'), dst: parseIPv4('172.30.0.41'), proto: 6 as const, sport: 1, dport: 80 };
  plane.setNow(0);
  const first = plane.lookup(pkt, 'forwarded', rng, out).endpointIP;
  for (let t = 1; t <= 50; t++) {
    plane.setNow(t);
    assert.equal(plane.lookup(pkt, 'forwarded', rng, out).endpointIP, first, `sticky at t=${t}`);
  }
  // 60 s after the last connection the entry is stale: the choice is random again.
  const seen = new Set<number>();
  for (let k = 0; k < 40; k++) {
    plane.setNow(1000 + k * 100);
    seen.add(plane.lookup(pkt, 'forwarded', rng, out).endpointIP);
  }
  assert.ok(seen.size > 1, 'after the timeout other endpoints get picked');
});

test('the local-origin convention: a packet from a node address starts in nat OUTPUT', () => {
  const plane = makePlane(policyServices('Cluster'));
  const fromNode = traceFlow(plane, testNodeIP, '172.30.0.41', 80);
  assert.equal(fromNode.path[0], 'hook nat OUTPUT');
  assert.ok(LOCAL_IPS.has(testNodeIP));
  const fromPod = traceFlow(plane, '10.0.0.2', '172.30.0.41', 80);
  assert.equal(fromPod.path[0], 'hook nat PREROUTING');
  assert.ok(fromPod.path.includes('hook filter FORWARD'));
  assert.ok(fromPod.path.includes('hook nat POSTROUTING'));
  void fakeProxyConfig;
});

test('nodePortAddresses "primary": NodePorts only on the node IP', () => {
  const plane = makePlane(
    [
      makeService('ns1', 'svc1', {
        type: 'NodePort',
        clusterIP: '172.30.0.41',
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
      }),
      makeSlice('ns1', 'svc1', [{ ip: '10.180.0.1' }], [{ name: 'p80', port: 80 }]),
    ],
    { nodePortAddresses: ['primary'] },
  );
  runPacketFlowTests(plane, [
    {
      name: 'external to nodePort on the primary IP',
      sourceIP: testExternalClient,
      destIP: testNodeIP,
      destPort: 3001,
      output: '10.180.0.1:80',
      masq: true,
    },
    { name: 'external to nodePort on the secondary IP', sourceIP: testExternalClient, destIP: testNodeIPAlt, destPort: 3001, output: '' },
    {
      name: 'localhost NodePorts are off (127.0.0.1 is not in the list)',
      sourceIP: '127.0.0.1',
      destIP: '127.0.0.1',
      destPort: 3001,
      output: '',
    },
  ]);
});
