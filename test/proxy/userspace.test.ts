// The legacy userspace proxier: portals in nat PREROUTING/OUTPUT redirect a service's
// traffic to kube-proxy's own port, and kube-proxy picks the backend round-robin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.ts';
import { IptablesDataPlane } from '../../src/proxy/iptables/dataplane.ts';
import { getMode } from '../../src/proxy/modes.ts';
import { newLookupResult, type PacketOrigin } from '../../src/proxy/types.ts';
import { UserspaceDataPlane } from '../../src/proxy/userspace/index.ts';
import { BalancerState } from '../../src/proxy/userspace/load-balancer.ts';
import { PortAllocator } from '../../src/proxy/userspace/port-allocator.ts';
import { formatIPv4, parseIPv4 } from '../../src/util/ipv4.ts';
import {
  fakeProxyConfig,
  LOCAL_IPS,
  makeCluster,
  makeService,
  makeSlice,
  testExternalClient,
  testNodeIP,
  testNodeName,
} from './kube-proxy-test-env.ts';
import { smallIpvsCluster } from './ipvs-small-cluster.ts';
import { PROTO_TCP, PROTO_UDP } from '../../src/util/proto.ts';

const config = fakeProxyConfig({ mode: 'userspace' });
const plane = (cluster = smallIpvsCluster()) => new UserspaceDataPlane(cluster, config);
const pkt = (src: string, dst: string, dport: number, proto: 6 | 17 = PROTO_TCP) => ({
  src: parseIPv4(src),
  dst: parseIPv4(dst),
  proto,
  sport: 40000,
  dport,
});
const originOf = (src: string): PacketOrigin => (LOCAL_IPS.has(src) ? 'local' : 'forwarded');

test('registry builds the userspace and ipvs modes; unknown modes list the known ones', () => {
  assert.equal(getMode('userspace').name, 'userspace');
  assert.equal(getMode('ipvs').name, 'ipvs');
  assert.throws(() => getMode('kernelspace'), /iptables, ipvs/);
});

test('portal rules: a REDIRECT for containers and a DNAT to the node for the host, per portal IP', () => {
  const p = plane();
  assert.equal(getMode('userspace').capabilities.perPacketUserspace, true);
  const text = p.render('iptables-save');
  const port = (name: string) => Number(new RegExp(`--comment "${name}" .*--to-ports (\\d+)`).exec(text)![1]);
  const front = port('web/front:http');
  assert.ok(front >= 32768 && front <= 60999);
  assert.ok(
    text.includes(
      `-A KUBE-PORTALS-CONTAINER -d 10.96.12.34/32 -p tcp -m comment --comment "web/front:http" -m tcp --dport 80 -j REDIRECT --to-ports ${front}\n`,
    ),
  );
  assert.ok(
    text.includes(
      `-A KUBE-PORTALS-HOST -d 10.96.12.34/32 -p tcp -m comment --comment "web/front:http" -m tcp --dport 80 -j DNAT --to-destination ${testNodeIP}:${front}\n`,
    ),
  );
  assert.ok(
    text.includes(
      `-A KUBE-NODEPORT-CONTAINER -p tcp -m comment --comment "web/front:http" -m tcp --dport 30080 -j REDIRECT --to-ports ${front}\n`,
    ),
  );
  assert.ok(
    text.includes(
      `-A KUBE-NODEPORT-NON-LOCAL -p tcp -m comment --comment "web/front:http" -m tcp --dport ${front} -m state --state NEW -j ACCEPT\n`,
    ),
  );
  assert.ok(
    text.includes(
      '-A PREROUTING -m addrtype --dst-type LOCAL -m comment --comment "handle service NodePorts; NOTE: this must be the last rule in the chain" -j KUBE-NODEPORT-CONTAINER\n',
    ),
  );
  // LB ingress IPs are portals like the ClusterIP; five service ports, five proxy ports.
  assert.ok(text.includes('-A KUBE-PORTALS-CONTAINER -d 198.51.100.9/32 -p tcp -m comment --comment "web/shop:https"'));
  assert.equal(p.stats().proxy_ports, 5);
  assert.equal(p.stats().iptables_rules, (text.match(/^-A /gm) ?? []).length);
});

