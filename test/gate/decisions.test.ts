// The gate's decisions on synthetic runs: injected slowdowns are caught, noise and slower
// machines are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_GATE_CONFIG, parseGateConfig } from '../../src/gate/config.ts';
import { compareRuns } from '../../src/gate/gate.ts';
import { DEFAULT_COST_MODEL } from '../../src/metrics/cost-model.ts';
import type { Comparison, GateReport } from '../../src/gate/types.ts';
import { edit, fabricateRun, refresh, rerun, slowWall } from './fixtures.ts';

const baseline = fabricateRun();
const gate = (current = baseline, config = DEFAULT_GATE_CONFIG) => compareRuns(baseline, current, config);
const failures = (r: GateReport) => r.comparisons.filter((c) => c.verdict === 'FAIL' || c.verdict === 'missing');
const find = (r: GateReport, f: Partial<Comparison>) =>
  r.comparisons.filter((c) => Object.entries(f).every(([k, v]) => c[k as keyof Comparison] === v));

test('the baseline against itself passes with nothing to report', () => {
  const r = gate();
  assert.equal(r.outcome, 'pass');
  assert.ok(r.comparisons.length > 50, 'every number of the fixture is compared');
  assert.ok(
    r.comparisons.every((c) => c.verdict === 'pass'),
    'nothing but pass',
  );
  assert.equal(r.bands.length, 6);
  assert.ok(
    r.bands.every((b) => b.verdict === 'pass'),
    'every band holds',
  );
});

test('(a) a cost-model constant doubled shows up as a simulated change and fails', () => {
  const r = gate(fabricateRun({ costModel: { iptablesRuleNs: 2 * DEFAULT_COST_MODEL.iptablesRuleNs } }));
  assert.equal(r.outcome, 'FAIL');
  const hit = find(r, { kind: 'simulated', mode: 'iptables', metric: 'lookup.latency', statistic: 'mean', scale: 1000 });
  assert.equal(hit.length, 1);
  assert.equal(hit[0].verdict, 'FAIL');
  assert.ok(Math.abs(hit[0].change! - 1) < 1e-9, `lookup cost doubled: ${hit[0].change}`);
  // Only the numbers that depend on the constant moved: the rule counts did not.
  assert.ok(
    find(r, { kind: 'simulated', metric: 'lookup.rules_evaluated' }).every((c) => c.verdict === 'pass'),
    'rule counts do not depend on the cost model',
  );
  // Even a tiny simulated change fails under the default exact comparison.
  const tiny = gate(
    edit(baseline, (run) => {
      run.rows.find((x) => x.clock === 'simulated' && x.metric === 'sync.full')!.value *= 1 + 1e-12;
    }),
  );
  assert.equal(tiny.outcome, 'FAIL');
});

test('(b) wall-clock samples 1.5x slower (an extra loop) are a regression', () => {
  const r = gate(slowWall(rerun(baseline, 'slow'), 1.5, { metrics: ['lookup.latency'] }));
  assert.equal(r.outcome, 'FAIL');
  const tests = find(r, { kind: 'wall-samples' });
  assert.equal(tests.length, 6, 'one test per mode and scale');
  for (const c of tests) {
    assert.equal(c.verdict, 'FAIL', `${c.mode} ${c.scale}: ${c.change} p=${c.p}`);
    assert.ok(c.change! > 0.35 && c.p! < 0.002, `${c.mode} ${c.scale}: change ${c.change}, p ${c.p}`);
    assert.ok(c.p! >= 1 / 10001, 'p-values are never 0: (count+1)/(k+1)');
  }
  // Simulated rows are untouched by a wall-clock slowdown.
  assert.ok(
    find(r, { kind: 'simulated' }).every((c) => c.verdict === 'pass'),
    'simulated numbers unchanged',
  );
});

test('an unchanged re-run passes: identical simulated, wall samples resampled from the recorded distribution', () => {
  const r = gate(rerun(baseline, 'unchanged'));
  assert.notEqual(
    r.outcome,
    'FAIL',
    failures(r)
      .map((c) => `${c.mode} ${c.scale} ${c.metric}`)
      .join(', '),
  );
  assert.deepEqual(failures(r), []);
});

