// Packet flows through the IPVS data plane, checked against hand-derived expectations and
// against the iptables data plane built from the same cluster: for every case where
// kube-proxy's two modes agree (the DNAT targets of ClusterIP, NodePort, externalIPs, LB,
// eTP Local with local endpoints, no endpoints) both must give the same endpoints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from '../../src/cluster/model.ts';
import { Rng } from '../../src/engine/rng.ts';
import { IptablesDataPlane } from '../../src/proxy/iptables/dataplane.ts';
import { createIpvsMode, IpvsDataPlane } from '../../src/proxy/ipvs/index.ts';
import { newLookupResult, type PacketOrigin, type TraceResult } from '../../src/proxy/types.ts';
import { formatIPv4, parseIPv4 } from '../../src/util/ipv4.ts';
import {
  fakeProxyConfig,
  LOCAL_IPS,
  makeCluster,
  makeService,
  makeSlice,
  testExternalClient,
  testExternalClientBlocked,
  testNodeIP,
  testNodeName,
} from './kube-proxy-test-env.ts';
import { PROTO_TCP } from '../../src/util/proto.ts';

const PROTOS = { TCP: 6, UDP: 17, SCTP: 132 } as const;

function trace(
  plane: { trace: IpvsDataPlane['trace'] },
  src: string,
  dst: string,
  dport: number,
  proto: keyof typeof PROTOS = 'TCP',
): TraceResult {
  const origin: PacketOrigin = LOCAL_IPS.has(src) ? 'local' : 'forwarded';
  return plane.trace({ src: parseIPv4(src), dst: parseIPv4(dst), proto: PROTOS[proto], sport: 40000, dport }, origin);
}

/** Endpoints sorted, then the verdict when it is not a DNAT (as kube-proxy's tracer prints). */
function output(r: TraceResult): string {
  const parts = [...r.endpoints].sort();
  if (r.verdict === 'DROP' || r.verdict === 'REJECT' || r.verdict === 'ACCEPT') parts.push(r.verdict);
  return parts.join(', ');
}

interface Case {
  name: string;
  src: string;
  dst: string;
  port: number;
  proto?: keyof typeof PROTOS;
  ipvs: string;
  masq?: boolean;
  /** iptables mode's answer when kube-proxy's two modes differ (documented in docs/ipvs.md). */
  iptables?: string;
}

function check(cluster: Cluster, cases: Case[], overrides: Record<string, unknown> = {}): IpvsDataPlane {
  const ipvs = new IpvsDataPlane(cluster, fakeProxyConfig({ mode: 'ipvs', ...overrides }));
  const ipt = new IptablesDataPlane(cluster, fakeProxyConfig(overrides));
  const failures: string[] = [];
  for (const c of cases) {
    const r = trace(ipvs, c.src, c.dst, c.port, c.proto);
    const got = output(r);
    if (got !== c.ipvs || r.masquerade !== (c.masq ?? false)) {
      failures.push(
        `${c.name}: got ${JSON.stringify(got)} masq=${r.masquerade}, want ${JSON.stringify(c.ipvs)} masq=${c.masq ?? false}\n  ${r.path.join('\n  ')}`,
      );
    }
    const other = output(trace(ipt, c.src, c.dst, c.port, c.proto));
    const want = c.iptables ?? c.ipvs;
    if (other !== want) failures.push(`${c.name}: iptables mode gives ${JSON.stringify(other)}, expected ${JSON.stringify(want)}`);
  }
  assert.deepEqual(failures, []);
  return ipvs;
}

const ep = (ip: string, node = testNodeName) => ({ ip, node });