test('external IPs: from off the machine (physdev) or to a local address', () => {
  const cluster = makeCluster([
    makeService('ns1', 'svc1', {
      clusterIP: '172.30.0.41',
      externalIPs: ['192.168.99.33'],
      ports: [{ name: 'p80', port: 80, protocol: 'TCP' }],
    }),
    makeSlice('ns1', 'svc1', [{ ip: '10.180.0.1', node: testNodeName }], [{ name: 'p80', port: 80 }]),
  ]);
  const text = plane(cluster).render('iptables-save');
  assert.match(
    text,
    /-A KUBE-PORTALS-CONTAINER -d 192\.168\.99\.33\/32 -p tcp -m comment --comment "ns1\/svc1:p80" -m tcp --dport 80 -m physdev ! --physdev-is-in -j REDIRECT --to-ports \d+\n/,
  );
  assert.match(text, /-A KUBE-PORTALS-CONTAINER -d 192\.168\.99\.33\/32 .* -m addrtype --dst-type LOCAL -j REDIRECT --to-ports \d+\n/);
  assert.match(
    text,
    /-A KUBE-PORTALS-HOST -d 192\.168\.99\.33\/32 .* -m addrtype --dst-type LOCAL -j DNAT --to-destination 192\.168\.0\.2:\d+\n/,
  );
});

test('same endpoints as iptables mode; all endpoints whatever the traffic policy; REJECT without endpoints', () => {
  const cluster = makeCluster([
    makeService(
      'ns1',
      'svc1',
      {
        type: 'LoadBalancer',
        clusterIP: '172.30.0.41',
        externalIPs: ['192.168.99.33'],
        ports: [{ name: 'p80', protocol: 'TCP', port: 80, nodePort: 3001 }],
      },
      ['1.2.3.4'],
    ),
    makeService('ns1', 'local', {
      type: 'NodePort',
      clusterIP: '172.30.0.42',
      externalTrafficPolicy: 'Local',
      ports: [{ name: 'p80', protocol: 'TCP', port: 80, nodePort: 3002 }],
    }),
    makeService('ns1', 'empty', { clusterIP: '172.30.0.43', ports: [{ name: 'p80', protocol: 'UDP', port: 53 }] }),
    makeSlice(
      'ns1',
      'svc1',
      [
        { ip: '10.180.0.1', node: testNodeName },
        { ip: '10.180.2.1', node: 'node2' },
      ],
      [{ name: 'p80', port: 80 }],
    ),
    makeSlice(
      'ns1',
      'local',
      [
        { ip: '10.180.0.5', node: testNodeName },
        { ip: '10.180.2.5', node: 'node2' },
      ],
      [{ name: 'p80', port: 80 }],
    ),
  ]);
  const us = plane(cluster);
  const ipt = new IptablesDataPlane(cluster, fakeProxyConfig());
  const both = '10.180.0.1:80, 10.180.2.1:80';
  const cases: [string, string, number, string, (6 | 17)?][] = [
    ['10.180.0.2', '172.30.0.41', 80, both],
    [testExternalClient, testNodeIP, 3001, both],
    ['10.180.0.2', testNodeIP, 3001, both],
    [testExternalClient, '192.168.99.33', 80, both],
    [testExternalClient, '1.2.3.4', 80, both],
    [testNodeIP, '172.30.0.41', 80, both],
    [testNodeIP, testNodeIP, 3001, both],
    ['10.180.0.2', '172.30.0.43', 53, 'REJECT', PROTO_UDP],
    ['10.180.0.2', '172.30.0.41', 81, ''],
  ];
  for (const [src, dst, port, want, proto] of cases) {
    const r = us.trace(pkt(src, dst, port, proto), originOf(src));
    const got = [...r.endpoints, ...(r.verdict === 'REJECT' ? ['REJECT'] : [])].join(', ');
    assert.equal(got, want, `${src} -> ${dst}:${port}\n${r.path.join('\n')}`);
    if (want && want !== 'REJECT') {
      assert.equal(r.masquerade, true); // the proxy connects from the node
      const i = ipt.trace(pkt(src, dst, port, proto), originOf(src));
      assert.deepEqual([...i.endpoints].sort(), r.endpoints);
    }
  }
  // eTP Local is not known to the userspace proxier: both endpoints, also from outside.
  assert.deepEqual(us.trace(pkt(testExternalClient, testNodeIP, 3002), 'forwarded').endpoints, ['10.180.0.5:80', '10.180.2.5:80']);
});

