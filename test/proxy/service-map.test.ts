// kube-proxy's view of a cluster for one node: ServicePort entries and endpoint categories
// (pkg/proxy/serviceport.go, endpointslicecache.go, topology.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildServiceMap, categorizeEndpoints, nodeView } from '../../src/proxy/service-map.ts';
import { formatIPv4 } from '../../src/util/ipv4.ts';
import { InputError } from '../../src/util/errors.ts';
import { makeCluster, makeService, makeSlice, testNodeName } from './kube-proxy-test-env.ts';

test('ServicePortName as kube-proxy formats it; headless and ExternalName skipped', () => {
  const cluster = makeCluster([
    makeService('ns1', 'named', {
      clusterIP: '172.30.0.1',
      ports: [
        { name: 'p80', port: 80 },
        { name: 'dns', port: 53, protocol: 'UDP' },
      ],
    }),
    makeService('ns1', 'unnamed', { clusterIP: '172.30.0.2', ports: [{ port: 8080, protocol: 'SCTP' }] }),
    makeService('ns1', 'headless', { clusterIP: 'None', ports: [{ name: 'p', port: 1 }] }),
    makeService('ns1', 'extname', {
      type: 'ExternalName',
      externalName: 'example.com',
      clusterIP: '172.30.0.3',
      ports: [{ name: 'p', port: 1 }],
    }),
    makeService('ns1', 'v6only', { clusterIP: 'fd00::1', clusterIPs: ['fd00::1'], ports: [{ name: 'p', port: 1 }] }),
    makeService('ns1', 'dual', { clusterIP: 'fd00::2', clusterIPs: ['fd00::2', '172.30.0.4'], ports: [{ name: 'p', port: 1 }] }),
  ]);
  const map = buildServiceMap(cluster, testNodeName);
  assert.deepEqual(
    map.map((s) => `${s.name} ${s.protocol} ${formatIPv4(s.clusterIP)}:${s.port}`),
    [
      'ns1/named:p80 TCP 172.30.0.1:80',
      'ns1/named:dns UDP 172.30.0.1:53',
      'ns1/unnamed SCTP 172.30.0.2:8080',
      'ns1/dual:p TCP 172.30.0.4:1',
    ],
  );
});

test('service fields: affinity timeout, LB VIPs (ipMode Proxy skipped), trimmed source ranges, health check only for LB + Local', () => {
  const lb = makeService('ns', 'lb', {
    type: 'LoadBalancer',
    clusterIP: '172.30.0.1',
    externalTrafficPolicy: 'Local',
    healthCheckNodePort: 30000,
    sessionAffinity: 'ClientIP',
    externalIPs: ['192.168.99.1', 'fd00::9'],
    loadBalancerSourceRanges: [' 203.0.113.0/25', '10.0.0.0/8 '],
    ports: [{ name: 'p', port: 80, nodePort: 30080 }],
  });
  lb.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { ip: '5.6.7.8', ipMode: 'Proxy' }, { hostname: 'lb.example.com' }] } };
  const np = makeService('ns', 'np', {
    type: 'NodePort',
    clusterIP: '172.30.0.2',
    externalTrafficPolicy: 'Local',
    healthCheckNodePort: 30001,
    internalTrafficPolicy: 'Local',
    ports: [{ name: 'p', port: 80, nodePort: 30081 }],
  });
  const ci = makeService('ns', 'ci', { clusterIP: '172.30.0.3', externalTrafficPolicy: 'Local', ports: [{ name: 'p', port: 80 }] });
  const [l, n, c] = buildServiceMap(makeCluster([lb, np, ci]), testNodeName);
  assert.equal(l.sessionAffinity, 'ClientIP');
  assert.equal(l.stickyMaxAgeSeconds, 10800);
  assert.deepEqual(l.loadBalancerVIPs.map(formatIPv4), ['1.2.3.4']);
  assert.deepEqual(l.externalIPs.map(formatIPv4), ['192.168.99.1']);
  assert.deepEqual(
    l.loadBalancerSourceRanges.map((r) => r.prefix),
    [25, 8],
  );
  assert.equal(l.healthCheckNodePort, 30000);
  assert.deepEqual([l.externalPolicyLocal, l.externallyAccessible, l.usesClusterEndpoints, l.usesLocalEndpoints], [true, true, true, true]);
  assert.equal(n.healthCheckNodePort, 0, 'health check node ports are for LoadBalancer services only');
  assert.deepEqual([n.internalPolicyLocal, n.usesClusterEndpoints, n.usesLocalEndpoints], [true, true, true]);
  // A ClusterIP service without external IPs is not externally accessible: eTP does not apply.
  assert.deepEqual([c.externalPolicyLocal, c.externallyAccessible, c.usesLocalEndpoints], [false, false, false]);
});

