// The data-plane contract: every registered proxy mode runs it, a new one as soon as its
// registry line is in.
//   - kube-proxy's packet flows (TestTracePacket on the TestOverallIPTablesRules cluster, plus
//     NodePort, localhost and LoadBalancer cases): each mode gives kube-proxy's iptables answer
//     unless DIFFERENCES lists a real difference of that mode, with its reason;
//   - lookup() picks one of the endpoints trace() explores, and allocates nothing per packet
//     (heap growth over 100,000 lookups, measured in a child process);
//   - sync() of an unchanged cluster changes nothing: the same stats and the same output;
//   - stats() agree with render(): each stat with a `countIn` counts lines of the mode's output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readClusterFile } from '../../src/cluster/k8s-io.ts';
import { Rng } from '../../src/engine/rng.ts';
import { loadKubeProxyConfig } from '../../src/proxy/load-config.ts';
import { allModes } from '../../src/proxy/modes.ts';
import { newLookupResult, type PacketOrigin } from '../../src/proxy/types.ts';
import { formatIPv4, parseIPv4 } from '../../src/util/ipv4.ts';
import { CHILD_FLAGS } from './heap-growth.ts';
import { LOCAL_IPS, testExternalClient, testExternalClientBlocked, testNodeIP } from './kube-proxy-test-env.ts';

const fixture = (name: string) => new URL(`../fixtures/iptables/${name}`, import.meta.url).pathname;
const cluster = readClusterFile(fixture('overall.cluster.json')).cluster;
const config = loadKubeProxyConfig(fixture('test-node.kube-proxy.yaml'));

interface Flow {
  name: string;
  src: string;
  dst: string;
  port: number;
  /** kube-proxy's tracer output (endpoints, then DROP/REJECT/ACCEPT) and masquerade flag in iptables mode. */
  output: string;
  masq?: boolean;
}

const FLOWS: Flow[] = [
  { name: 'no match', src: '10.0.0.2', dst: '10.0.0.3', port: 80, output: '' },
  { name: 'single endpoint', src: '10.0.0.2', dst: '172.30.0.41', port: 80, output: '10.180.0.1:80' },
  { name: 'multiple endpoints', src: '10.0.0.2', dst: '172.30.0.44', port: 80, output: '10.180.0.4:80, 10.180.0.5:80' },
  { name: 'LOCAL to an external IP, KUBE-MARK-MASQ', src: testNodeIP, dst: '192.168.99.22', port: 80, output: '10.180.0.2:80', masq: true },
  {
    name: 'external IP with eTP Local and no local endpoint: DROP',
    src: testExternalClient,
    dst: '192.168.99.22',
    port: 80,
    output: 'DROP',
  },
  { name: 'health check NodePort: ACCEPT', src: testNodeIP, dst: testNodeIP, port: 30000, output: 'ACCEPT' },
  { name: 'no endpoints: REJECT', src: '10.0.0.2', dst: '172.30.0.46', port: 80, output: 'REJECT' },
  { name: 'affinity service, pod to cluster IP', src: '10.0.0.2', dst: '172.30.0.45', port: 80, output: '10.180.0.3:80' },
  { name: 'LB source range allowed', src: '203.0.113.7', dst: '5.6.7.8', port: 80, output: '10.180.0.3:80', masq: true },
  { name: 'LB source range blocked', src: testExternalClientBlocked, dst: '5.6.7.8', port: 80, output: 'DROP' },
  { name: 'pod to NodePort', src: '10.0.0.2', dst: testNodeIP, port: 3003, output: '10.180.0.3:80', masq: true },
  { name: 'external to NodePort', src: testExternalClient, dst: testNodeIP, port: 3003, output: '10.180.0.3:80', masq: true },
  { name: 'localhost NodePort', src: '127.0.0.1', dst: '127.0.0.1', port: 3003, output: '10.180.0.3:80', masq: true },
  {
    name: 'external to an external IP',
    src: testExternalClient,
    dst: '192.168.99.33',
    port: 80,
    output: '10.180.0.4:80, 10.180.0.5:80',
    masq: true,
  },
];

