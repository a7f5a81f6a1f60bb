// The ebpf mode's data path and sync: socket LB vs the tc path, SNAT/DSR/hybrid, traffic
// policies as two scopes, affinity, random selection, Maglev, the map-full limit, sync work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterFromObjects } from '../../../src/cluster/k8s-io.ts';
import type { Cluster } from '../../../src/cluster/model.ts';
import { Rng } from '../../../src/engine/rng.ts';
import { EbpfDataPlane } from '../../../src/proxy/ebpf/data-plane.ts';
import { parseKubeProxyConfig } from '../../../src/proxy/load-config.ts';
import { newLookupResult, type PacketOrigin } from '../../../src/proxy/types.ts';
import { InputError } from '../../../src/util/errors.ts';
import { formatIPv4, parseIPv4 } from '../../../src/util/ipv4.ts';
import { PROTO_TCP, PROTO_UDP } from '../../../src/util/proto.ts';
import { makeService, makeSlice, testNode, testNodeIP, testNodeName } from '../kube-proxy-test-env.ts';

const POD = '10.0.0.7'; // in the node's pod CIDR: a pod on this node
const EXTERNAL = '203.0.113.9';
const node = { ...testNode, spec: { podCIDR: '10.0.0.0/24' } };

function cluster(objects: unknown[]): Cluster {
  return clusterFromObjects([{ kind: 'List', items: [node, ...objects] }], '(test)').cluster;
}

function plane(objects: unknown[], cilium: Record<string, unknown> = {}): EbpfDataPlane {
  const config = parseKubeProxyConfig({ mode: 'ebpf', hostnameOverride: testNodeName, clusterCIDR: '10.0.0.0/8', cilium });
  return new EbpfDataPlane(cluster(objects), config);
}

const tcp = (port: number, nodePort?: number, protocol: 'TCP' | 'UDP' = 'TCP') => ({
  name: 'p',
  port,
  protocol,
  ...(nodePort ? { nodePort } : {}),
});

/** A NodePort service with one remote and (optionally) one local endpoint. */
function nodePortService(spec: Record<string, unknown> = {}, local = false, protocol: 'TCP' | 'UDP' = 'TCP') {
  return [
    makeService('ns', 'web', { clusterIP: '172.30.1.1', type: 'NodePort', ports: [tcp(80, 30080, protocol)], ...spec }),
    makeSlice(
      'ns',
      'web',
      [{ ip: '10.1.0.1', node: 'other-node' }, ...(local ? [{ ip: '10.0.0.50', node: testNodeName }] : [])],
      [{ name: 'p', port: 8080, protocol }],
    ),
  ];
}

const pkt = (src: string, dst: string, dport: number, proto: 6 | 17 = PROTO_TCP, sport = 40000) => ({
  src: parseIPv4(src),
  dst: parseIPv4(dst),
  proto,
  sport,
  dport,
});
const origin = (src: string): PacketOrigin => (src === testNodeIP || src === '127.0.0.1' ? 'local' : 'forwarded');
const trace = (dp: EbpfDataPlane, src: string, dst: string, dport: number, proto: 6 | 17 = PROTO_TCP) =>
  dp.trace(pkt(src, dst, dport, proto), origin(src));

test('socket LB: a pod connecting to a ClusterIP gets a backend at connect(), no SNAT; from outside the ClusterIP is not served', () => {
  const dp = plane(nodePortService());
  const r = trace(dp, POD, '172.30.1.1', 80);
  assert.equal(r.verdict, 'DNAT');
  assert.deepEqual(r.endpoints, ['10.1.0.1:8080']);
  assert.equal(r.masquerade, false);
  assert.match(r.path.join('\n'), /socket LB/);
  assert.equal(trace(dp, EXTERNAL, '172.30.1.1', 80).verdict, 'NONE');
  const ext = plane(nodePortService(), { bpf: { lbExternalClusterIP: true } });
  assert.equal(trace(ext, EXTERNAL, '172.30.1.1', 80).verdict, 'DNAT');
});

test('NodePort from outside: SNAT to a remote backend in snat mode, client IP kept in dsr mode; hybrid is DSR for TCP, SNAT for UDP', () => {
  const flow = (cilium: Record<string, unknown>, proto: 'TCP' | 'UDP') => {
    const dp = plane(nodePortService({}, false, proto), cilium);
    const out = dp.lookup(
      pkt(EXTERNAL, testNodeIP, 30080, proto === 'TCP' ? PROTO_TCP : PROTO_UDP),
      'forwarded',
      new Rng(1),
      newLookupResult(),
    );
    assert.equal(out.verdict, 'DNAT');
    return out.masquerade;
  };
  assert.equal(flow({}, 'TCP'), true);
  assert.equal(flow({ loadBalancer: { mode: 'dsr' } }, 'TCP'), false);
  assert.equal(flow({ loadBalancer: { mode: 'dsr' } }, 'UDP'), false);
  assert.equal(flow({ loadBalancer: { mode: 'hybrid' } }, 'TCP'), false);
  assert.equal(flow({ loadBalancer: { mode: 'hybrid' } }, 'UDP'), true);
});