test('a noisy but unchanged wall-clock run passes in at least 19 of 20 trials', (t) => {
  const outcomes = { pass: 0, warn: 0, FAIL: 0 };
  const fresh = { pass: 0, warn: 0, FAIL: 0 };
  for (let i = 1; i <= 20; i++) {
    outcomes[gate(rerun(baseline, `trial-${i}`)).outcome]++;
    // Harder: a completely new draw from the same distribution, not a resample of the baseline.
    fresh[gate(fabricateRun({ seed: `fresh-${i}` })).outcome]++;
  }
  t.diagnostic(`resampled: ${JSON.stringify(outcomes)}; fresh draws: ${JSON.stringify(fresh)}`);
  assert.ok(outcomes.pass + outcomes.warn >= 19, JSON.stringify(outcomes));
  assert.ok(fresh.pass + fresh.warn >= 19, JSON.stringify(fresh));
});

test('normalisation: every wall sample and the calibration 1.3x slower is a slower machine, not a regression', () => {
  const slowMachine = slowWall(rerun(baseline, 'machine'), 1.3, { rows: true });
  const r = gate(slowMachine);
  assert.notEqual(
    r.outcome,
    'FAIL',
    failures(r)
      .map((c) => `${c.mode} ${c.scale} ${c.metric} ${c.change}`)
      .join(', '),
  );
  for (const c of find(r, { kind: 'wall-samples' })) {
    assert.match(c.note!, /normalised by calibration\.loop \(machine ×1\.(2|3)\d\)/);
    assert.ok(Math.abs(c.change!) < 0.08, `normalised change ${c.change}`);
  }
  // The same slowdown without the calibration loop in the current run: no normalisation, a
  // warning, and the 1.3x is (rightly, for lack of a yardstick) a regression.
  const noCalib = edit(slowMachine, (run) => {
    run.samples = run.samples.filter((s) => s.metric !== 'calibration.loop');
  });
  const r2 = gate(refresh(noCalib));
  assert.equal(r2.outcome, 'FAIL');
  assert.ok(
    r2.warnings.some((w) => /no calibration\.loop samples in current repetition 1: compared without normalisation/.test(w)),
    r2.warnings.join('\n'),
  );
  assert.ok(
    find(r2, { kind: 'wall-samples' }).every((c) => c.note!.startsWith('NOT normalised')),
    'every test says it is not normalised',
  );
  // normalizeBy: none compares raw samples, so the slower machine fails too.
  assert.equal(gate(slowMachine, parseGateConfig('wallSamples: { normalizeBy: none }', 'g.yaml')).outcome, 'FAIL');
});

test('a complexity exponent outside its band fails even when every number passes', () => {
  const bent = edit(baseline, (run) => {
    run.fits.find((f) => f.mode === 'ipvs' && f.metric === 'lookup.latency' && f.clock === 'simulated')!.exponent = 0.45;
  });
  const r = gate(bent);
  assert.equal(r.outcome, 'FAIL');
  assert.deepEqual(failures(r), []);
  const out = r.bands.filter((b) => b.verdict !== 'pass');
  assert.equal(out.length, 1);
  assert.deepEqual(
    [out[0].mode, out[0].metric, out[0].clock, out[0].exponent, out[0].max],
    ['ipvs', 'lookup.latency', 'simulated', 0.45, 0.3],
  );
  // A fit the baseline has and the current run lacks is missing, i.e. a failure.
  const lost = gate(
    edit(baseline, (run) => {
      run.fits = run.fits.filter((f) => !(f.mode === 'iptables' && f.clock === 'wall'));
    }),
  );
  assert.equal(lost.outcome, 'FAIL');
  assert.equal(lost.bands.filter((b) => b.verdict === 'missing').length, 1);
  // Bands for a mode the runs do not have are skipped, not failed.
  const onlyIptables = fabricateRun({ modes: ['iptables'] });
  const r3 = compareRuns(onlyIptables, onlyIptables, DEFAULT_GATE_CONFIG);
  assert.equal(r3.outcome, 'pass');
  // Every registered mode has default bands (its descriptor's expectations): all but iptables' are skipped.
  assert.equal(r3.bandsSkipped, DEFAULT_GATE_CONFIG.complexity.filter((b) => b.mode !== 'iptables').length);
});

