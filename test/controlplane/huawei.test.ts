// huawei2017-iptables-rule-add (data/published-figures.json, a copy of shared/reference/): adding one service took
// 660 s at 5,000 services / 40,000 rules and 18,000 s at 20,000 services / 160,000 rules on
// legacy iptables. The scenario gives each service 8 rules, as theirs: one ClusterIP port with 2
// endpoints and a local-traffic detector = a KUBE-SERVICES rule, a KUBE-SVC chain (masquerade
// rule and 2 jumps) and 2 KUBE-SEP chains of 2 rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runChurn } from '../../src/controlplane/index.ts';
import { parseScenario } from '../../src/scenario/load.ts';

const SCENARIO = `seed: 2017
cluster: { clusterCIDR: 100.64.0.0/10 }
nodes: 400
services: [5000, 20000]
endpointsPerService: 2
portsPerService: 1
serviceTypes: { ClusterIP: 1 }
systemServices: false
churn:
  duration: 5s
  nodes: 1
  phase: 0s
  profile: legacy
  timeline: [{ at: 1s, kind: serviceCreate }]
`;

const figures = JSON.parse(readFileSync(new URL('../../data/published-figures.json', import.meta.url), 'utf8')) as {
  figures: { id: string; points: { services: number; rules: number; value: number }[] }[];
};
const huawei = figures.figures.find((f) => f.id === 'huawei2017-iptables-rule-add')!;

for (const point of huawei.points.filter((p) => p.services >= 5000)) {
  test(`Huawei 2017: adding a service at ${point.services} services (${point.rules} rules) takes ${point.value} s, within a factor of 2`, () => {
    const s = parseScenario(SCENARIO, '/tmp/huawei.yaml');
    const run = runChurn(s, { mode: 'iptables', services: point.services, trace: true });
    const { start, end } = run.summary.ruleset;
    assert.equal(end.total_rules - start.total_rules, 8, 'rules per service');
    const rules = end.total_rules;
    assert.ok(Math.abs(rules / (point.rules + 8) - 1) < 0.001, `rules ${rules}`);
    assert.equal(run.sim.changes, 1);
    const latency = run.summary.latency.p50;
    const ratio = latency / point.value;
    assert.ok(ratio > 0.5 && ratio < 2, `${latency.toFixed(0)} s vs published ${point.value} s (ratio ${ratio.toFixed(2)})`);
  });
}