test('round robin: every endpoint once per round, from a shuffled list', () => {
  const eps = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
  const cluster = makeCluster([
    makeService('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p', port: 80, protocol: 'TCP' }] }),
    makeSlice(
      'ns1',
      'svc1',
      eps.map((ip) => ({ ip, node: 'node2' })),
      [{ name: 'p', port: 8080 }],
    ),
  ]);
  const us = plane(cluster);
  const out = newLookupResult();
  const rng = new Rng(1);
  const seq: string[] = [];
  for (let i = 0; i < 12; i++)
    seq.push(formatIPv4(us.lookup(pkt('10.1.0.' + (i + 1), '172.30.0.41', 80), 'forwarded', rng, out).endpointIP));
  for (let r = 0; r < 3; r++) assert.deepEqual(seq.slice(r * 4, r * 4 + 4).sort(), eps);
  assert.deepEqual(seq.slice(4, 8), seq.slice(0, 4)); // same order each round
  assert.equal(out.verdict, 'DNAT');
  assert.equal(out.endpointPort, 8080);
  assert.equal(out.masquerade, true);
});

test('ClientIP affinity: a client sticks until its entry is older than the timeout', () => {
  const b = new BalancerState(true, 10);
  const eps = [1, 2, 3].map((i) => ({ ip: i, port: 80, key: `0.0.0.${i}:80` }));
  b.setBackends(eps, new Rng(4));
  const first = b.next(100, 0)!;
  assert.equal(b.next(100, 9.9), first); // refreshes lastUsed to 9.9
  assert.equal(b.next(100, 19.8), first);
  const other = b.next(200, 20);
  assert.notEqual(other, first);
  // 10 s after its last use the entry has expired: next round-robin endpoint.
  const after = b.next(100, 29.8 + 0.1);
  assert.notEqual(after, first);
  // Dropping an endpoint drops affinity to it and reshuffles.
  assert.equal(
    b.setBackends(
      eps.filter((e) => e !== after),
      new Rng(5),
    ),
    true,
  );
  assert.ok(!b.affinity.has(100));
  assert.equal(b.setBackends(eps.filter((e) => e !== after).reverse(), new Rng(6)), false); // same set: no change
});

test('affinity through the data plane and setNow', () => {
  const cluster = makeCluster([
    makeService('ns1', 'svc1', {
      clusterIP: '172.30.0.41',
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
      ports: [{ name: 'p', port: 80, protocol: 'TCP' }],
    }),
    makeSlice(
      'ns1',
      'svc1',
      ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip) => ({ ip, node: 'node2' })),
      [{ name: 'p', port: 80 }],
    ),
  ]);
  const us = plane(cluster);
  const out = newLookupResult();
  const rng = new Rng(1);
  const pick = (src: string) => formatIPv4(us.lookup(pkt(src, '172.30.0.41', 80), 'forwarded', rng, out).endpointIP);
  us.setNow(0);
  const a = pick('10.9.0.1');
  for (let i = 0; i < 5; i++) assert.equal(pick('10.9.0.1'), a);
  assert.match(us.trace(pkt('10.9.0.1', '172.30.0.41', 80), 'forwarded').path.join('\n'), /ClientIP affinity \(60s\)/);
});