test('endpoints: port by name and protocol, first address, dedupe preferring non-terminating, sorted by "ip:port" string', () => {
  const svc = makeService('ns', 's', {
    clusterIP: '172.30.0.1',
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    ],
  });
  const a = makeSlice(
    'ns',
    's',
    [{ ip: '10.0.0.10', node: testNodeName }, { ip: '10.0.0.9', terminating: true, ready: false, serving: true }, { ip: '10.0.0.100' }],
    [
      { name: 'dns', port: 5353, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    ],
  );
  const b = makeSlice(
    'ns',
    's',
    [{ ip: '10.0.0.9', node: 'other' }],
    [
      { name: 'dns', port: 5353, protocol: 'UDP' },
      { name: 'dns', port: 9999, protocol: 'TCP' },
    ],
  );
  b.metadata.name = 's-2';
  const v6 = makeSlice('ns', 's', [{ ip: '10.0.0.77' }], [{ name: 'dns', port: 5353, protocol: 'UDP' }]);
  v6.addressType = 'IPv6';
  v6.metadata.name = 's-v6';
  const [udp, tcp] = buildServiceMap(makeCluster([svc, a, b, v6]), testNodeName);
  // String order: "10.0.0.100:5353" < "10.0.0.10:5353" < "10.0.0.9:5353".
  assert.deepEqual(
    udp.endpoints.map((e) => e.key),
    ['10.0.0.100:5353', '10.0.0.10:5353', '10.0.0.9:5353'],
  );
  const nine = udp.endpoints.find((e) => e.ipText === '10.0.0.9')!;
  assert.deepEqual([nine.terminating, nine.ready, nine.nodeName], [false, true, 'other'], 'the non-terminating copy wins');
  assert.deepEqual(
    udp.endpoints.map((e) => e.isLocal),
    [false, true, false],
  );
  assert.deepEqual(
    tcp.endpoints.map((e) => e.key),
    ['10.0.0.100:53', '10.0.0.10:53', '10.0.0.9:53'],
  );
});

test('categorizeEndpoints: ready first, serving+terminating only when none is ready, separately for Local', () => {
  const svc = makeService('ns', 's', {
    type: 'NodePort',
    clusterIP: '172.30.0.1',
    externalTrafficPolicy: 'Local',
    ports: [{ name: 'p', port: 80, nodePort: 30080 }],
  });
  const slice = makeSlice(
    'ns',
    's',
    [
      { ip: '10.0.0.1', node: 'remote' },
      { ip: '10.0.0.2', node: testNodeName, ready: false, serving: true, terminating: true },
      { ip: '10.0.0.3', node: testNodeName, ready: false, serving: false, terminating: true },
    ],
    [{ name: 'p', port: 80 }],
  );
  const [sp] = buildServiceMap(makeCluster([svc, slice]), testNodeName);
  const c = categorizeEndpoints(sp, testNodeName);
  assert.deepEqual(
    c.clusterEndpoints!.map((e) => e.ipText),
    ['10.0.0.1'],
  );
  assert.deepEqual(
    c.localEndpoints!.map((e) => e.ipText),
    ['10.0.0.2'],
    'no local ready endpoint: the serving terminating one',
  );
  assert.deepEqual(
    c.allReachable.map((e) => e.ipText),
    ['10.0.0.1', '10.0.0.2'],
  );
  assert.equal(c.hasAnyEndpoints, true);

  const none = makeSlice('ns', 's', [{ ip: '10.0.0.3', ready: false, serving: false, terminating: true }], [{ name: 'p', port: 80 }]);
  const [sp2] = buildServiceMap(makeCluster([svc, none]), testNodeName);
  assert.equal(categorizeEndpoints(sp2, testNodeName).hasAnyEndpoints, false);
});

test('categorizeEndpoints: zone hints restrict cluster endpoints when every ready endpoint has one', () => {
  const svc = makeService('ns', 's', { clusterIP: '172.30.0.1', ports: [{ name: 'p', port: 80 }] });
  const slice = makeSlice('ns', 's', [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], [{ name: 'p', port: 80 }]);
  slice.endpoints![0].hints = { forZones: [{ name: 'zone-a' }] };
  slice.endpoints![1].hints = { forZones: [{ name: 'zone-b' }] };
  const [sp] = buildServiceMap(makeCluster([svc, slice]), testNodeName);
  assert.deepEqual(
    categorizeEndpoints(sp, testNodeName, 'zone-a').clusterEndpoints!.map((e) => e.ipText),
    ['10.0.0.1'],
  );
  assert.deepEqual(
    categorizeEndpoints(sp, testNodeName, 'zone-c').clusterEndpoints!.map((e) => e.ipText),
    ['10.0.0.1', '10.0.0.2'],
    'no hint for this zone: ignored',
  );
  assert.deepEqual(
    categorizeEndpoints(sp, testNodeName, '').clusterEndpoints!.map((e) => e.ipText),
    ['10.0.0.1', '10.0.0.2'],
  );
});

test('nodeView: the node must exist; its addresses plus 127.0.0.1 are local', () => {
  const cluster = makeCluster([]);
  const v = nodeView(cluster, testNodeName);
  assert.equal(formatIPv4(v.primaryIP), '192.168.0.2');
  assert.deepEqual([...v.localIPs].map(formatIPv4), ['192.168.0.2', '192.168.1.2', '192.168.99.11', '127.0.0.1']);
  assert.throws(
    () => nodeView(cluster, 'nope', 'kp.yaml'),
    (e: unknown) =>
      e instanceof InputError && /kp\.yaml: hostnameOverride: node "nope" is not in the cluster \(nodes: test-node\)/.test(e.message),
  );
  assert.throws(() => nodeView(cluster, ''), /hostnameOverride is empty/);
});
