import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIptablesSave } from '../../src/netfilter/index.ts';
import { attributeRuleset, measureIptables, servicePortOfComment } from '../../src/controlplane/index.ts';
import { IptablesModel } from '../../src/controlplane/modes.ts';
import { servicesFromCluster } from '../../src/controlplane/services.ts';
import { generateCluster, scenarioConfig } from '../../src/scenario/generate.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { parseKubeProxyConfig } from '../../src/proxy/config.ts';
import { getProxyMode } from '../../src/proxy/registry.ts';
import type { Cluster } from '../../src/cluster/model.ts';

// A kube-proxy-style dump in largeClusterMode: the SVC -> SEP jumps and SEP rules carry no comment,
// so ns/a:p80 owns its SEP chains only through the jumps from its SVC chain.
const FIXTURE = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-SERVICES -m comment --comment "ns/b:p80 has no endpoints" -m tcp -p tcp -d 10.0.0.2 --dport 80 -j REJECT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]
:KUBE-SEP-1111111111111111 - [0:0]
:KUBE-SEP-2222222222222222 - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-SERVICES -m comment --comment "ns/a:p80 cluster IP" -m tcp -p tcp -d 10.0.0.1 --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-AAAAAAAAAAAAAAAA -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-1111111111111111
-A KUBE-SVC-AAAAAAAAAAAAAAAA -j KUBE-SEP-2222222222222222
-A KUBE-SEP-1111111111111111 -s 10.1.0.1/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-1111111111111111 -m tcp -p tcp -j DNAT --to-destination 10.1.0.1:8080
-A KUBE-SEP-2222222222222222 -s 10.1.0.2/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-2222222222222222 -m tcp -p tcp -j DNAT --to-destination 10.1.0.2:8080
COMMIT
`;

test('service port names are read from kube-proxy comments, not from CIDRs or fixed comments', () => {
  assert.equal(servicePortOfComment('ns-1/svc-1:p80 cluster IP'), 'ns-1/svc-1:p80');
  assert.equal(servicePortOfComment('masquerade traffic for ns-1/svc-1:p80 external destinations'), 'ns-1/svc-1:p80');
  assert.equal(servicePortOfComment('ns-1/svc-1:p80 -> 10.1.0.1:8080'), 'ns-1/svc-1:p80');
  assert.equal(servicePortOfComment('default/kubernetes'), 'default/kubernetes');
  assert.equal(servicePortOfComment('kubernetes service nodeports; NOTE: this must be the last rule in this chain'), null);
  assert.equal(servicePortOfComment('block incoming localnet connections'), null);
});

test('attribution of a hand-written dump: chains follow the jumps when rules carry no comment', () => {
  const a = attributeRuleset(parseIptablesSave(FIXTURE));
  // filter: *filter, COMMIT, 1 declaration, 1 rule; nat: *nat, COMMIT, 6 declarations, 9 rules.
  assert.equal(a.restoreLines, 4 + 17);
  assert.equal(a.totalRules, 12);
  assert.deepEqual(a.ports.get('ns/a:p80'), { fixedChainLines: 1, ownLines: 3 + 6, ownChains: 3, rules: 7 });
  assert.deepEqual(a.ports.get('ns/b:p80'), { fixedChainLines: 1, ownLines: 0, ownChains: 0, rules: 1 });
  assert.equal(a.fixedLines, 21 - 10 - 1);
  assert.equal(a.fixedRules, 4);
  assert.equal(a.ports.size, 2);
});

const MIXED = 'serviceTypes: { ClusterIP: 0.7, NodePort: 0.2, LoadBalancer: 0.1 }\nsessionAffinity: 0.2\nexternalTrafficPolicyLocal: 0.5\n';

function small(services: number, mix = MIXED): { cluster: Cluster; kpc: ReturnType<typeof parseKubeProxyConfig> } {
  const s = parseScenario(
    `seed: 5\nnodes: 20\nservices: ${services}\nendpointsPerService: { kind: uniform, min: 1, max: 5 }\n${mix}`,
    '/tmp/attr.yaml',
  );
  const cluster = generateCluster(s, services);
  const kpc = parseKubeProxyConfig({ mode: 'iptables', hostnameOverride: 'node-1', clusterCIDR: scenarioConfig(s).clusterCIDR });
  return { cluster, kpc };
}

test('the real renderer: attributed lines add up to what a full sync restores', () => {
  const { cluster, kpc } = small(40);
  const m = measureIptables(cluster, kpc, 1000);
  const dp = getProxyMode('iptables').build(cluster, kpc);
  const sync = dp.sync(cluster);
  assert.equal(m.sample.restoreLines, sync.restoreLines);
  assert.equal(m.sample.totalRules, sync.totalRules);
  let lines = m.fixedLines;
  for (const p of m.sample.attribution.ports.values()) lines += p.fixedChainLines + p.ownLines;
  assert.equal(lines, sync.restoreLines);
  // Every proxied port with endpoints owns its chains (none left to the fixed part).
  assert.ok(m.fixedLines < 40, `fixed lines ${m.fixedLines}`);
});

test('the line model predicts the renderer after endpoint and service changes', () => {
  const { cluster, kpc } = small(60);
  const m = measureIptables(cluster, kpc, 1000);
  const init = servicesFromCluster(cluster, 'node-1');
  const table = init.table.copy();
  const model = new IptablesModel(table, m, table.count + 4, false);
  const render = (c: Cluster) => getProxyMode('iptables').build(c, kpc).sync(c).restoreLines;
  assert.equal(model.size().restoreLines, render(cluster));

  // Drop one ready endpoint of a plain ClusterIP service with two or more.
  const s = table.keys.findIndex(
    (k, i) =>
      table.ready[i] >= 2 &&
      init.ports[i][0].nodePort === 0 &&
      init.ports[i][0].sessionAffinity === 'None' &&
      !k.startsWith('kube-system/') &&
      !k.startsWith('default/'),
  );
  assert.ok(s >= 0);
  const [ns, name] = table.keys[s].split('/');
  const slices = cluster.endpointSlices.map((sl) =>
    sl.metadata.namespace === ns && sl.metadata.labels?.['kubernetes.io/service-name'] === name
      ? {
          ...sl,
          endpoints: sl
            .endpoints!.filter((ep) => ep.conditions?.ready !== false)
            .slice(1)
            .concat(sl.endpoints!.filter((ep) => ep.conditions?.ready === false)),
        }
      : sl,
  );
  const w = { netlinkOps: 0, ipsetOps: 0, portOps: 0, iptablesInvocations: 0, staleLines: 0 };
  model.before(s);
  table.ready[s]--;
  model.after(s, 0, w);
  assert.equal(model.size().restoreLines, render({ ...cluster, endpointSlices: slices }));
  assert.equal(w.staleLines, 2, 'one KUBE-SEP chain deleted: a chain line and a -X line');

  // Delete that service altogether.
  model.before(s);
  table.kill(s);
  model.after(s, 2, w);
  const without: Cluster = {
    ...cluster,
    services: cluster.services.filter((x) => !(x.metadata.namespace === ns && x.metadata.name === name)),
    endpointSlices: slices,
  };
  assert.equal(model.size().restoreLines, render(without));
});

for (const [label, mix, tolerance] of [
  ['ClusterIP and NodePort', 'serviceTypes: { ClusterIP: 0.9, NodePort: 0.1 }\n', 0.005],
  ['every type, affinity, Local policies', MIXED, 0.03],
] as const) {
  test(`a stride sample of the services predicts the full ruleset (${label}) within ${tolerance * 100}%`, () => {
    const { cluster, kpc } = small(400, mix);
    const full = measureIptables(cluster, kpc, 10000);
    const sampled = measureIptables(cluster, kpc, 60);
    assert.ok(sampled.sample.services < 100);
    const init = servicesFromCluster(cluster, 'node-1');
    const exact = new IptablesModel(init.table.copy(), full, init.table.count, false).size();
    const est = new IptablesModel(init.table.copy(), sampled, init.table.count, false).size();
    assert.equal(exact.restoreLines, full.sample.restoreLines);
    assert.ok(Math.abs(est.restoreLines / exact.restoreLines - 1) < tolerance, `${est.restoreLines} vs ${exact.restoreLines}`);
    assert.ok(Math.abs(est.totalRules / exact.totalRules - 1) < tolerance, `${est.totalRules} vs ${exact.totalRules}`);
  });
}
