// Hand-checked timelines of one node's kube-proxy loop (BoundedFrequencyRunner: minSyncPeriod 1 s,
// burst 2, syncPeriod 30 s). Sync durations use a round cost: 0.1 ms per restore line, the
// line count coming from the real renderer (scale-ups only add not-ready endpoints, so they
// change no line).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChurn } from '../../src/controlplane/index.ts';
import { RunnerState } from '../../src/controlplane/runner.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { generateCluster, scenarioConfig } from '../../src/scenario/generate.ts';
import { parseKubeProxyConfig } from '../../src/proxy/load-config.ts';
import { getMode } from '../../src/proxy/modes.ts';

const LINE_NS = 100_000;

function scenario(churn: string) {
  return parseScenario(
    `seed: 11
nodes: 3
services: 20
endpointsPerService: 2
costModel: { iptablesRestoreLineNs: ${LINE_NS} }
churn:
  phase: 0s
  nodes: 1
  readyDelay: 1h
${churn}`,
    '/tmp/loop.yaml',
  );
}

const at = (s: number) => Math.round(s * 1e9);

test('token bucket: two runs at once, then one per minInterval; a refused run waits for lastRun + minInterval', () => {
  const r = new RunnerState(1, { minIntervalNs: 1e9, maxIntervalNs: 30e9, burst: 2 });
  assert.equal(r.tryAccept(0, at(0.5)), -1);
  assert.equal(r.tryAccept(0, at(0.6)), -1);
  r.lastEnd[0] = at(0.7);
  // 0.1 + 0.05 tokens at 0.65 s: refused; the timer goes off at lastRun + 1 s.
  assert.equal(r.tryAccept(0, at(0.75)), at(1.7));
  // A token accrues in one minInterval, so by lastRun + minInterval a run is always accepted.
  assert.equal(r.tryAccept(0, at(1.7)), -1);
  // The bucket holds at most `burst` tokens however long the node was idle.
  assert.equal(r.tryAccept(0, at(100)), -1);
  assert.equal(r.tryAccept(0, at(100)), -1);
  assert.ok(r.tryAccept(0, at(100)) > 0);
});

test('one change at t=0.5 s: latency is exactly the sync duration', () => {
  const run = runChurn(scenario(`  duration: 10s\n  timeline: [{ at: 0.5s, kind: scaleUp, service: ns-1/svc-1 }]`), {
    mode: 'iptables',
    trace: true,
  });
  const lines = run.summary.ruleset.start.restore_lines;
  assert.equal(run.summary.ruleset.end.restore_lines, lines);
  const d = lines * LINE_NS;
  assert.equal(run.sim.syncs.length, 1);
  assert.deepEqual(run.sim.syncs[0], {
    node: 0,
    start: at(0.5),
    end: at(0.5) + d,
    full: true,
    from: 0,
    to: 1,
    work: { restore_lines: lines, total_rules: run.summary.ruleset.start.total_rules },
  });
  assert.deepEqual(run.sim.latencies, [{ change: 0, node: 0, ns: d }]);
  assert.equal(run.summary.latency.p50, d / 1e9);
  assert.equal(run.summary.latency.p99, d / 1e9);
});

test('burst of 2 syncs, then the third waits for the end of the last + minSyncPeriod', () => {
  const run = runChurn(
    scenario(`  duration: 10s
  timeline:
    - { at: 0.5s, kind: scaleUp, service: ns-1/svc-1 }
    - { at: 0.6s, kind: scaleUp, service: ns-1/svc-2 }
    - { at: 0.65s, kind: scaleUp, service: ns-1/svc-3 }`),
    { mode: 'iptables', trace: true },
  );
  const d = run.summary.ruleset.start.restore_lines * LINE_NS;
  assert.ok(d < at(0.05), `sync must be shorter than 50 ms for this timeline, is ${d / 1e6} ms`);
  // Tokens: 2 at 0.5 s -> 1; 1.1 at 0.6 s -> 0.1; 0.15 at 0.65 s: refused. Next possible run:
  // end of the second (0.6 s + d) + 1 s; a token is back at 1.5 s, earlier.
  const starts = run.sim.syncs.map((s) => s.start);
  assert.deepEqual(starts, [at(0.5), at(0.6), at(1.6) + d]);
  assert.deepEqual(
    run.sim.latencies.map((l) => l.ns),
    [d, d, at(1.6) + 2 * d - at(0.65)],
  );
  assert.deepEqual(
    run.sim.syncs.map((s) => [s.from, s.to]),
    [
      [0, 1],
      [1, 2],
      [2, 3],
    ],
  );
});