/**
 * Real differences from kube-proxy's iptables mode, by mode and flow: what the mode gives
 * instead and why (each is described in docs/<mode>.md). A mode not listed here must give
 * iptables mode's answer to every flow.
 */
const DIFFERENCES: Record<string, Record<string, { output: string; masq?: boolean; why: string }>> = {
  ipvs: {
    'LOCAL to an external IP, KUBE-MARK-MASQ': {
      output: '10.180.0.2:80',
      why: 'kube-proxy 1.25 marks for masquerade only KUBE-EXTERNAL-IP (eTP Cluster) traffic; eTP Local external IPs are in KUBE-EXTERNAL-IP-LOCAL, whose rules do not mark',
    },
    'external IP with eTP Local and no local endpoint: DROP': {
      output: '10.180.0.2:80',
      why: 'IPVS sends eTP Local traffic to the cluster endpoints when the node has no local one (kubernetes#97081)',
    },
    'localhost NodePort': { output: '', why: 'IPVS creates no virtual server on 127.0.0.1: no localhost NodePorts' },
  },
  nftables: {
    'health check NodePort: ACCEPT': {
      output: '',
      why: "kube-proxy's nftables table has no rule accepting the health-check NodePort: its filter chains only drop or reject, so the packet passes through unmatched",
    },
    'localhost NodePort': {
      output: '',
      why: 'no localhost NodePorts in nftables mode: the services chain matches NodePorts with `ip daddr != 127.0.0.0/8`',
    },
  },
  ebpf: {
    'single endpoint': {
      output: '10.180.0.1:80',
      why: 'same endpoint, but chosen by socket LB at connect(): the socket is connected to the backend, the ClusterIP never appears on the wire (kubeproxy-free.rst, "Socket LoadBalancer Bypass in Pod Namespace")',
    },
    'multiple endpoints': { output: '10.180.0.4:80, 10.180.0.5:80', why: 'as above: translated at connect(), no DNAT' },
    'affinity service, pod to cluster IP': { output: '10.180.0.3:80', why: "as above; affinity keyed by the client's network namespace" },
    'LOCAL to an external IP, KUBE-MARK-MASQ': {
      output: '',
      why: "socket LB does not translate externalIPs that are not the node's own (CVE-2020-8554 mitigation, bpf.disableExternalIPMitigation)",
    },
    'external IP with eTP Local and no local endpoint: DROP': {
      output: 'REJECT',
      why: 'no backend in the external scope is a service without backends: ICMP unreachable with serviceNoBackendResponse=reject, the default (cilium#28157)',
    },
    'pod to NodePort': {
      output: '10.180.0.3:80',
      why: "socket LB connects the pod's socket to the backend: no SNAT, the pod's address is kept",
    },
    'localhost NodePort': {
      output: '10.180.0.3:80',
      why: 'socket LB serves NodePorts on loopback through the 0.0.0.0 frontend; the socket connects to the backend directly, no SNAT',
    },
  },
  userspace: {
    'single endpoint': {
      output: '10.180.0.1:80',
      masq: true,
      why: 'the proxy connects to the endpoint from the node: every connection is source-NATed',
    },
    'multiple endpoints': { output: '10.180.0.4:80, 10.180.0.5:80', masq: true, why: 'as above: the proxy opens its own connection' },
    'affinity service, pod to cluster IP': { output: '10.180.0.3:80', masq: true, why: 'as above' },
    'LOCAL to an external IP, KUBE-MARK-MASQ': {
      output: '',
      why: 'the userspace proxier opens portals for external IPs only for traffic from off the node or from containers (KUBE-PORTALS-HOST has none)',
    },
    'external IP with eTP Local and no local endpoint: DROP': {
      output: '10.180.0.2:80',
      masq: true,
      why: 'the userspace proxier ignores traffic policies',
    },
    'health check NodePort: ACCEPT': { output: '', why: 'the userspace proxier serves no health-check NodePort' },
    'LB source range blocked': { output: '10.180.0.3:80', masq: true, why: 'the userspace proxier ignores loadBalancerSourceRanges' },
  },
};

