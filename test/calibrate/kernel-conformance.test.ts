// Conformance with the real kernel (root and Debian's iptables/nftables; skipped elsewhere): what
// `kpsim rules` prints for a generated 5,000-service cluster loads with iptables-nft-restore and
// iptables-legacy-restore in a throwaway network namespace, and the kernel's own iptables-save
// of it parses with kpsim's loader and traces every sample packet exactly as the original does.
// kube-proxy creates its nfacct counters over netlink before it restores rules that name them;
// the test does the same. The kube-proxy-shaped nftables table calibration uses loads with nft -f.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNamespace, type Step } from '../../src/calibrate/netns.ts';
import { PROBE_SRC } from '../../src/calibrate/rulesets.ts';
import { nftablesTable } from '../../src/calibrate/nft-table.ts';
import { readClusterFile } from '../../src/cluster/k8s-io.ts';
import { IptablesDumpPlane } from '../../src/proxy/iptables/dump-plane.ts';
import { loadPlane } from '../../src/proxy/load-plane.ts';
import { buildServiceMap, nodeView } from '../../src/proxy/service-map.ts';
import type { Packet, PacketOrigin, TraceResult } from '../../src/proxy/types.ts';
import { PROTO_TCP } from '../../src/util/proto.ts';
import { formatIPv4, parseIPv4 } from '../../src/util/ipv4.ts';
import { kpsim, tempDir } from '../helpers/cli.ts';
import { kernelSkipReason, python } from '../helpers/kernel.ts';

const skip = kernelSkipReason();
const SERVICES = 5000;

/** Sample packets: cluster IPs of spread-out services from a pod and from the node, their NodePorts, unused addresses. */
function samplePackets(cluster: ReturnType<typeof readClusterFile>['cluster'], node: string): [Packet, PacketOrigin][] {
  const view = nodeView(cluster, node);
  const nodeIP = [...view.localIPs].find((ip) => ip !== parseIPv4('127.0.0.1'))!;
  const pod = parseIPv4(cluster.nodes[1].spec.podCIDR!.split('/')[0]) + 7;
  const ports = buildServiceMap(cluster, view);
  const out: [Packet, PacketOrigin][] = [];
  const step = Math.max(1, Math.floor(ports.length / 120));
  for (let i = 0; i < ports.length; i += step) {
    const sp = ports[i];
    out.push([{ src: pod, dst: sp.clusterIP, proto: sp.protoNumber, sport: 40000 + i, dport: sp.port }, 'forwarded']);
    out.push([{ src: nodeIP, dst: sp.clusterIP, proto: sp.protoNumber, sport: 40000 + i, dport: sp.port }, 'local']);
    if (sp.nodePort)
      out.push([{ src: parseIPv4('203.0.113.9'), dst: nodeIP, proto: sp.protoNumber, sport: 50000, dport: sp.nodePort }, 'forwarded']);
  }
  for (const dst of ['10.111.255.254', '10.96.0.1', '192.0.2.1'])
    out.push([{ src: pod, dst: parseIPv4(dst), proto: PROTO_TCP, sport: 40001, dport: 443 }, 'forwarded']);
  return out;
}

function comparable(t: TraceResult) {
  return { verdict: t.verdict, endpoints: [...t.endpoints].sort(), masquerade: t.masquerade, rulesEvaluated: t.rulesEvaluated };
}