test('changes arriving during a sync wait for the next one, which covers all of them', () => {
  const run = runChurn(
    scenario(`  duration: 10s
  timeline:
    - { at: 0.5s, kind: scaleUp, service: ns-1/svc-1 }
    - { at: 0.501s, kind: scaleUp, service: ns-1/svc-2 }
    - { at: 0.502s, kind: scaleUp, service: ns-1/svc-3 }`),
    { mode: 'iptables', trace: true },
  );
  const d = run.summary.ruleset.start.restore_lines * LINE_NS;
  assert.ok(d > at(0.002));
  // The second sync starts right when the first ends (one token left) and covers both.
  assert.deepEqual(
    run.sim.syncs.map((s) => [s.start, s.from, s.to]),
    [
      [at(0.5), 0, 1],
      [at(0.5) + d, 1, 3],
    ],
  );
  assert.deepEqual(
    run.sim.latencies.map((l) => l.ns),
    [d, at(0.5) + 2 * d - at(0.501), at(0.5) + 2 * d - at(0.502)],
  );
});

test('with nothing changing, a full resync runs every syncPeriod (30 s after the end of the last)', () => {
  const run = runChurn(scenario(`  duration: 100s\n  minimizeIPTablesRestore: true`), { mode: 'iptables', trace: true });
  const d = run.summary.ruleset.start.restore_lines * LINE_NS;
  assert.equal(run.sim.changes, 0);
  assert.deepEqual(
    run.sim.syncs.map((s) => [s.start, s.full]),
    [
      [at(30), true],
      [at(60) + d, true],
      [at(90) + 2 * d, true],
    ],
  );
  assert.equal(run.summary.sync.full.count, 3);
  assert.equal(run.summary.sync.partial.count, 0);
  assert.equal(run.summary.sync.full.p50, d / 1e9);
});

test('partial sync (KEP-3453) writes the fixed chains and the changed service only, as the real partial-restore data plane does', () => {
  const sc = scenario(`  duration: 10s\n  minimizeIPTablesRestore: true\n  timeline: [{ at: 0.5s, kind: scaleUp, service: ns-1/svc-1 }]`);
  const run = runChurn(sc, { mode: 'iptables', trace: true });
  const [sync] = run.sim.syncs;
  assert.equal(sync.full, false);
  // The same change on the real data plane with partial restores: svc-1 gains scaleUpCount not-ready endpoints.
  const cluster = generateCluster(sc, 20);
  const config = parseKubeProxyConfig({ hostnameOverride: 'node-1', clusterCIDR: scenarioConfig(sc).clusterCIDR });
  const dp = getMode('iptables').build(cluster, config, { variant: 'partial' });
  const slices = cluster.endpointSlices.map((sl) => {
    if (sl.metadata.namespace !== 'ns-1' || sl.metadata.labels?.['kubernetes.io/service-name'] !== 'svc-1') return sl;
    const extra = Array.from({ length: run.spec.scaleUpCount }, (_, i) => ({
      addresses: [`100.64.9.${i + 1}`],
      conditions: { ready: false, serving: false, terminating: false },
      nodeName: 'node-2',
    }));
    return { ...sl, endpoints: [...(sl.endpoints ?? []), ...extra] };
  });
  const real = dp.sync({ ...cluster, endpointSlices: slices });
  assert.equal(sync.work.restore_lines, real.restore_lines);
  assert.equal(sync.end - sync.start, Math.round(sync.work.restore_lines * LINE_NS));
  assert.ok(sync.work.restore_lines < run.summary.ruleset.start.restore_lines);
});