const origin = (src: string): PacketOrigin => (LOCAL_IPS.has(src) ? 'local' : 'forwarded');
const packet = (f: Flow) => ({ src: parseIPv4(f.src), dst: parseIPv4(f.dst), proto: 6 as const, sport: 40000, dport: f.port });

for (const mode of allModes()) {
  const build = () => mode.build(cluster, { ...config, mode: mode.name });

  test(`contract ${mode.name}: kube-proxy's packet flows, with the mode's real differences`, () => {
    const dp = build();
    const failures: string[] = [];
    const own = DIFFERENCES[mode.name] ?? {};
    for (const f of FLOWS) {
      const want = own[f.name] ?? { output: f.output, masq: f.masq };
      const r = dp.trace(packet(f), origin(f.src));
      const parts = [...r.endpoints].sort();
      if (r.verdict === 'DROP' || r.verdict === 'REJECT' || r.verdict === 'ACCEPT') parts.push(r.verdict);
      const got = parts.join(', ');
      if (got !== want.output || r.masquerade !== (want.masq ?? false))
        failures.push(
          `${f.name}: got "${got}" masq=${r.masquerade}, want "${want.output}" masq=${want.masq ?? false}\n    ${r.path.join('\n    ')}`,
        );
    }
    assert.deepEqual(failures, []);
    for (const name of Object.keys(own))
      assert.ok(
        FLOWS.some((f) => f.name === name),
        `DIFFERENCES.${mode.name} names a flow: ${name}`,
      );
  });

  test(`contract ${mode.name}: lookup picks one of the endpoints trace explores`, () => {
    const dp = build();
    const rng = new Rng(`contract/${mode.name}`);
    const out = newLookupResult();
    for (const f of FLOWS) {
      const traced = dp.trace(packet(f), origin(f.src));
      for (let i = 0; i < 20; i++) {
        dp.lookup(packet(f), origin(f.src), rng, out);
        if (traced.verdict !== 'DNAT') {
          assert.notEqual(out.verdict, 'DNAT', `${f.name}: lookup DNATs where trace does not`);
          continue;
        }
        assert.equal(out.verdict, 'DNAT', `${f.name}: trace DNATs, lookup gives ${out.verdict}`);
        assert.ok(
          traced.endpoints.includes(`${formatIPv4(out.endpointIP)}:${out.endpointPort}`),
          `${f.name}: ${formatIPv4(out.endpointIP)}`,
        );
      }
    }
  });

  test(`contract ${mode.name}: syncing an unchanged cluster changes nothing`, () => {
    const dp = build();
    const stats = dp.stats();
    const outputs = mode.formats.map((f) => dp.render(f));
    dp.sync(cluster);
    dp.sync(cluster, { full: true });
    assert.deepEqual(dp.stats(), stats);
    assert.deepEqual(
      mode.formats.map((f) => dp.render(f)),
      outputs,
    );
  });

  test(`contract ${mode.name}: stats agree with what render() shows`, () => {
    const dp = build();
    const stats = dp.stats();
    assert.deepEqual(Object.keys(stats).sort(), mode.stats.map((q) => q.name).sort(), 'stats() reports what the descriptor declares');
    for (const q of mode.stats) {
      if (!q.countIn) continue;
      const lines = dp.render(q.countIn.format).split('\n');
      assert.equal(stats[q.name], lines.filter((l) => q.countIn!.line.test(l)).length, `${q.name} in ${q.countIn.format}`);
    }
  });

  test(`contract ${mode.name}: lookup allocates nothing per packet`, () => {
    // heap-growth.ts's CHILD_FLAGS: optimizing compiles on the main thread, a young generation no
    // scavenge empties during the measured loop.
    const r = spawnSync(process.execPath, [...CHILD_FLAGS, 'test/proxy/lookup-alloc.ts', mode.name], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const { lookups, heapDeltaBytes } = JSON.parse(r.stdout) as { lookups: number; heapDeltaBytes: number };
    // Tens of kilobytes of bookkeeping can appear (inline caches, a map slot); one object or boxed
    // number per lookup would be at least 16 bytes each.
    assert.ok(heapDeltaBytes / lookups < 2, `${heapDeltaBytes} bytes over ${lookups} lookups`);
  });
}
