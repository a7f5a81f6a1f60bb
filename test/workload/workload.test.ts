// The workload's metrics on clusters small enough to count by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.ts';
import { DEFAULT_COST_MODEL } from '../../src/metrics/cost-model.ts';
import { parseKubeProxyConfig } from '../../src/proxy/load-config.ts';
import { newLookupResult } from '../../src/proxy/types.ts';
import { getMode } from '../../src/proxy/modes.ts';
import { generateCluster } from '../../src/scenario/generate.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { parseIPv4 } from '../../src/util/ipv4.ts';
import { planDns } from '../../src/workload/dns-lookups.ts';
import { newFlowTable } from '../../src/workload/flows.ts';
import { parseWorkload } from '../../src/workload/schema.ts';
import { runWorkload } from '../../src/workload/simulate.ts';
import { clusterIPTargets, type Targets } from '../../src/workload/targets.ts';

const scenario = parseScenario(
  'seed: 5\nnodes: 2\nnamespaces: 1\nservices: 4\nendpointsPerService: 1\nsystemServices: false\n',
  'tiny.yaml',
);
const cluster = generateCluster(scenario, 4);
const kpc = parseKubeProxyConfig({ mode: 'iptables', hostnameOverride: 'node-1', clusterCIDR: cluster.config.clusterCIDR });
// A client that is not itself an endpoint (a pod talking to itself would be hairpin-masqueraded).
const pods = Uint32Array.of(parseIPv4('10.244.0.250'));

function only(t: Targets, k: number): Targets {
  return {
    count: 1,
    ip: t.ip.slice(k, k + 1),
    port: t.port.slice(k, k + 1),
    proto: t.proto.slice(k, k + 1),
    service: t.service.slice(k, k + 1),
  };
}

function run(mode: 'iptables' | 'ipvs', targets: Targets, extra: Record<string, unknown> = {}, dns = false) {
  const dp = getMode(mode).build(cluster, { ...kpc, mode });
  const workload = parseWorkload({ connections: 40, packetsPerConnection: 5, ...extra });
  const empty = { count: 0, ip: new Uint32Array(0), port: new Uint16Array(0), proto: new Uint8Array(0), service: new Int32Array(0) };
  return runWorkload({
    mode,
    dataPlane: dp,
    flows: newFlowTable(kpc),
    costModel: DEFAULT_COST_MODEL,
    workload,
    internal: targets,
    external: empty,
    podIPs: pods,
    externalIPs: pods,
    rng: new Rng(1),
    dns: dns ? planDns(cluster, 'default') : null,
  });
}

test('iptables: the k-th service costs the k rules of KUBE-SERVICES up to it plus fixed chains', () => {
  const all = clusterIPTargets(cluster);
  assert.equal(all.count, 4);
  for (let k = 1; k <= 4; k++) {
    const out = run('iptables', only(all, k - 1));
    // Same hand count as test/proxy/iptables-rules-evaluated.test.ts: k + 5 for a pod -> ClusterIP packet
    // (the lookup hook, nat PREROUTING, only: filter and POSTROUTING are walked but not priced as lookup).
    assert.deepEqual([...new Set(out.rulesEvaluated)], [k + 5], `service ${k}`);
    assert.equal(out.verdicts.DNAT, 40);
    assert.equal(out.packets, 40 * 5);
    // Lookup cost is the rules walked times the per-rule cost, nothing else.
    assert.ok(Math.abs(out.lookupNs[0] - (k + 5) * DEFAULT_COST_MODEL.iptablesRuleNs) < 1e-9);
  }
});

test('ipvs: the same services cost the same rules whatever their position; only hash probes vary', () => {
  const all = clusterIPTargets(cluster);
  const dp = getMode('ipvs').build(cluster, { ...kpc, mode: 'ipvs' });
  const out = newLookupResult();
  const ruleParts = new Set<number>();
  for (let k = 0; k < all.count; k++) {
    dp.lookup({ src: pods[0], dst: all.ip[k], dport: all.port[k], proto: 6, sport: 40000 + k }, 'forwarded', new Rng(k), out);
    assert.equal(out.verdict, 'DNAT');
    assert.ok(out.hashProbes >= 1 && out.hashProbes <= 2, `probes ${out.hashProbes}`);
    ruleParts.add(out.rulesEvaluated);
  }
  assert.equal(ruleParts.size, 1);
});

test('CPU per packet: later packets are conntrack hits, cheaper than first packets', () => {
  const all = clusterIPTargets(cluster);
  const one = run('iptables', all, { packetsPerConnection: 1 });
  const ten = run('iptables', all, { packetsPerConnection: 10 });
  assert.ok(ten.cpuNs / ten.packets < one.cpuNs / one.packets);
});

test("by-name connections send the resolver's queries to kube-dns through the data plane", () => {
  const withDns = generateCluster(parseScenario('seed: 5\nnodes: 2\nservices: 4\nendpointsPerService: 1\n', 'dns.yaml'), 4);
  const targets = clusterIPTargets(withDns);
  const dp = getMode('iptables').build(withDns, kpc);
  const dns = planDns(withDns, 'default')!;
  // svc-1.ns-1 from namespace default: svc-1.ns-1.default.svc.cluster.local (NXDOMAIN), then
  // svc-1.ns-1.svc.cluster.local (found); A and AAAA for each candidate.
  const svcIndex = withDns.services.findIndex((s) => s.metadata.name === 'svc-1');
  assert.equal(dns.queriesFor(svcIndex), 4);
  const workload = parseWorkload({ connections: 30, packetsPerConnection: 2, byName: 1 });
  const out = runWorkload({
    mode: 'iptables',
    dataPlane: dp,
    flows: newFlowTable(kpc),
    costModel: DEFAULT_COST_MODEL,
    workload,
    internal: targets,
    external: { ...targets, count: 0 },
    podIPs: pods,
    externalIPs: pods,
    rng: new Rng(2),
    dns,
  });
  assert.equal(out.dnsLookups, 30);
  assert.ok(out.dnsQueries >= 30 * 2, `${out.dnsQueries}`);
  assert.ok(out.dnsRulesEvaluated > 0);
  assert.equal(out.packets, 30 * 2 + 2 * out.dnsQueries);
});
