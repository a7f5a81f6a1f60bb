import { test } from 'node:test';
import assert from 'node:assert/strict';
import { complexityVerdict, fitPowerLaw, summarize, t975 } from '../../src/metrics/stats.ts';

test('summarize: quantiles of a known sample, input left unsorted', () => {
  const xs = [5, 1, 4, 2, 3];
  const s = summarize(xs);
  assert.deepEqual([s.n, s.min, s.p50, s.max, s.mean], [5, 1, 3, 5, 3]);
  assert.deepEqual(xs, [5, 1, 4, 2, 3]);
  assert.ok(Number.isNaN(summarize([]).mean));
});

test('fitPowerLaw recovers exponents of exact power laws', () => {
  const xs = [100, 1000, 5000, 10000, 20000, 50000];
  const linear = fitPowerLaw(
    xs,
    xs.map((x) => 3 * x),
  )!;
  assert.ok(Math.abs(linear.exponent - 1) < 1e-9);
  assert.ok(Math.abs(linear.r2 - 1) < 1e-9);
  assert.equal(complexityVerdict(linear), 'O(n)');
  const flat = fitPowerLaw(
    xs,
    xs.map(() => 42),
  )!;
  assert.ok(Math.abs(flat.exponent) < 1e-9);
  assert.equal(complexityVerdict(flat), 'O(1)');
  const quad = fitPowerLaw(
    xs,
    xs.map((x) => x * x),
  )!;
  assert.equal(complexityVerdict(quad), 'O(n²)');
});

test('fitPowerLaw: the confidence interval covers the truth and widens with noise', () => {
  const xs = [100, 300, 1000, 3000, 10000, 30000];
  const noise = [1.1, 0.9, 1.05, 0.95, 1.08, 0.92];
  const fit = fitPowerLaw(
    xs,
    xs.map((x, i) => x * noise[i]),
  )!;
  assert.ok(fit.ciLow < 1 && fit.ciHigh > 1, `${fit.ciLow}..${fit.ciHigh}`);
  assert.ok(fit.ciHigh - fit.ciLow > 0 && fit.ciHigh - fit.ciLow < 0.2);
  assert.equal(t975(4), 2.776);
  assert.equal(fitPowerLaw([1], [1]), null);
  // Non-positive values cannot be logged and are left out.
  assert.equal(fitPowerLaw([10, 100, 1000], [0, 5, 50])!.n, 2);
});