test('the warn level reports without failing', () => {
  // Lookups 7% slower at every point: beyond the warn factor 1.05, within the fail factor 1.1.
  const r = gate(slowWall(baseline, 1.07, { metrics: ['lookup.latency'] }));
  assert.equal(r.outcome, 'warn');
  const tests = find(r, { kind: 'wall-samples' });
  assert.deepEqual(
    tests.filter((c) => c.verdict === 'FAIL'),
    [],
  );
  // With 10% noise and a few outliers, 7% is significant (p < 0.01) at most points; where the
  // sample is small (66 samples) the evidence is too weak and the point passes.
  assert.ok(tests.filter((c) => c.verdict === 'warn').length >= 4, tests.map((c) => `${c.verdict} p=${c.p}`).join(', '));
  for (const c of tests) assert.ok(c.verdict === 'warn' ? c.p! < 0.01 : c.p! >= 0.01, `${c.mode} ${c.scale}: ${c.verdict} at p=${c.p}`);
  // A simulated metric with a relative threshold: 3% is a warning under warn 1% / fail 5%.
  const config = parseGateConfig(
    'overrides:\n  - { metric: sync.full, clock: simulated, simulated: { warn: 0.01, fail: 0.05 } }\n',
    'g.yaml',
  );
  const drift = edit(baseline, (run) => {
    for (const x of run.rows) if (x.clock === 'simulated' && x.metric === 'sync.full') x.value *= 1.03;
  });
  const r2 = gate(drift, config);
  assert.equal(r2.outcome, 'warn');
  assert.equal(find(r2, { metric: 'sync.full', clock: 'simulated', verdict: 'warn' }).length, 6);
  const worse = edit(baseline, (run) => {
    for (const x of run.rows) if (x.clock === 'simulated' && x.metric === 'sync.full') x.value *= 1.06;
  });
  assert.equal(gate(worse, config).outcome, 'FAIL');
});

test('single wall values: generous ratio, noise floor, throughput is higher-is-better', () => {
  // Fixture sync.full wall: iptables 50 ms, 500 ms, 5 s; IPVS 100 ms, 1 s, 10 s.
  const times = (f: number) =>
    edit(baseline, (run) => {
      for (const x of run.rows) if (x.clock === 'wall' && x.metric === 'sync.full') x.value *= f;
    });
  const r = gate(times(3.5));
  // 3.5x fails beyond the 3x factor, except where the change (50 -> 175 ms, 100 -> 350 ms) is
  // under the 500 ms noise floor.
  assert.deepEqual(
    find(r, { kind: 'wall-row', metric: 'sync.full', verdict: 'FAIL' }).map((c) => `${c.mode}/${c.scale}`),
    ['iptables/1000', 'iptables/10000', 'ipvs/1000', 'ipvs/10000'],
  );
  for (const floor of find(r, { kind: 'wall-row', metric: 'sync.full', scale: 100 })) {
    assert.equal(floor.verdict, 'pass');
    assert.match(floor.note!, /under the 500 ms noise floor/);
  }
  assert.equal(find(gate(times(2.5)), { metric: 'sync.full', clock: 'wall', verdict: 'warn' }).length, 4, '2.5x is a warning');
  assert.equal(gate(times(1.9)).outcome, 'pass');
  assert.equal(gate(times(0.2)).outcome, 'pass', 'faster is fine');
  // throughput.engine is ignored by default (single-shot, too noisy); with the ignore list
  // emptied it is gated higher-is-better.
  const noIgnore = parseGateConfig('ignore: []', 'g.yaml');
  const thr = (f: number) =>
    edit(baseline, (run) => {
      for (const x of run.rows) if (x.metric === 'throughput.engine') x.value *= f;
    });
  assert.equal(gate(thr(0.3)).outcome, 'pass');
  assert.equal(find(gate(thr(0.3), noIgnore), { metric: 'throughput.engine', verdict: 'FAIL' }).length, 6);
  assert.equal(gate(thr(4), noIgnore).outcome, 'pass');
});

test('the ignore list removes metrics (globs) and mode/metric pairs from the verdict', () => {
  const changed = fabricateRun({ costModel: { iptablesRuleNs: 35 } });
  assert.equal(gate(changed).outcome, 'FAIL');
  const all = parseGateConfig('ignore: ["lookup.latency", "throughput.*"]', 'g.yaml');
  const r = gate(changed, all);
  assert.equal(r.outcome, 'pass');
  assert.ok(r.ignored > 0, 'the ignored numbers are counted');
  // Ignoring only iptables leaves the IPVS changes failing.
  const pair = parseGateConfig(
    'ignore: [{ mode: iptables, metric: lookup.latency }, { mode: iptables, metric: "throughput.*" }]',
    'g.yaml',
  );
  const r2 = gate(changed, pair);
  assert.equal(r2.outcome, 'FAIL');
  assert.ok(
    failures(r2).every((c) => c.mode === 'ipvs'),
    'only IPVS still fails',
  );
});

