// What calibration would load and send, checked without a kernel: kpsim's own renderings with
// kpsim's own counts, probes that no service has, bounded connection counts, and a
// kube-proxy-shaped nftables table whose rules only name chains declared before them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { nftablesTable } from '../../src/calibrate/nft-table.ts';
import type { Step } from '../../src/calibrate/netns.ts';
import { conntrackPlan, DEFAULT_EFFORT, iptablesPlan, nftablesPlan } from '../../src/calibrate/plans.ts';
import { renderMaterial } from '../../src/calibrate/rulesets.ts';
import { serviceChainNames } from '../../src/proxy/iptables/chain-names.ts';
import { buildServiceMap, nodeView } from '../../src/proxy/service-map.ts';
import { generateCluster } from '../../src/scenario/generate.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { tempDir } from '../helpers/cli.ts';

const scenario = loadScenario('scenarios/scale-sweep.yaml');
const dir = tempDir('kpsim-cal-plan-');
const material = renderMaterial(scenario, [0, 100, 400], dir);

/** Most connection attempts (or datagrams) one step may make (probe.py's MAX_OPS_PER_STEP). */
const MAX_OPS = 200_000;

function ops(steps: Step[], op: 'connect' | 'udp'): number {
  return steps.reduce((n, s) => n + (s.op === op ? s.count * (s.samples + 1) : 0), 0);
}

test('material: the files are kpsim renderings, counted as the model counts them', () => {
  const [skeleton, s100, s400] = material.scales;
  assert.equal(skeleton.services, 0);
  for (const s of material.scales) {
    const save = readFileSync(s.saveFile, 'utf8');
    assert.equal(save.split('\n').length - 1, s.saveLines);
    assert.equal(save.split('\n').filter((l) => l.startsWith('-A ')).length, s.totalRules);
    // Rendered as kube-proxy renders on a host without nfacct.
    assert.ok(!save.includes('nfacct'));
    // A packet to an unused ClusterIP walks KUBE-SERVICES to its end, from nat OUTPUT's jump.
    const natServices = save
      .slice(save.indexOf('*nat'))
      .split('\n')
      .filter((l) => l.startsWith('-A KUBE-SERVICES ')).length;
    assert.equal(s.walkRules, natServices + 1);
  }
  assert.ok(skeleton.walkRules < s100.walkRules && s100.walkRules < s400.walkRules);
  // The probes are in the service range, and no cluster of any scale gave them to a service.
  for (const p of material.probes) {
    assert.ok(p.startsWith('10.1'), p);
    for (const s of material.scales) assert.ok(!readFileSync(s.saveFile, 'utf8').includes(`-d ${p}`), p);
  }
});

test('plans: every step is bounded, addresses and routes stay on lo, sysctls are per namespace', () => {
  const plans = {
    nft: iptablesPlan('nft', material, DEFAULT_EFFORT),
    legacy: iptablesPlan('legacy', material, DEFAULT_EFFORT),
    nftables: nftablesPlan(material, DEFAULT_EFFORT),
    conntrack: conntrackPlan({ hook: 'h.nft', ct: 'c.nft' }, DEFAULT_EFFORT),
  };
  for (const [name, steps] of Object.entries(plans)) {
    for (const s of steps) if (s.op === 'connect' || s.op === 'udp') assert.ok(s.count * (s.samples + 1) <= MAX_OPS, `${name}: ${s.label}`);
    // Addresses on lo only; every route goes out lo.
    for (const s of steps) if (s.op === 'run' && s.argv[0] === 'ip') assert.ok(s.argv.includes('lo'), `${name}: ${s.argv.join(' ')}`);
    // Only per-namespace net sysctls.
    for (const s of steps) if (s.op === 'sysctl') assert.match(s.path, /^\/proc\/sys\/net\/netfilter\//);
    assert.ok(ops(steps, 'connect') < 200_000, `${name}: ${ops(steps, 'connect')} connects`);
    assert.ok(ops(steps, 'udp') < 1_000_000, `${name}: ${ops(steps, 'udp')} datagrams`);
  }
  // The no-match probes go only to the unused ClusterIPs.
  for (const s of plans.nft) if (s.op === 'connect') for (const [ip] of s.dsts) assert.ok(material.probes.includes(ip), ip);
  // Each scale restored once per repetition; scales alternate up and down.
  const restores = plans.nft.filter((s) => s.op === 'run' && s.label?.startsWith('restore:')).map((s) => (s.op === 'run' ? s.label : ''));
  assert.deepEqual(restores, [
    'restore:nft:0:0',
    'restore:nft:100:0',
    'restore:nft:400:0',
    'restore:nft:400:1',
    'restore:nft:100:1',
    'restore:nft:0:1',
    'restore:nft:0:2',
    'restore:nft:100:2',
    'restore:nft:400:2',
  ]);
  // `iptables -A` in the first repetition only.
  const appends = plans.legacy.filter((s) => s.op === 'run' && s.label?.startsWith('append:'));
  assert.equal(appends.length, DEFAULT_EFFORT.appends * material.scales.length);
  // Conntrack's new-flow steps use disjoint addresses.
  const news = plans.conntrack.filter((s) => s.op === 'udp' && s.label.startsWith('udp-new:ct:'));
  const ranges = news.map((s) => (s.op === 'udp' ? [s.offset ?? 0, (s.offset ?? 0) + s.count * (s.samples + 1)] : [0, 0]));
  for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i][0] >= ranges[i - 1][1], JSON.stringify(ranges));
  assert.ok(ranges[ranges.length - 1][1] <= 131072);
});

test("nftables table: kube-proxy's layout; every chain a rule names is declared before it", () => {
  const cluster = generateCluster(loadScenario('scenarios/small.yaml'), 20);
  const view = nodeView(cluster, cluster.nodes[0].metadata.name);
  const ports = buildServiceMap(cluster, view);
  const t = nftablesTable(ports, cluster.config.clusterCIDR);
  const lines = t.text.trim().split('\n');
  const declared = new Set<string>();
  for (const l of lines) {
    const chain = /^add chain ip kube-proxy (\S+)/.exec(l);
    if (chain) declared.add(chain[1]);
    for (const m of l.matchAll(/(?:goto|jump) (\S+)/g))
      assert.ok(declared.has(m[1].replace(/[,}]$/, '')), `${m[1]} used before it is declared: ${l}`);
  }
  assert.equal(lines.filter((l) => l.startsWith('add chain')).length, t.chains);
  assert.equal(lines.filter((l) => l.startsWith('add rule')).length, t.rules);
  assert.equal(lines.filter((l) => l.startsWith('add element')).length, t.elements);
  assert.ok(t.text.includes('add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips'));
  // Chain names: base32(sha256) prefix as kube-proxy's, then ns/name/proto/port.
  const sp = ports.find((p) => p.endpoints.some((e) => e.ready))!;
  const hash = serviceChainNames(sp.name, sp.protocol).cluster.slice('KUBE-SVC-'.length, 'KUBE-SVC-'.length + 8);
  assert.ok(
    t.text.includes(
      `add chain ip kube-proxy service-${hash}-${sp.namespace}/${sp.serviceName}/${sp.protocol.toLowerCase()}/${sp.portName}`,
    ),
  );
  assert.ok(new RegExp(`numgen random mod ${sp.endpoints.filter((e) => e.ready).length} vmap`).test(t.text));
  // Without the lookup: the same table, no vmap in `services`.
  const bare = nftablesTable(ports, cluster.config.clusterCIDR, { serviceLookup: false });
  assert.ok(!bare.text.includes('vmap @service-ips') && bare.rules === t.rules - 1);
});