test(`kpsim rules for ${SERVICES} services loads with iptables-nft-restore and iptables-legacy-restore; the kernel's iptables-save traces the same`, {
  skip,
  timeout: 300_000,
}, async () => {
  const dir = tempDir('kpsim-kernel-');
  const clusterFile = join(dir, 'cluster.json');
  const rulesFile = join(dir, 'rules.txt');
  const gen = kpsim(['generate', 'scenarios/scale-sweep.yaml', '--scale', String(SERVICES), '--out', clusterFile]);
  assert.equal(gen.status, 0, gen.stderr);
  const rules = kpsim(['rules', '--cluster', clusterFile]);
  assert.equal(rules.status, 0, rules.stderr);
  const text = rules.stdout;
  writeFileSync(rulesFile, text);
  const counters = [...new Set([...text.matchAll(/--nfacct-name (\S+)/g)].map((m) => m[1]))];
  assert.ok(counters.length > 0, 'the renderer emits nfacct matches (kube-proxy with nfacct support)');

  // One namespace per backend, both at once.
  const load = (b: string): Promise<unknown> => {
    const steps: Step[] = [
      { op: 'nfacct-add', names: counters },
      { op: 'run', argv: [`iptables-${b}-restore`], stdin: rulesFile, label: 'restore' },
      { op: 'run', argv: [`iptables-${b}-save`], stdoutTo: join(dir, `saved-${b}.txt`), label: 'save' },
    ];
    return runInNamespace(python(), steps, 240_000);
  };
  await Promise.all(['nft', 'legacy'].map(load));

  // The original: the data plane `kpsim rules` printed (same cluster, same defaults).
  const { plane: original } = loadPlane({ cluster: clusterFile });
  const { cluster } = readClusterFile(clusterFile);
  const node = cluster.nodes[0].metadata.name;
  const localIPs = [...nodeView(cluster, node).localIPs];
  const packets = samplePackets(cluster, node);
  assert.ok(packets.length > 200);
  const verdicts = new Set<string>();
  for (const b of ['nft', 'legacy']) {
    const saved = readFileSync(join(dir, `saved-${b}.txt`), 'utf8');
    // The kernel's dump, not our text: it normalises rules (`-p tcp -m tcp`, `/32`, --set-xmark).
    assert.notEqual(saved, text);
    assert.equal(
      saved.split('\n').filter((l) => l.startsWith('-A ')).length,
      text.split('\n').filter((l) => l.startsWith('-A ')).length,
      `${b}: every rule is in the kernel`,
    );
    const kernel = new IptablesDumpPlane(saved, localIPs, 0x4000, `saved-${b}.txt`);
    for (const [p, origin] of packets) {
      const want = comparable(original.trace(p, origin));
      verdicts.add(want.verdict);
      assert.deepEqual(comparable(kernel.trace(p, origin)), want, `${b}: ${origin} packet to ${p.dst}:${p.dport}`);
    }
  }
  // The sample exercises more than one outcome (DNAT to endpoints, no match, ...).
  assert.ok(verdicts.has('DNAT') && verdicts.size > 1, [...verdicts].join(','));
});

test("calibration's kube-proxy-shaped nftables table loads with nft -f, and a ClusterIP connect is DNATed by it", {
  skip,
  timeout: 120_000,
}, async () => {
  const dir = tempDir('kpsim-kernel-nft-');
  const gen = kpsim(['generate', 'scenarios/small.yaml', '--out', join(dir, 'c.json')]);
  assert.equal(gen.status, 0, gen.stderr);
  const { cluster } = readClusterFile(join(dir, 'c.json'));
  const view = nodeView(cluster, cluster.nodes[0].metadata.name);
  const ports = buildServiceMap(cluster, view);
  const table = nftablesTable(ports, cluster.config.clusterCIDR);
  writeFileSync(join(dir, 't.nft'), table.text);
  const withEndpoints = ports.filter((p) => p.endpoints.some((e) => e.ready) && p.protocol === 'TCP');
  // A user service: its endpoints are pods (routed in the namespace), not the API server's node address.
  const target = withEndpoints.find((p) => p.namespace !== 'default')!;
  const res = await runInNamespace(
    python(),
    [
      { op: 'run', argv: ['nft', '-f', join(dir, 't.nft')], label: 'load' },
      { op: 'run', argv: ['nft', 'list', 'map', 'ip', 'kube-proxy', 'service-ips'], label: 'map' },
      // One connect to the service from the node: the SYN goes through nat-output and its vmap.
      { op: 'run', argv: ['ip', 'link', 'set', 'lo', 'up'] },
      { op: 'run', argv: ['ip', 'addr', 'add', `${PROBE_SRC}/32`, 'dev', 'lo'] },
      { op: 'run', argv: ['ip', 'route', 'add', cluster.config.serviceCIDR, 'dev', 'lo', 'src', PROBE_SRC] },
      { op: 'run', argv: ['ip', 'route', 'add', cluster.config.clusterCIDR, 'dev', 'lo', 'src', PROBE_SRC] },
      { op: 'connect', label: 'syn', src: PROBE_SRC, dsts: [[formatIPv4(target.clusterIP), target.port]], count: 1, samples: 1 },
      { op: 'read', path: '/proc/net/nf_conntrack', label: 'conntrack' },
    ],
    90_000,
  );
  const by = new Map(res.map((r) => [r.label, r]));
  assert.equal(by.get('load')?.rc, 0);
  for (const sp of withEndpoints.slice(0, 5))
    assert.ok(by.get('map')!.stdout!.includes(`${formatIPv4(sp.clusterIP)} . tcp . ${sp.port} : goto service-`), formatIPv4(sp.clusterIP));
  // The kernel's entry for the connect: original direction to the ClusterIP, reply from an endpoint.
  const entry = (by.get('conntrack')!.text ?? '').split('\n').find((l) => l.includes(`dst=${formatIPv4(target.clusterIP)} `));
  assert.ok(entry, by.get('conntrack')!.text ?? '(no conntrack table)');
  const endpoints = target.endpoints.filter((e) => e.ready).map((e) => e.ipText);
  assert.ok(
    endpoints.some((ip) => entry.includes(`src=${ip} `)),
    `${entry} replies from one of ${endpoints.join(', ')}`,
  );
  assert.ok(table.chains > withEndpoints.length && table.elements >= ports.length);
});