test('ClusterIP: one and many endpoints, ports, protocols, hairpin', () => {
  const cluster = makeCluster([
    makeService('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
    makeService('ns2', 'svc2', {
      clusterIP: '172.30.0.42',
      ports: [
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'https', port: 443, protocol: 'TCP' },
        { name: 'dns', port: 53, protocol: 'UDP' },
      ],
    }),
    makeSlice('ns1', 'svc1', [ep('10.180.0.1')], [{ name: 'http', port: 80 }]),
    makeSlice(
      'ns2',
      'svc2',
      [ep('10.180.0.1'), ep('10.180.2.1', 'node2'), ep('10.180.1.9', 'node1')],
      [
        { name: 'http', port: 80 },
        { name: 'https', port: 8443 },
        { name: 'dns', port: 53, protocol: 'UDP' },
      ],
    ),
  ]);
  check(cluster, [
    { name: 'one endpoint', src: '10.180.0.2', dst: '172.30.0.41', port: 80, ipvs: '10.180.0.1:80' },
    { name: 'hairpin through KUBE-LOOP-BACK', src: '10.180.0.1', dst: '172.30.0.41', port: 80, ipvs: '10.180.0.1:80', masq: true },
    { name: 'many endpoints', src: '10.180.0.2', dst: '172.30.0.42', port: 80, ipvs: '10.180.0.1:80, 10.180.1.9:80, 10.180.2.1:80' },
    { name: 'targetPort', src: '10.180.0.2', dst: '172.30.0.42', port: 443, ipvs: '10.180.0.1:8443, 10.180.1.9:8443, 10.180.2.1:8443' },
    { name: 'UDP', src: '10.180.0.2', dst: '172.30.0.42', port: 53, proto: 'UDP', ipvs: '10.180.0.1:53, 10.180.1.9:53, 10.180.2.1:53' },
    { name: 'TCP port does not serve UDP', src: '10.180.0.2', dst: '172.30.0.42', port: 80, proto: 'UDP', ipvs: '' },
    { name: 'not a service', src: '10.180.0.2', dst: '10.180.2.1', port: 80, ipvs: '' },
    // Off-cluster source to a ClusterIP: masqueraded (KUBE-CLUSTER-IP ... ! -s clusterCIDR).
    { name: 'from outside the cluster CIDR', src: testExternalClient, dst: '172.30.0.41', port: 80, ipvs: '10.180.0.1:80', masq: true },
  ]);
});

test('NodePort, externalIPs and LoadBalancer IPs reach the same endpoints, masqueraded', () => {
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
    makeSlice('ns1', 'svc1', [ep('10.180.0.1'), ep('10.180.2.1', 'node2')], [{ name: 'p80', port: 80 }]),
  ]);
  const plane = check(cluster, [
    {
      name: 'NodePort from outside',
      src: testExternalClient,
      dst: testNodeIP,
      port: 3001,
      ipvs: '10.180.0.1:80, 10.180.2.1:80',
      masq: true,
    },
    { name: 'NodePort from a pod', src: '10.180.0.2', dst: testNodeIP, port: 3001, ipvs: '10.180.0.1:80, 10.180.2.1:80', masq: true },
    {
      name: 'externalIP from outside',
      src: testExternalClient,
      dst: '192.168.99.33',
      port: 80,
      ipvs: '10.180.0.1:80, 10.180.2.1:80',
      masq: true,
    },
    { name: 'LB IP from outside', src: testExternalClient, dst: '1.2.3.4', port: 80, ipvs: '10.180.0.1:80, 10.180.2.1:80', masq: true },
    { name: 'LB IP from the node', src: testNodeIP, dst: '1.2.3.4', port: 80, ipvs: '10.180.0.1:80, 10.180.2.1:80', masq: true },
  ]);
  // The VIPs are on kube-ipvs0, node IPs are not.
  assert.deepEqual([...plane.boundAddrs].map(formatIPv4).sort(), ['1.2.3.4', '172.30.0.41', '192.168.99.33']);
});

test('externalTrafficPolicy Local: local endpoints without masquerade; none local falls back to the cluster', () => {
  const svc = (name: string, ip: string, lb: string, nodePort: number) =>
    makeService(
      'ns1',
      name,
      {
        type: 'LoadBalancer',
        clusterIP: ip,
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 30000 + (nodePort % 10),
        ports: [{ name: 'p80', protocol: 'TCP', port: 80, nodePort }],
      },
      [lb],
    );
  const cluster = makeCluster([
    svc('with-local', '172.30.0.41', '1.2.3.4', 3001),
    svc('no-local', '172.30.0.42', '5.6.7.8', 3002),
    makeSlice('ns1', 'with-local', [ep('10.180.0.1'), ep('10.180.2.1', 'node2')], [{ name: 'p80', port: 80 }]),
    makeSlice('ns1', 'no-local', [ep('10.180.2.2', 'node2'), ep('10.180.3.2', 'node3')], [{ name: 'p80', port: 80 }]),
  ]);
  check(cluster, [
    { name: 'NodePort, local endpoint', src: testExternalClient, dst: testNodeIP, port: 3001, ipvs: '10.180.0.1:80' },
    { name: 'LB IP, local endpoint', src: testExternalClient, dst: '1.2.3.4', port: 80, ipvs: '10.180.0.1:80' },
    { name: 'ClusterIP ignores eTP', src: '10.180.0.2', dst: '172.30.0.41', port: 80, ipvs: '10.180.0.1:80, 10.180.2.1:80' },
    // kubernetes#97081: IPVS sends to cluster endpoints (pods on the node can use it; external
    // replies are lost); iptables mode drops external traffic instead.
    {
      name: 'NodePort from outside, no local endpoint',
      src: testExternalClient,
      dst: testNodeIP,
      port: 3002,
      ipvs: '10.180.2.2:80, 10.180.3.2:80',
      iptables: 'DROP',
    },
    {
      name: 'NodePort from a pod, no local endpoint',
      src: '10.180.0.2',
      dst: testNodeIP,
      port: 3002,
      ipvs: '10.180.2.2:80, 10.180.3.2:80',
    },
    { name: 'LB IP from a pod, no local endpoint', src: '10.180.0.2', dst: '5.6.7.8', port: 80, ipvs: '10.180.2.2:80, 10.180.3.2:80' },
    { name: 'health-check NodePort accepted in filter INPUT', src: testExternalClient, dst: testNodeIP, port: 30001, ipvs: 'ACCEPT' },
  ]);
});