test('points missing or failed in the current run fail; new ones are reported as new', () => {
  const lost = edit(baseline, (run) => {
    const drop = (x: { mode: string; scale: number }) => x.mode === 'ipvs' && x.scale === 10000;
    run.points = run.points.filter((p) => !drop(p));
    run.rows = run.rows.filter((x) => !drop(x));
    run.samples = run.samples.filter((x) => !drop(x));
    const p = run.points.find((x) => x.mode === 'iptables' && x.scale === 100)!;
    p.status = 'failed';
    p.error = 'worker ran out of memory\n  at ...';
    run.rows = run.rows.filter((x) => !(x.mode === 'iptables' && x.scale === 100));
    run.samples = run.samples.filter((x) => !(x.mode === 'iptables' && x.scale === 100));
  });
  const r = gate(lost);
  assert.equal(r.outcome, 'FAIL');
  const missing = find(r, { kind: 'point', verdict: 'missing' });
  assert.deepEqual(missing.map((c) => `${c.mode}/${c.scale}: ${c.note}`).sort(), [
    'iptables/100: point failed in the current run: worker ran out of memory',
    'ipvs/10000: point not in the current run',
  ]);
  // Rows of those points are not listed one by one.
  assert.equal(find(r, { kind: 'simulated', verdict: 'missing' }).length, 0);
  // A row that disappears at a point both runs have is missing.
  const noRow = edit(baseline, (run) => {
    run.rows = run.rows.filter((x) => !(x.metric === 'memory.iptables_rules' && x.mode === 'ipvs' && x.scale === 100));
  });
  assert.deepEqual(
    find(gate(noRow), { verdict: 'missing' }).map((c) => c.metric),
    ['memory.iptables_rules'],
  );
  // A bigger current run: new points and new metrics are reported, and pass.
  const bigger = fabricateRun({ modes: ['userspace', 'iptables', 'ipvs'] });
  const extra = edit(bigger, (run) => {
    run.rows.push({ ...run.rows[0], metric: 'brand.new', statistic: 'value' });
  });
  const r3 = gate(extra);
  assert.equal(
    r3.outcome,
    'pass',
    failures(r3)
      .map((c) => `${c.mode} ${c.scale} ${c.metric} ${c.verdict}`)
      .join(', '),
  );
  assert.equal(find(r3, { kind: 'point', verdict: 'new' }).length, 3);
  assert.equal(find(r3, { metric: 'brand.new', verdict: 'new' }).length, 0, 'the new metric is at a new point, which is reported once');
  const newMetric = edit(baseline, (run) => {
    run.rows.push({ ...run.rows[0], metric: 'brand.new', statistic: 'value' });
  });
  assert.equal(find(gate(newMetric), { metric: 'brand.new', verdict: 'new' }).length, 1);
});

test('the verdict is deterministic: same inputs, same p-values', () => {
  const cur = rerun(baseline, 'det');
  const a = gate(cur).comparisons.map((c) => c.p);
  const b = gate(cur).comparisons.map((c) => c.p);
  assert.deepEqual(a, b);
});

test('repetitions: simulated rows compared per repetition, wall samples pooled', () => {
  const base3 = fabricateRun({ repetitions: 3, scales: [100, 1000] });
  const r = compareRuns(base3, rerun(base3, 'reps'), DEFAULT_GATE_CONFIG);
  assert.notEqual(r.outcome, 'FAIL');
  assert.equal(find(r, { kind: 'wall-samples' }).length, 4);
  assert.deepEqual(new Set(find(r, { kind: 'simulated' }).map((c) => c.repetition)), new Set([1, 2, 3]));
  // One disturbed repetition (3x slower, e.g. a busy neighbour) does not move the median of the
  // repetition medians; all three slower does.
  const slowRep = (reps: number[]) =>
    edit(base3, (run) => {
      for (const x of run.samples) if (x.metric === 'lookup.latency' && reps.includes(x.repetition)) x.values = x.values.map((v) => v * 3);
    });
  const one = compareRuns(base3, slowRep([2]), DEFAULT_GATE_CONFIG);
  assert.equal(
    one.outcome,
    'pass',
    failures(one)
      .map((c) => `${c.mode} ${c.scale} ${c.change}`)
      .join(', '),
  );
  assert.match(find(one, { kind: 'wall-samples' })[0].note!, /median of 3\/3 repetition medians/);
  const all = compareRuns(base3, slowRep([1, 2, 3]), DEFAULT_GATE_CONFIG);
  assert.equal(find(all, { kind: 'wall-samples', verdict: 'FAIL' }).length, 4);
  const rep2 = edit(base3, (run) => {
    run.rows.find((x) => x.clock === 'simulated' && x.repetition === 2)!.value += 1;
  });
  const r2 = compareRuns(base3, rep2, DEFAULT_GATE_CONFIG);
  assert.equal(failures(r2).length, 1);
  assert.equal(failures(r2)[0].repetition, 2);
});
