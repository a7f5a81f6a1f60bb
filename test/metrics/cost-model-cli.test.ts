// --cost-model end to end: a sweep priced by a calibration file shows those prices in its
// simulated numbers and in results.json; the gate will not compare it with a default-priced run
// unless told to; churn and simulate record what priced them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_COST_MODEL } from '../../src/metrics/cost-model.ts';
import type { RunResults } from '../../src/metrics/results.ts';
import { kpsim, tempDir } from '../helpers/cli.ts';

const dir = tempDir('kpsim-costmodel-cli-');
const cal = join(dir, 'cal.json');
writeFileSync(
  cal,
  JSON.stringify({
    costModel: { iptablesRuleNs: 8.75, iptablesRestoreLineNs: 36782 },
    measurements: [{ kind: 'point', id: 'iptables.walk', backend: 'nft', services: 60, median: 700, min: 650, max: 720, unit: 'ns' }],
    machine: { kernel: 'test', cpuModel: 'test' },
    run: { date: '2026-12-04T00:00:00Z' },
  }),
);

function sweep(out: string, extra: string[]): RunResults {
  const r = kpsim([
    'sweep',
    'bench/ci-gate.yaml',
    '--modes',
    'iptables',
    '--scales',
    '30,60',
    '--simulated-only',
    '--workers',
    '1',
    '-q',
    '--out',
    out,
    ...extra,
  ]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
}

const value = (r: RunResults, metric: string, statistic: string, scale: number) =>
  r.rows.find((x) => x.metric === metric && x.statistic === statistic && x.scale === scale && x.clock === 'simulated')!.value;

test('sweep --cost-model: the prices of the file, visible in results.json and in the simulated numbers', () => {
  const plain = sweep(join(dir, 'plain'), ['--no-report']);
  const priced = sweep(join(dir, 'priced'), ['--cost-model', cal]);
  assert.equal(plain.meta.costModel?.source, 'defaults');
  const info = priced.meta.costModel!;
  assert.equal(info.source, 'file');
  assert.equal(info.file, cal);
  assert.match(info.sha256!, /^[0-9a-f]{64}$/);
  assert.equal(info.prices.iptablesRuleNs, 8.75);
  assert.equal(info.prices.conntrackInsertNs, DEFAULT_COST_MODEL.conntrackInsertNs);
  // An iptables lookup is rules x iptablesRuleNs: half the price, half the latency.
  for (const s of [30, 60]) {
    const ratio = value(priced, 'lookup.latency', 'mean', s) / value(plain, 'lookup.latency', 'mean', s);
    assert.ok(Math.abs(ratio - 8.75 / DEFAULT_COST_MODEL.iptablesRuleNs) < 1e-9, `${ratio}`);
    assert.equal(value(priced, 'lookup.rules_evaluated', 'mean', s), value(plain, 'lookup.rules_evaluated', 'mean', s));
  }
  // The report names the cost model and draws this kernel beside the model.
  const html = readFileSync(join(dir, 'priced', 'index.html'), 'utf8');
  assert.ok(html.includes('This kernel vs the model') && html.includes(cal));

  // The gate: exit 2 unless told, then a loud warning (and the changed prices fail it).
  const refused = kpsim(['gate', '--baseline', join(dir, 'plain'), '--current', join(dir, 'priced')]);
  assert.equal(refused.status, 2, refused.stdout);
  assert.match(refused.stderr, /priced by different cost models .*--allow-cost-model-change/);
  const allowed = kpsim(['gate', '--baseline', join(dir, 'plain'), '--current', join(dir, 'priced'), '--allow-cost-model-change']);
  assert.equal(allowed.status, 1, allowed.stderr);
  assert.match(allowed.stdout, /warning: PRICED DIFFERENTLY/);
});

test('churn and simulate take --cost-model and record it; a missing file is exit 2', () => {
  const out = join(dir, 'churn');
  const r = kpsim([
    'churn',
    'scenarios/churn.yaml',
    '--mode',
    'iptables',
    '--services',
    '200',
    '--nodes',
    '2',
    '--duration',
    '90s',
    '--cost-model',
    cal,
    '--out',
    out,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const churn = JSON.parse(readFileSync(join(out, 'churn.json'), 'utf8'));
  assert.equal(churn.costModel.file, cal);
  assert.equal(churn.costModel.prices.iptablesRestoreLineNs, 36782);
  const sim = kpsim([
    'simulate',
    '--scenario',
    'scenarios/small.yaml',
    '--mode',
    'iptables',
    '--duration',
    '1s',
    '--cost-model',
    cal,
    '--json',
    '--out',
    join(dir, 'sim'),
  ]);
  assert.equal(sim.status, 0, sim.stderr);
  assert.equal(JSON.parse(sim.stdout).costModel.prices.iptablesRuleNs, 8.75);
  const missing = kpsim([
    'simulate',
    '--scenario',
    'scenarios/small.yaml',
    '--mode',
    'iptables',
    '--cost-model',
    join(dir, 'nope.json'),
    '--out',
    join(dir, 'x'),
  ]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope\.json: cannot read the cost-model file/);
});