test("no endpoints: IPVS answers ICMP port unreachable, like iptables mode's REJECT", () => {
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
  ]);
  check(cluster, [
    { name: 'ClusterIP', src: '10.0.0.2', dst: '172.30.0.41', port: 80, ipvs: 'REJECT' },
    { name: 'external IP', src: testExternalClient, dst: '192.168.99.33', port: 80, ipvs: 'REJECT', masq: false },
    { name: 'NodePort', src: testExternalClient, dst: testNodeIP, port: 3001, ipvs: 'REJECT' },
    { name: 'LB IP', src: testExternalClient, dst: '1.2.3.4', port: 80, ipvs: 'REJECT' },
  ]);
});

test('internalTrafficPolicy Local: local endpoints; none local leaves the virtual server empty', () => {
  const cluster = makeCluster([
    makeService('ns1', 'one', {
      clusterIP: '172.30.1.1',
      internalTrafficPolicy: 'Local',
      ports: [{ name: '', port: 80, protocol: 'TCP' }],
    }),
    makeService('ns1', 'none', {
      clusterIP: '172.30.1.2',
      internalTrafficPolicy: 'Local',
      ports: [{ name: '', port: 80, protocol: 'TCP' }],
    }),
    makeSlice('ns1', 'one', [ep('10.0.1.1'), ep('10.0.1.2', 'node1')], [{ port: 80 }]),
    makeSlice('ns1', 'none', [ep('10.0.1.3', 'node1')], [{ port: 80 }]),
  ]);
  check(cluster, [
    { name: 'one local endpoint', src: '10.0.0.2', dst: '172.30.1.1', port: 80, ipvs: '10.0.1.1:80' },
    { name: 'no local endpoint', src: '10.0.0.2', dst: '172.30.1.2', port: 80, ipvs: 'REJECT', iptables: 'DROP' },
  ]);
});

test('loadBalancerSourceRanges: allowed sources pass, others are dropped in filter INPUT', () => {
  const cluster = makeCluster([
    makeService(
      'ns1',
      'svc1',
      {
        type: 'LoadBalancer',
        clusterIP: '172.30.0.41',
        loadBalancerSourceRanges: ['203.0.113.0/25'],
        ports: [{ name: 'p80', protocol: 'TCP', port: 80, nodePort: 3001 }],
      },
      ['1.2.3.4'],
    ),
    makeSlice('ns1', 'svc1', [ep('10.180.0.1')], [{ name: 'p80', port: 80 }]),
  ]);
  check(cluster, [
    { name: 'allowed', src: testExternalClient, dst: '1.2.3.4', port: 80, ipvs: '10.180.0.1:80', masq: true },
    { name: 'blocked', src: testExternalClientBlocked, dst: '1.2.3.4', port: 80, ipvs: 'DROP' },
  ]);
});

