// Packet-flow tests modelled on kube-proxy's runPacketFlowTests (pkg/proxy/iptables/
// proxier_test.go). Services, endpoints and expected outputs/masquerade flags are transcribed
// from the named kube-proxy tests; each packet is traced through our rendered ruleset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readClusterFile } from '../../src/cluster/k8s-io.ts';
import { loadKubeProxyConfig } from '../../src/proxy/load-config.ts';
import { IptablesDataPlane } from '../../src/proxy/iptables/dataplane.ts';
import {
  policyAndMasqueradeTests,
  clusterIPGeneralFlows,
  clusterIPGeneralObjects,
  affinityObjects,
  checkAffinityLookup,
  checkUniformLookup,
  loadBalancerFlows,
  loadBalancerObjects,
  noEndpointsFlows,
  noEndpointsObjects,
  nodePortFlows,
  nodePortObjects,
  policyServices,
  uniformObjects,
} from './kube-proxy-cases.ts';
import {
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
  runPacketFlowTests(makePlane(noEndpointsObjects()), noEndpointsFlows);
});

test('TestClusterIPGeneral: one and many endpoints, targetPort, named ports, TCP/UDP/SCTP, hairpin', () => {
  // iptables mode lets a packet to a port the ClusterIP does not serve pass untouched.
  runPacketFlowTests(makePlane(clusterIPGeneralObjects()), clusterIPGeneralFlows(''));
});

test('TestLoadBalancer: loadBalancerSourceRanges', () => {
  runPacketFlowTests(makePlane(loadBalancerObjects()), loadBalancerFlows);
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
    const plane = makePlane(nodePortObjects(), {
      iptables: { localhostNodePorts: tc.localhostNodePorts },
      ...(tc.nodePortAddresses ? { nodePortAddresses: tc.nodePortAddresses } : {}),
    });
    runPacketFlowTests(
      plane,
      nodePortFlows(tc.allowAltNodeIP, (output) =>
        tc.localhostNodePorts
          ? {
              name: 'localhost to nodePort gets masqueraded',
              sourceIP: '127.0.0.1',
              destIP: '127.0.0.1',
              destPort: 3001,
              output,
              masq: true,
            }
          : { name: 'localhost to nodePort is ignored', sourceIP: '127.0.0.1', destIP: '127.0.0.1', destPort: 3001, output: '' },
      ),
    );
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

policyAndMasqueradeTests({ plane: makePlane, cluster: makeCluster });

test('lookup picks one of the traced endpoints, spreading by the statistic probabilities', () => {
  checkUniformLookup(makePlane(uniformObjects()));
});

test('lookup honours ClientIP affinity through -m recent, and it expires', () => {
  checkAffinityLookup(makePlane(affinityObjects()));
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