test('externalTrafficPolicy Local: outside traffic only to local backends (no SNAT), in-cluster traffic to all (two scopes)', () => {
  const dp = plane(nodePortService({ externalTrafficPolicy: 'Local' }, true));
  const outside = trace(dp, EXTERNAL, testNodeIP, 30080);
  assert.deepEqual(outside.endpoints, ['10.0.0.50:8080']);
  assert.equal(outside.masquerade, false);
  assert.deepEqual(trace(dp, POD, testNodeIP, 30080).endpoints.sort(), ['10.0.0.50:8080', '10.1.0.1:8080']);
  assert.match(dp.render('bpf-lb-list'), /\/i \(0\) +0\.0\.0\.0:0 \(\d+\) \(0\) \[NodePort, two-scopes\]/);
  // Without a local backend the external scope is empty: ICMP unreachable (or a drop).
  assert.equal(trace(plane(nodePortService({ externalTrafficPolicy: 'Local' })), EXTERNAL, testNodeIP, 30080).verdict, 'REJECT');
  const drop = plane(nodePortService({ externalTrafficPolicy: 'Local' }), { serviceNoBackendResponse: 'drop' });
  assert.equal(trace(drop, EXTERNAL, testNodeIP, 30080).verdict, 'DROP');
});

test('internalTrafficPolicy Local: pods on the node reach only local backends; outside traffic all of them', () => {
  const dp = plane(nodePortService({ internalTrafficPolicy: 'Local' }, true));
  assert.deepEqual(trace(dp, POD, '172.30.1.1', 80).endpoints, ['10.0.0.50:8080']);
  assert.deepEqual(trace(dp, POD, testNodeIP, 30080).endpoints, ['10.0.0.50:8080']);
  assert.deepEqual(trace(dp, EXTERNAL, testNodeIP, 30080).endpoints.sort(), ['10.0.0.50:8080', '10.1.0.1:8080']);
});

/** A ClusterIP service with n endpoints. */
function wide(n: number, spec: Record<string, unknown> = {}) {
  return [
    makeService('ns', 'wide', { clusterIP: '172.30.2.2', ports: [tcp(80)], ...spec }),
    makeSlice(
      'ns',
      'wide',
      Array.from({ length: n }, (_, i) => ({ ip: `10.2.0.${i + 1}`, node: 'other-node' })),
      [{ name: 'p', port: 80 }],
    ),
  ];
}

test('random selection (slot = rand % count + 1) spreads connections evenly over the backends', () => {
  const dp = plane(wide(4));
  const rng = new Rng('ebpf-random');
  const out = newLookupResult();
  const counts = new Map<string, number>();
  const n = 40_000;
  for (let i = 0; i < n; i++) {
    dp.lookup(pkt(POD, '172.30.2.2', 80, PROTO_TCP, 1024 + (i % 60000)), 'forwarded', rng, out);
    const k = formatIPv4(out.endpointIP);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  assert.equal(counts.size, 4);
  // Chi-square with 3 degrees of freedom: 16.27 is the 0.1% critical value.
  let chi = 0;
  for (const c of counts.values()) chi += (c - n / 4) ** 2 / (n / 4);
  assert.ok(chi < 16.27, `chi-square ${chi} for ${[...counts.values()]}`);
  // socket LB: master, slot, backend.
  assert.equal(out.hashProbes, 3);
});

test('session affinity: a client keeps its backend (socket LB and tc path) until the timeout passes', () => {
  const dp = plane([
    ...wide(5, {
      type: 'NodePort',
      ports: [tcp(80, 30090)],
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
    }),
  ]);
  const rng = new Rng('affinity');
  const out = newLookupResult();
  for (const [src, dst, port] of [
    [POD, '172.30.2.2', 80],
    [EXTERNAL, testNodeIP, 30090],
  ] as const) {
    dp.setNow(100);
    const first = dp.lookup(pkt(src, dst, port), origin(src), rng, out).endpointIP;
    for (let i = 0; i < 50; i++) assert.equal(dp.lookup(pkt(src, dst, port, PROTO_TCP, 2000 + i), origin(src), rng, out).endpointIP, first);
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      dp.setNow(200 + 100 * i); // each lookup after the previous one's timeout
      seen.add(dp.lookup(pkt(src, dst, port, PROTO_TCP, 3000 + i), origin(src), rng, out).endpointIP);
    }
    assert.ok(seen.size > 1, 'after the timeout a new backend can be chosen');
  }
});

