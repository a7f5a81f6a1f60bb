import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kpsim, tempDir } from '../helpers/cli.ts';
import { simulatedRows } from '../helpers/results.ts';
import { modeNames } from '../../src/proxy/modes.ts';

const SCENARIO = 'test/fixtures/scenarios/tiny-sweep.yaml';
// Every registered mode at the scenario's 3 scales.
const POINTS = 3 * modeNames().length;

function sweep(dir: string, ...extra: string[]) {
  const r = kpsim(['sweep', SCENARIO, '--out', dir, '--no-report', '-q', ...extra]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  return r;
}

test('simulated results are byte-identical across runs and worker counts', () => {
  const base = tempDir();
  const a = join(base, 'a');
  const b = join(base, 'b');
  const r = sweep(a, '--workers', '1');
  sweep(b, '--workers', '2');
  const rowsA = simulatedRows(a);
  assert.ok(rowsA.split('\n').length > 100, 'expected many simulated rows');
  assert.equal(simulatedRows(b), rowsA);
  // The summary table and the files.
  assert.match(r.stdout, /complexity \(metric ~ services\^k\)/);
  const json = JSON.parse(readFileSync(join(a, 'results.json'), 'utf8'));
  assert.equal(json.schema, 'kpsim-results/1');
  assert.equal(json.points.length, POINTS);
  assert.ok(json.meta.git && json.meta.machine.cores >= 1 && json.meta.scenario.seed === 11);
  const header = readFileSync(join(a, 'results.csv'), 'utf8').split('\n')[0];
  assert.equal(header, 'mode,variant,scale,repetition,metric,clock,unit,statistic,value');
  // Every row says which clock it is.
  for (const row of json.rows) assert.ok(row.clock === 'simulated' || row.clock === 'wall');
  assert.ok(json.samples.some((s: { metric: string; values: number[] }) => s.metric === 'lookup.latency' && s.values.length > 0));
  // Memory per rule: wall clock, only for modes whose size is rules, the sync's peak at least what it retains.
  const perRule = (stat: string) =>
    json.rows.filter((x: Record<string, unknown>) => x.metric === 'memory.bytes_per_rule' && x.statistic === stat);
  const steady = perRule('steady');
  const measured = new Set(steady.map((x: Record<string, unknown>) => x.mode));
  assert.ok(measured.has('iptables') && !measured.has('ipvs'), [...measured].join());
  for (const x of steady) {
    assert.equal(x.clock, 'wall');
    assert.ok(x.value > 0);
    const peak = perRule('peak_sync').find((p: Record<string, unknown>) => p.mode === x.mode && p.scale === x.scale);
    assert.ok(peak && peak.value >= x.value, `${x.scale}: peak ${peak?.value} < steady ${x.value}`);
  }
});

test('iptables lookups grow with services, IPVS stays nearly flat', () => {
  const dir = tempDir();
  sweep(dir, '--simulated-only');
  const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  const mean = (mode: string, scale: number) =>
    json.rows.find(
      (r: Record<string, unknown>) =>
        r.mode === mode && r.scale === scale && r.metric === 'lookup.rules_evaluated' && r.statistic === 'mean',
    ).value;
  // 16x the services: the fixed chains (PREROUTING, KUBE-SERVICES' tail) keep it below 16x.
  assert.ok(mean('iptables', 80) > 2.5 * mean('iptables', 5), `${mean('iptables', 80)} vs ${mean('iptables', 5)}`);
  assert.ok(mean('ipvs', 80) < 1.5 * mean('ipvs', 5));
  const fit = json.fits.find((f: Record<string, unknown>) => f.mode === 'iptables' && f.metric === 'lookup.rules_evaluated');
  assert.ok(fit.exponent > 0.5, `iptables exponent ${fit.exponent}`);
});

test('a point that throws fails alone; the sweep carries on and exits 1', () => {
  const dir = tempDir();
  const r = kpsim(['sweep', SCENARIO, '--out', dir, '--no-report', '--simulated-only', '--workers', '2'], {
    env: { KPSIM_FAIL_POINT: 'iptables/20' },
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /iptables @ 20 services: injected failure/);
  const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  const failed = json.points.filter((p: { status: string }) => p.status === 'failed');
  assert.deepEqual(
    failed.map((p: { mode: string; scale: number }) => `${p.mode}/${p.scale}`),
    ['iptables/20'],
  );
  assert.match(failed[0].error, /injected failure/);
  assert.equal(json.points.length, POINTS);
  assert.match(r.stdout, /FAILED: injected failure/);
});

test('a worker that runs out of memory fails its point, not the sweep', () => {
  const dir = tempDir();
  const r = kpsim(['sweep', SCENARIO, '--out', dir, '--no-report', '--simulated-only', '--modes', 'ipvs', '--worker-heap-mb', '64'], {
    env: { KPSIM_FAIL_POINT: 'ipvs/20/oom' },
  });
  assert.equal(r.status, 1, r.stderr);
  const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  const failed = json.points.filter((p: { status: string }) => p.status === 'failed');
  assert.equal(failed.length, 1);
  assert.match(failed[0].error, /memory/i);
  assert.equal(json.points.filter((p: { status: string }) => p.status === 'ok').length, 2);
});

test('shards merge into the same simulated results as one run', () => {
  const base = tempDir();
  const whole = join(base, 'whole');
  sweep(whole, '--simulated-only');
  const parts = [1, 2, 3].map((i) => {
    const d = join(base, `s${i}`);
    sweep(d, '--simulated-only', '--shard', `${i}/3`);
    return d;
  });
  const merged = join(base, 'merged');
  const m = kpsim(['merge', ...parts, '--out', merged]);
  assert.equal(m.status, 0, m.stderr);
  assert.equal(simulatedRows(merged), simulatedRows(whole));
  const dup = kpsim(['merge', parts[0], parts[0], '--out', join(base, 'dup')]);
  assert.equal(dup.status, 2);
  assert.match(dup.stderr, /appears in more than one shard/);
});

test('bad sweep input exits 2 before any output', () => {
  const dir = tempDir();
  const r = kpsim(['sweep', SCENARIO, '--out', join(dir, 'x'), '--modes', 'nft']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown mode "nft" \(known: userspace, iptables, ipvs/);
  const s = kpsim(['sweep', SCENARIO, '--out', join(dir, 'y'), '--shard', '4/3']);
  assert.equal(s.status, 2);
  assert.match(s.stderr, /--shard must be i\/N/);
});