test('lookup counts the same rules as a full walk of the portal chains', () => {
  const cluster = smallIpvsCluster([
    makeService('x', 'ext', {
      clusterIP: '10.96.50.1',
      externalIPs: ['192.168.99.33'],
      ports: [{ name: 'p', port: 8080, protocol: 'TCP' }],
    }),
  ]);
  const us = plane(cluster);
  const rng = new Rng(9);
  const out = newLookupResult();
  const dsts = [
    '10.96.0.1',
    '10.96.0.10',
    '10.96.12.34',
    '10.96.200.7',
    '198.51.100.9',
    '192.168.99.33',
    testNodeIP,
    '192.168.1.2',
    '10.244.1.4',
    '8.8.8.8',
  ];
  const ports = [53, 80, 443, 8080, 30080, 31443, 9999];
  const srcs = ['10.244.0.9', testExternalClient, testNodeIP, '127.0.0.1'];
  let n = 0;
  for (const dst of dsts)
    for (const port of ports)
      for (const src of srcs)
        for (const proto of [PROTO_TCP, PROTO_UDP] as const) {
          const p = pkt(src, dst, port, proto);
          const t = us.trace(p, originOf(src));
          us.lookup(p, originOf(src), rng, out);
          assert.equal(out.rulesEvaluated, t.rulesEvaluated, `${src} -> ${dst}:${port}/${proto}`);
          assert.equal(out.verdict === 'NONE', t.verdict === 'NONE');
          n++;
        }
  assert.equal(n, 560);
});

test('rules walked grow with the number of services (unlike IPVS)', () => {
  const services = (k: number) =>
    Array.from({ length: k }, (_, i) =>
      makeService('ns', `s${i}`, { clusterIP: `172.30.${i >> 8}.${i & 255}`, ports: [{ name: 'p', port: 80, protocol: 'TCP' }] }),
    );
  const small = plane(makeCluster(services(10)));
  const big = plane(makeCluster(services(1000)));
  const last = (k: number) => pkt('10.0.0.1', `172.30.${(k - 1) >> 8}.${(k - 1) & 255}`, 80);
  // PREROUTING jump + the portal's position + the proxy-port lookup.
  assert.equal(small.trace(last(10), 'forwarded').rulesEvaluated, 1 + 10 + 1);
  assert.equal(big.trace(last(1000), 'forwarded').rulesEvaluated, 1 + 1000 + 1);
  // A packet for no service walks both chains: portals, then (local dst) the NodePort chain.
  assert.equal(big.trace(pkt('10.0.0.1', testNodeIP, 9), 'forwarded').rulesEvaluated, 1 + 1000 + 1 + 0);
});

test('sync: changed services get a new proxy port and rules; unchanged ones are only re-checked', () => {
  const us = plane();
  const w = us.sync(smallIpvsCluster());
  assert.deepEqual(w, { port_ops: 0, iptables_invocations: 10 + 18, total_rules: 23 });
  const changed = smallIpvsCluster();
  changed.services.find((s) => s.metadata.name === 'front')!.spec.sessionAffinity = 'None';
  const before = /front:http" -m tcp --dport 80 -j REDIRECT --to-ports (\d+)/.exec(us.render('iptables-save'))![1];
  const w2 = us.sync(changed);
  const after = /front:http" -m tcp --dport 80 -j REDIRECT --to-ports (\d+)/.exec(us.render('iptables-save'))![1];
  assert.notEqual(after, before);
  // front: proxy socket + NodePort claim closed and reopened; 5 rules deleted, 5 ensured (check + append), 18 re-checked.
  assert.equal(w2.port_ops, 4);
  assert.equal(w2.iptables_invocations, 10 + 5 + 10 + 18);
  // Endpoint changes touch no rules.
  const moreEps = structuredClone(changed);
  moreEps.endpointSlices[1].endpoints!.push({ addresses: ['10.244.0.99'], nodeName: testNodeName, conditions: {} });
  assert.equal(us.sync(moreEps).port_ops, 0);
  assert.deepEqual(us.trace(pkt('10.244.0.9', '10.96.0.10', 53, PROTO_UDP), 'forwarded').endpoints, [
    '10.244.0.3:53',
    '10.244.0.99:53',
    '10.244.1.4:53',
  ]);
});

test('proxy ports: random first, then the next free one; exhaustion is an InputError', () => {
  const a = new PortAllocator(40000, 3, new Rng(1));
  const got = [a.allocate(), a.allocate(), a.allocate()].sort();
  assert.deepEqual(got, [40000, 40001, 40002]);
  assert.throws(() => a.allocate(), /no remaining ports/);
  a.release(40001);
  assert.equal(a.allocate(), 40001);
  assert.equal(a.inUse, 3);
});