test('Maglev (loadBalancer.algorithm=maglev): north-south frontends get tables, the same flow always lands on the same backend', () => {
  const objs = wide(6, { type: 'NodePort', ports: [tcp(80, 30100)] });
  const dp = plane(objs, { loadBalancer: { algorithm: 'maglev' }, maglev: { tableSize: 1021 } });
  // 0.0.0.0 and three node addresses: four NodePort frontends; the ClusterIP gets none.
  assert.equal(dp.stats().maglev_table_entries, 4 * 1021);
  const out = newLookupResult();
  const a = dp.lookup(pkt(EXTERNAL, testNodeIP, 30100), 'forwarded', new Rng(1), out).endpointIP;
  const fresh = plane(objs, { loadBalancer: { algorithm: 'maglev' }, maglev: { tableSize: 1021 } });
  assert.equal(fresh.lookup(pkt(EXTERNAL, testNodeIP, 30100), 'forwarded', new Rng(99), out).endpointIP, a, 'no randomness in Maglev');
  // Adding an endpoint rebuilds the four tables: 4 * M slots computed.
  const w = dp.sync(cluster(wide(7, { type: 'NodePort', ports: [tcp(80, 30100)] })));
  assert.equal(w.maglev_entries_computed, 4 * 1021);
});

test('sync writes what changed: a new endpoint rewrites its frontend (master + slots) and adds one backend; nothing changed, nothing written', () => {
  const dp = plane(wide(3));
  assert.deepEqual(dp.sync(cluster(wide(3))), { map_entries_written: 0, maglev_entries_computed: 0, map_entries_checked: 0 });
  const w = dp.sync(cluster(wide(4)));
  assert.equal(w.map_entries_written, 1 + 4 + 1); // master, 4 slots, 1 backend
  const full = dp.sync(cluster(wide(4)), { full: true });
  const s = dp.stats();
  assert.equal(full.map_entries_written, 0);
  assert.equal(full.map_entries_checked, s.lb_service_entries + s.lb_backend_entries + s.lb_revnat_entries);
  // Removing one: master + 3 slots rewritten, slot 4 deleted, a backend deleted.
  assert.equal(dp.sync(cluster(wide(3))).map_entries_written, 1 + 3 + 1 + 1);
});

test('bpf.lbMapMax: frontends that do not fit are not programmed and reported as a limit', () => {
  const objs: unknown[] = [];
  for (let i = 0; i < 5; i++) {
    objs.push(makeService('ns', `s${i}`, { clusterIP: `172.30.3.${i + 1}`, ports: [tcp(80)] }));
    objs.push(makeSlice('ns', `s${i}`, [{ ip: `10.3.${i}.1` }, { ip: `10.3.${i}.2` }], [{ name: 'p', port: 80 }]));
  }
  const dp = plane(objs, { bpf: { lbMapMax: 10 } });
  // Each service takes 3 entries: three fit in 10.
  assert.equal(dp.stats().lb_service_entries, 9);
  const [limit] = dp.limits();
  assert.equal(limit.name, 'bpf-lb-map-max');
  assert.equal(limit.capacity, 10);
  assert.equal(limit.wanted, 15);
  assert.equal(limit.droppedCount, 2);
  assert.deepEqual(limit.dropped, ['ns/s3:p 172.30.3.4:80/TCP', 'ns/s4:p 172.30.3.5:80/TCP']);
  assert.equal(trace(dp, POD, '172.30.3.5', 80).verdict, 'NONE');
  assert.equal(trace(dp, POD, '172.30.3.1', 80).verdict, 'DNAT');
  assert.deepEqual(plane(objs).limits(), []);
});

test('the cilium: section is checked: kubeProxyReplacement false, an unknown field or a table size that is not one of Cilium’s primes is an InputError', () => {
  const parse = (cilium: unknown) => parseKubeProxyConfig({ mode: 'ebpf', hostnameOverride: testNodeName, cilium });
  assert.throws(() => parse({ kubeProxyReplacement: false }), InputError);
  assert.throws(() => parse({ loadBalancer: { algorithm: 'round-robin' } }), InputError);
  assert.throws(() => parse({ maglev: { tableSize: 1000 } }), /251, 509/);
  assert.throws(() => parse({ bpf: { lbMapMax: 0 } }), InputError);
  assert.throws(() => parse({ surprise: 1 }), InputError);
  assert.doesNotThrow(() =>
    parse({ kubeProxyReplacement: true, loadBalancer: { algorithm: 'maglev', mode: 'dsr' }, bpf: { lbMapMax: 131072 } }),
  );
});
