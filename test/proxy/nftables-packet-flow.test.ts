// kube-proxy's nftables packet-flow tests (pkg/proxy/nftables/proxier_test.go,
// runPacketFlowTests), transcribed: each packet is traced through the nftables data plane
// built by the mode's descriptor. The documented differences from iptables mode come from
// kube-proxy itself (docs/nftables.md): no localhost NodePorts, traffic to a ClusterIP's
// undefined port is rejected and to an unallocated ClusterIP dropped (cluster-ips-check), and
// no health-check NodePort accept rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readClusterFile } from '../../src/cluster/k8s-io.ts';
import { NftablesDataPlane } from '../../src/proxy/nftables/data-plane.ts';
import {
  makeService,
  makeSlice,
  runPacketFlowTests,
  testExternalClient,
  testExternalClientBlocked,
  testNodeIP,
  testNodeIPAlt,
  traceFlow,
} from './kube-proxy-test-env.ts';
import {
  policyAndMasqueradeTests,
  affinityObjects,
  checkAffinityLookup,
  checkUniformLookup,
  clusterIPGeneralFlows,
  clusterIPGeneralObjects,
  loadBalancerFlows,
  loadBalancerObjects,
  noEndpointsFlows,
  noEndpointsObjects,
  nodePortFlows,
  nodePortObjects,
  policyServices,
  uniformObjects,
} from './kube-proxy-cases.ts';
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
  runPacketFlowTests(nftPlane(noEndpointsObjects()), noEndpointsFlows);
});

test('TestClusterIPGeneral: endpoints, targetPort, TCP/UDP/SCTP, hairpin, wrong port rejected, unallocated IP dropped', () => {
  runPacketFlowTests(nftPlane(clusterIPGeneralObjects()), [
    ...clusterIPGeneralFlows('REJECT'),
    { name: 'packet to unallocated cluster ip', sourceIP: '10.180.0.2', destIP: '172.30.0.50', destPort: 80, output: 'DROP' },
  ]);
});

test('TestLoadBalancer: loadBalancerSourceRanges through firewall-ips, NodePorts not subject to them', () => {
  runPacketFlowTests(nftPlane(loadBalancerObjects()), loadBalancerFlows);
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
    const plane = nftPlane(nodePortObjects(), tc.nodePortAddresses ? { nodePortAddresses: tc.nodePortAddresses } : {});
    // Not a kube-proxy case: nftables mode has no localhost NodePorts (iptables mode has them by default).
    const localhost = () => ({
      name: 'localhost to nodePort is not a NodePort',
      sourceIP: '127.0.0.1',
      destIP: '127.0.0.1',
      destPort: 3001,
      output: '',
    });
    runPacketFlowTests(plane, nodePortFlows(tc.allowAltNodeIP, localhost));
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

// Deleting the endpoints is a partial sync here. TestInternalExternalMasquerade: the nftables
// test's cases are the iptables ones without the flows from 127.0.0.1 (no localhost NodePorts).
policyAndMasqueradeTests({ plane: nftPlane, cluster: nftCluster }, (f) => f.sourceIP !== '127.0.0.1');

test('lookup picks one of the traced endpoints, uniformly (numgen random mod N)', () => {
  const out = checkUniformLookup(nftPlane(uniformObjects()));
  // A first packet: firewall-check, services, the service chain, one endpoint chain, then the
  // forward filter chains and masquerading: a fixed handful of rules and map lookups.
  assert.ok(out.rulesEvaluated > 5 && out.rulesEvaluated < 20, String(out.rulesEvaluated));
  assert.ok(out.hashProbes >= 4 && out.hashProbes <= 6, String(out.hashProbes));
});

test('lookup honours ClientIP affinity (update @affinity-... { ip saddr }), and it times out', () => {
  const plane = nftPlane(affinityObjects());
  assert.match(plane.render('nft-state'), /flags dynamic,timeout ; timeout 60s ;/);
  checkAffinityLookup(plane);
  // The tracer has no connection history: every endpoint is explored.
  assert.equal(traceFlow(plane, '10.0.0.9', '172.30.0.41', 80).endpoints.length, 3);
});

test('trace path names the hooks, the chains and the map hits', () => {
  const plane = nftPlane(policyServices('Cluster'));
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