test('session affinity becomes persistence: one client sticks, the template expires', () => {
  const cluster = makeCluster([
    makeService('ns1', 'svc1', {
      clusterIP: '172.30.0.41',
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10 } },
      ports: [{ name: 'p80', protocol: 'TCP', port: 80 }],
    }),
    makeSlice('ns1', 'svc1', [ep('10.180.0.1'), ep('10.180.0.2'), ep('10.180.0.3')], [{ name: 'p80', port: 80 }]),
  ]);
  const plane = new IpvsDataPlane(cluster, fakeProxyConfig({ mode: 'ipvs' }));
  assert.match(plane.render('ipvsadm'), /TCP {2}172\.30\.0\.41:80 rr persistent 10\n/);
  const rng = new Rng(1);
  const out = newLookupResult();
  const pick = (src: string) => {
    plane.lookup({ src: parseIPv4(src), dst: parseIPv4('172.30.0.41'), proto: PROTO_TCP, sport: 1234, dport: 80 }, 'forwarded', rng, out);
    return formatIPv4(out.endpointIP);
  };
  plane.setNow(0);
  const first = pick('10.0.0.5');
  for (let i = 0; i < 5; i++) assert.equal(pick('10.0.0.5'), first);
  assert.notEqual(pick('10.0.0.6'), first);
  plane.setNow(100);
  // rr moved on while the template lived, so the expired client lands elsewhere.
  assert.notEqual(pick('10.0.0.5'), first);
});

test('lookup schedules with the configured scheduler and counts connections', () => {
  const cluster = makeCluster([
    makeService('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', protocol: 'TCP', port: 80 }] }),
    makeSlice('ns1', 'svc1', [ep('10.180.0.1'), ep('10.180.0.2'), ep('10.180.0.3')], [{ name: 'p80', port: 80 }]),
  ]);
  const rng = new Rng(1);
  const out = newLookupResult();
  const pkt = { src: parseIPv4('10.0.0.5'), dst: parseIPv4('172.30.0.41'), proto: PROTO_TCP, sport: 1234, dport: 80 } as const;
  const rr = new IpvsDataPlane(cluster, fakeProxyConfig({ mode: 'ipvs' }));
  const seq = Array.from({ length: 6 }, () => formatIPv4(rr.lookup(pkt, 'forwarded', rng, out).endpointIP));
  // kube-proxy adds 10.180.0.1, .2, .3 in order; each goes to the list head: rr starts at .3.
  assert.deepEqual(seq, ['10.180.0.3', '10.180.0.2', '10.180.0.1', '10.180.0.3', '10.180.0.2', '10.180.0.1']);
  assert.equal(out.verdict, 'DNAT');
  assert.match(rr.render('ipvsadm'), /10\.180\.0\.1:80 +Masq +1 +2 +0/);
  const lc = new IpvsDataPlane(cluster, fakeProxyConfig({ mode: 'ipvs', ipvs: { scheduler: 'lc' } }));
  const a = lc.lookup(pkt, 'forwarded', rng, out).endpointIP;
  const b = lc.lookup(pkt, 'forwarded', rng, out).endpointIP;
  assert.notEqual(a, b);
  lc.connectionClosed(pkt, 'forwarded', a, 80);
  assert.equal(lc.lookup(pkt, 'forwarded', rng, out).endpointIP, a); // a is idle again
});

test('lookup agrees with trace: the chosen endpoint is one of the traced ones', () => {
  const cluster = makeCluster([
    makeService('ns1', 'svc1', {
      type: 'NodePort',
      clusterIP: '172.30.0.41',
      ports: [{ name: 'p80', protocol: 'TCP', port: 80, nodePort: 3001 }],
    }),
    makeSlice('ns1', 'svc1', [ep('10.180.0.1'), ep('10.180.2.1', 'node2')], [{ name: 'p80', port: 80 }]),
  ]);
  const plane = new IpvsDataPlane(cluster, fakeProxyConfig({ mode: 'ipvs' }));
  const rng = new Rng(3);
  const out = newLookupResult();
  for (const [src, dst, port] of [
    ['10.0.0.5', '172.30.0.41', 80],
    [testExternalClient, testNodeIP, 3001],
  ] as const) {
    const pkt = { src: parseIPv4(src), dst: parseIPv4(dst), proto: PROTO_TCP, sport: 999, dport: port } as const;
    const t = plane.trace(pkt, 'forwarded');
    for (let i = 0; i < 4; i++) {
      plane.lookup(pkt, 'forwarded', rng, out);
      assert.ok(t.endpoints.includes(`${formatIPv4(out.endpointIP)}:${out.endpointPort}`));
      assert.equal(out.masquerade, t.masquerade);
    }
  }
});

test('a bigger service table is an IPVS mode option', () => {
  const cluster = makeCluster([makeService('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ port: 80, protocol: 'TCP' }] })]);
  const plane = createIpvsMode({ tableBits: 12 }).build(cluster, fakeProxyConfig({ mode: 'ipvs' })) as IpvsDataPlane;
  assert.equal(plane.ipvs.table.buckets, 4096);
});
