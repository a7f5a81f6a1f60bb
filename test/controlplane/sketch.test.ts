import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantileSorted } from 'simple-statistics';
import { QuantileSketch } from '../../src/controlplane/sketch.ts';
import { Rng } from '../../src/engine/rng.ts';
import { logNormal } from '../../src/engine/distributions.ts';

test('latency sketch: exact below its limit, within 0.1% beyond it', () => {
  const rng = new Rng('sketch');
  const values = Array.from({ length: 20000 }, () => logNormal(rng, Math.log(2e9), 1));
  const exact = new QuantileSketch(1e6);
  const hist = new QuantileSketch(1000);
  for (const v of values) {
    exact.add(v);
    hist.add(v);
  }
  assert.equal(exact.isExact, true);
  assert.equal(hist.isExact, false);
  const sorted = values.slice().sort((a, b) => a - b);
  for (const p of [0.01, 0.5, 0.9, 0.99]) {
    assert.equal(exact.quantile(p), quantileSorted(sorted, p));
    const rel = Math.abs(hist.quantile(p) / quantileSorted(sorted, p) - 1);
    assert.ok(rel < 1e-3, `p${p * 100}: relative error ${rel}`);
  }
  assert.equal(hist.count, values.length);
  assert.equal(hist.max, sorted[sorted.length - 1]);
  const bins = hist.histogram([1e9, 4e9]);
  assert.equal(
    bins.reduce((a, b) => a + b, 0),
    values.length,
  );
  assert.ok(Math.abs(bins[0] - exact.histogram([1e9, 4e9])[0]) <= 20);
});
