import { test } from 'node:test';
import assert from 'node:assert/strict';
import { churnSweep, runChurn, runChurnPoint } from '../../src/controlplane/index.ts';
import { fitPowerLaw } from '../../src/metrics/stats.ts';
import { parseScenario } from '../../src/scenario/load.ts';

function scenario(services: number, churn: string, seed = 21) {
  return parseScenario(
    `seed: ${seed}
nodes: 250
services: ${services}
endpointsPerService: { kind: uniform, min: 2, max: 6 }
serviceTypes: { ClusterIP: 0.95, NodePort: 0.05 }
churn:
${churn}`,
    '/tmp/behaviour.yaml',
  );
}

test('partial sync lowers p50 programming latency and leaves the full resync as it was', () => {
  const s = scenario(
    3000,
    `  duration: 120s
  nodes: 5
  rates: { endpointReady: 2, endpointNotReady: 2, rollingUpdate: 0.2, scaleUp: 0.5 }`,
  );
  const full = runChurn(s, { mode: 'iptables', services: 3000 }).summary;
  const partial = runChurn(s, { mode: 'iptables', services: 3000, partialSync: true }).summary;
  assert.equal(full.churn.changes, partial.churn.changes, 'same churn stream');
  assert.ok(partial.latency.p50 < full.latency.p50 * 0.9, `partial p50 ${partial.latency.p50} vs full ${full.latency.p50}`);
  assert.ok(partial.sync.partial.p50 < full.sync.full.p50 / 5);
  // Full resyncs write the same ruleset either way.
  assert.ok(partial.sync.full.count > 0);
  assert.ok(Math.abs(partial.sync.full.mean / full.sync.full.mean - 1) < 0.01, `${partial.sync.full.mean} vs ${full.sync.full.mean}`);
});

test('churn faster than iptables can sync: queue and p99 grow over the run, IPVS keeps up', () => {
  // Services created at 20/s keep growing the ruleset, and with it every full restore.
  const s = scenario(
    3000,
    `  duration: 300s
  nodes: 4
  rates: { serviceCreate: 20, endpointAdd: 2, endpointRemove: 2 }`,
  );
  const ipt = runChurn(s, { mode: 'iptables', services: 3000 }).summary;
  assert.ok(ipt.queue.lastThirdMean > 1.5 * ipt.queue.firstThirdMean, `queue ${ipt.queue.firstThirdMean} -> ${ipt.queue.lastThirdMean}`);
  assert.ok(ipt.thirds.last.p99 > 1.5 * ipt.thirds.first.p99, `p99 ${ipt.thirds.first.p99} -> ${ipt.thirds.last.p99}`);
  assert.ok(ipt.cpuShare.mean > 0.9);
  assert.equal(ipt.verdict.keepsUp, false);
  assert.match(
    ipt.verdict.text,
    /^falls behind: queue and latency grow without bound \(sync time [\d.]+ s > interval between changes [\d.]+ s\)$/,
  );

  const ipvs = runChurn(s, { mode: 'ipvs', services: 3000 }).summary;
  assert.equal(ipvs.churn.changes, ipt.churn.changes);
  assert.equal(ipvs.verdict.keepsUp, true, ipvs.verdict.text);
  assert.ok(ipvs.thirds.last.p99 < 1.2 * ipvs.thirds.first.p99 + 0.05);
  assert.ok(ipvs.latency.p99 <= 1.1, `IPVS p99 ${ipvs.latency.p99} s: bounded by minSyncPeriod plus a short sync`);
  assert.ok(ipvs.cpuShare.mean < 0.2);
});

test('a sync longer than a third of the run: the growing queue alone says the proxy falls behind', () => {
  // Legacy iptables at 3,000 services: one restore takes minutes, longer than a third of the
  // 120 s run, so every change waits for the same sync and the latency cannot rise from third
  // to third; the pending queue still piles up.
  const s = scenario(
    3000,
    `  duration: 120s
  nodes: 2
  profile: legacy
  rates: { endpointReady: 2, endpointNotReady: 2 }`,
  );
  const r = runChurn(s, { mode: 'iptables', services: 3000 }).summary;
  assert.ok(r.sync.full.mean > 40, `sync ${r.sync.full.mean} s`);
  assert.ok(r.queue.lastThirdMean > 1.5 * r.queue.firstThirdMean, `queue ${r.queue.firstThirdMean} -> ${r.queue.lastThirdMean}`);
  assert.equal(r.verdict.keepsUp, false, r.verdict.text);
  assert.match(r.verdict.text, /^falls behind: the pending queue grows without bound .* outlasts a third of the 120 s run/);
  // The same churn in IPVS: short syncs, bounded queue.
  assert.equal(runChurn(s, { mode: 'ipvs', services: 3000 }).summary.verdict.keepsUp, true);
});

test('iptables sync time grows linearly with the rules; IPVS sync time does not grow', () => {
  const scales = [500, 1000, 2000, 4000];
  const rules: number[] = [];
  const ipt: number[] = [];
  const ipvs: number[] = [];
  for (const n of scales) {
    const s = scenario(n, `  duration: 10s\n  nodes: 1\n  phase: 0s\n  timeline: [{ at: 1s, kind: serviceCreate }]`);
    const a = runChurn(s, { mode: 'iptables', services: n }).summary;
    rules.push(a.ruleset.end.total_rules);
    ipt.push(a.latency.p50);
    ipvs.push(runChurn(s, { mode: 'ipvs', services: n }).summary.latency.p50);
  }
  const fit = fitPowerLaw(rules, ipt)!;
  assert.ok(Math.abs(fit.exponent - 1) < 0.05, `iptables exponent ${fit.exponent}`);
  const flat = fitPowerLaw(rules, ipvs)!;
  assert.ok(Math.abs(flat.exponent) < 0.05, `IPVS exponent ${flat.exponent}`);
});

test('determinism: the same seed gives identical rows; another seed does not', () => {
  const churn = `  duration: 60s\n  nodes: 3\n  rate: 3`;
  const a = runChurnPoint(scenario(800, churn), { mode: 'iptables', scale: 800, partialSync: true });
  const b = runChurnPoint(scenario(800, churn), { mode: 'iptables', scale: 800, partialSync: true });
  assert.deepEqual(a, b);
  assert.ok(a.every((r) => r.clock === 'simulated' && r.mode === 'iptables' && r.variant === 'partial' && r.scale === 800));
  for (const m of ['programming.latency', 'sync.duration.full', 'sync.duration.partial', 'queue.length', 'proxy.cpu_share']) {
    assert.ok(
      a.some((r) => r.metric === m),
      `row ${m}`,
    );
  }
  const c = runChurnPoint(scenario(800, churn, 22), { mode: 'iptables', scale: 800, partialSync: true });
  assert.notDeepEqual(a, c);
});

test('churnSweep: services x rate x modes, rate in the metric name', () => {
  const s = scenario(300, `  duration: 20s\n  nodes: 2`);
  const rows = churnSweep(s, ['userspace', 'iptables', 'ipvs'], [200, 300], [1, 5]);
  const points = new Set(rows.map((r) => `${r.mode}/${r.scale}/${r.metric.split('@')[1]}`));
  assert.equal(points.size, 3 * 2 * 2);
  assert.ok(rows.some((r) => r.metric === 'programming.latency@5/s' && r.statistic === 'p99'));
});
