import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.ts';
import {
  AliasTable,
  Zipf,
  exponential,
  logFactorial,
  logNormal,
  makeIntSampler,
  normal,
  parseDistributionSpec,
  poisson,
  uniform,
  type DistributionSpec,
} from '../../src/engine/distributions.ts';

const N = 100_000;

function moments(draw: () => number, n = N): { mean: number; variance: number } {
  let sum = 0,
    sumSq = 0;
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) sum += xs[i] = draw();
  const mean = sum / n;
  for (let i = 0; i < n; i++) sumSq += (xs[i] - mean) ** 2;
  return { mean, variance: sumSq / (n - 1) };
}

/**
 * Check sample mean and variance against theory within 5 standard errors.
 * SE(mean) = sqrt(var/n); SE(sample variance) ≈ sqrt((mu4 - var^2)/n) where
 * mu4 is the 4th central moment.
 */
function checkMoments(name: string, draw: () => number, mean: number, variance: number, mu4?: number): void {
  const m = moments(draw);
  const seMean = Math.sqrt(variance / N);
  assert.ok(Math.abs(m.mean - mean) < 5 * seMean, `${name}: mean ${m.mean}, expected ${mean} ± ${5 * seMean}`);
  if (mu4 !== undefined) {
    const seVar = Math.sqrt((mu4 - variance * variance) / N);
    assert.ok(Math.abs(m.variance - variance) < 5 * seVar, `${name}: variance ${m.variance}, expected ${variance} ± ${5 * seVar}`);
  }
}

/** Pearson chi-square of observed counts vs probabilities; bins with expected < 5 are pooled. */
function chiSquareOk(counts: number[], probs: number[], total: number): { stat: number; df: number; ok: boolean } {
  let stat = 0,
    bins = 0,
    poolO = 0,
    poolE = 0;
  for (let i = 0; i < probs.length; i++) {
    const e = probs[i] * total;
    if (e < 5) {
      poolO += counts[i] ?? 0;
      poolE += e;
      continue;
    }
    stat += ((counts[i] ?? 0) - e) ** 2 / e;
    bins++;
  }
  if (poolE > 0) {
    stat += (poolO - poolE) ** 2 / Math.max(poolE, 1e-9);
    bins++;
  }
  const df = bins - 1;
  // Chi-square(df) has mean df and sd sqrt(2 df): allow 5 sd.
  return { stat, df, ok: stat < df + 5 * Math.sqrt(2 * df) };
}

test('uniform(a, b): range, mean and variance', () => {
  const r = new Rng(1);
  const a = -2,
    b = 6,
    w = b - a;
  for (let i = 0; i < 1000; i++) {
    const x = uniform(r, a, b);
    assert.ok(x >= a && x < b);
  }
  checkMoments('uniform', () => uniform(r, a, b), (a + b) / 2, (w * w) / 12, w ** 4 / 80);
});

test('exponential(rate): mean 1/rate, variance 1/rate^2', () => {
  const r = new Rng(2);
  const rate = 2;
  checkMoments('exponential', () => exponential(r, rate), 1 / rate, 1 / rate ** 2, 9 / rate ** 4);
  assert.throws(() => exponential(r, 0), /rate/);
  assert.throws(() => exponential(r, -1), /rate/);
});

test('poisson: mean and variance for small and large lambda (both methods and the switch point)', () => {
  const r = new Rng(3);
  for (const lambda of [0.5, 4, 29.9, 30, 75, 1000, 1e6]) {
    // Poisson: var = lambda, 4th central moment = lambda (1 + 3 lambda).
    checkMoments(`poisson(${lambda})`, () => poisson(r, lambda), lambda, lambda, lambda * (1 + 3 * lambda));
  }
  assert.equal(poisson(r, 0), 0);
  assert.throws(() => poisson(r, -1), /lambda/);
  assert.throws(() => poisson(r, NaN), /lambda/);
});

test('poisson: samples are non-negative integers and match the pmf (chi-square)', () => {
  const r = new Rng(4);
  for (const lambda of [6, 50]) {
    const counts: number[] = [];
    for (let i = 0; i < N; i++) {
      const k = poisson(r, lambda);
      assert.ok(Number.isInteger(k) && k >= 0);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    const probs: number[] = [];
    const maxK = Math.ceil(lambda + 12 * Math.sqrt(lambda) + 10);
    for (let k = 0; k <= maxK; k++) probs.push(Math.exp(-lambda + k * Math.log(lambda) - logFactorial(k)));
    const res = chiSquareOk(counts, probs, N);
    assert.ok(res.ok, `poisson(${lambda}) chi-square ${res.stat} on ${res.df} df`);
  }
});

test('logFactorial matches direct summation', () => {
  let acc = 0;
  for (let k = 0; k <= 200; k++) {
    if (k > 1) acc += Math.log(k);
    assert.ok(Math.abs(logFactorial(k) - acc) < 1e-9 * Math.max(1, acc), `k=${k}`);
  }
});

test('normal(mean, sd): moments, determinism, spare kept on the stream', () => {
  const r = new Rng(5);
  const mean = 3,
    sd = 2;
  checkMoments('normal', () => normal(r, mean, sd), mean, sd * sd, 3 * sd ** 4);
  const a = new Rng(77),
    b = new Rng(77);
  for (let i = 0; i < 101; i++) assert.equal(normal(a, 0, 1), normal(b, 0, 1));
  // The spare is per-Rng: drawing from another stream does not disturb it.
  const c = new Rng(77),
    d = new Rng(77),
    other = new Rng(1);
  const c1 = normal(c, 0, 1);
  normal(other, 0, 1);
  assert.equal(normal(d, 0, 1), c1);
  assert.equal(normal(c, 0, 1), normal(d, 0, 1));
  // ...and survives a state snapshot (as null-or-number, JSON-safe).
  const e = new Rng(9);
  normal(e, 0, 1);
  const restored = Rng.fromState(JSON.parse(JSON.stringify(e.state())));
  assert.equal(normal(restored, 0, 1), normal(e, 0, 1));
  assert.equal(normal(restored, 0, 1), normal(e, 0, 1));
});

test('logNormal(mu, sigma): mean exp(mu + sigma^2/2); log is Normal(mu, sigma)', () => {
  const r = new Rng(6);
  const mu = 0.5,
    sigma = 0.5;
  const mean = Math.exp(mu + sigma ** 2 / 2);
  const variance = (Math.exp(sigma ** 2) - 1) * Math.exp(2 * mu + sigma ** 2);
  checkMoments('lognormal', () => logNormal(r, mu, sigma), mean, variance);
  checkMoments('log(lognormal)', () => Math.log(logNormal(r, mu, sigma)), mu, sigma ** 2, 3 * sigma ** 4);
});

test('Zipf: rank-1 frequency is 1/H(n,s), full pmf by chi-square, s=0 uniform', () => {
  const r = new Rng(7);
  for (const [n, s] of [
    [1000, 1.1],
    [50, 0.8],
    [10, 0],
    [1, 2],
  ] as const) {
    const z = new Zipf(n, s);
    let h = 0;
    for (let k = 1; k <= n; k++) h += k ** -s;
    assert.ok(Math.abs(z.harmonic - h) < 1e-9 * h);
    const counts: number[] = new Array(n).fill(0);
    for (let i = 0; i < N; i++) {
      const k = z.sample(r);
      assert.ok(Number.isInteger(k) && k >= 1 && k <= n);
      counts[k - 1]++;
    }
    const p1 = 1 / h;
    const se = Math.sqrt((p1 * (1 - p1)) / N);
    assert.ok(Math.abs(counts[0] / N - p1) <= 5 * se, `zipf(${n},${s}) rank-1 freq ${counts[0] / N} vs ${p1}`);
    if (n > 1) {
      const probs = Array.from({ length: n }, (_, i) => z.pmf(i + 1));
      const res = chiSquareOk(counts, probs, N);
      assert.ok(res.ok, `zipf(${n},${s}) chi-square ${res.stat} on ${res.df} df`);
    }
  }
  assert.throws(() => new Zipf(0, 1), /n must be/);
  assert.throws(() => new Zipf(10, -1), /s must be/);
});

test('AliasTable: frequencies match weights; zero weights never drawn', () => {
  const r = new Rng(8);
  const weights = [1, 0, 3, 6, 0.5, 12, 0.01];
  const t = new AliasTable(weights);
  const total = weights.reduce((x, y) => x + y, 0);
  const counts = new Array(weights.length).fill(0);
  for (let i = 0; i < N; i++) counts[t.sample(r)]++;
  assert.equal(counts[1], 0);
  for (let i = 0; i < weights.length; i++) {
    const p = weights[i] / total,
      se = Math.sqrt((p * (1 - p)) / N);
    assert.ok(Math.abs(counts[i] / N - p) <= 5 * se + 1e-12, `index ${i}: ${counts[i] / N} vs ${p}`);
  }
  const res = chiSquareOk(
    counts,
    weights.map((w) => w / total),
    N,
  );
  assert.ok(res.ok, `alias chi-square ${res.stat} on ${res.df} df`);
  assert.equal(new AliasTable([5]).sample(r), 0);
  assert.throws(() => new AliasTable([]), /at least one/);
  assert.throws(() => new AliasTable([0, 0]), /all be zero/);
  assert.throws(() => new AliasTable([1, -1]), /weight 1/);
});

test('makeIntSampler: integer output per kind, inclusive uniform bounds', () => {
  const r = new Rng(10);
  const fixed = makeIntSampler({ kind: 'fixed', value: 7 }, r);
  assert.equal(fixed(), 7);

  const uni = makeIntSampler({ kind: 'uniform', min: 2, max: 5 }, r);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) seen.add(uni());
  assert.deepEqual([...seen].sort(), [2, 3, 4, 5]);

  const zipf = makeIntSampler({ kind: 'zipf', n: 20, s: 1 }, r);
  for (let i = 0; i < 1000; i++) {
    const k = zipf();
    assert.ok(Number.isInteger(k) && k >= 1 && k <= 20);
  }

  const ln = makeIntSampler({ kind: 'lognormal', mu: 2, sigma: 0.3 }, r);
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const k = ln();
    assert.ok(Number.isInteger(k));
    sum += k;
  }
  // Rounding barely moves the mean here (continuous mean ~7.72).
  const lnMean = Math.exp(2 + 0.045),
    lnSd = Math.sqrt((Math.exp(0.09) - 1) * Math.exp(4 + 0.09));
  assert.ok(Math.abs(sum / N - lnMean) < (5 * lnSd) / Math.sqrt(N) + 0.02, `lognormal int mean ${sum / N}`);

  checkMoments('poisson sampler', makeIntSampler({ kind: 'poisson', mean: 12 }, r), 12, 12);
  assert.throws(() => makeIntSampler({ kind: 'uniform', min: 5, max: 4 }, r), /min/);
  assert.throws(() => makeIntSampler({ kind: 'fixed', value: 1.5 }, r), /integer/);
});

test('parseDistributionSpec: accepts valid specs, rejects bad ones with clear errors', () => {
  const ok: [unknown, DistributionSpec][] = [
    [3, { kind: 'fixed', value: 3 }],
    [
      { kind: 'uniform', min: 1, max: 10 },
      { kind: 'uniform', min: 1, max: 10 },
    ],
    [
      { kind: 'zipf', n: 100, s: 0 },
      { kind: 'zipf', n: 100, s: 0 },
    ],
    [
      { kind: 'lognormal', mu: 1, sigma: 0.5 },
      { kind: 'lognormal', mu: 1, sigma: 0.5 },
    ],
    [
      { kind: 'poisson', mean: 4.5 },
      { kind: 'poisson', mean: 4.5 },
    ],
  ];
  for (const [input, want] of ok) assert.deepEqual(parseDistributionSpec(input), want);
  const bad: [unknown, RegExp][] = [
    ['5', /expected a number or an object/],
    [null, /expected a number or an object/],
    [{ kind: 'gauss', mean: 1 }, /'kind' must be one of/],
    [{ kind: 'uniform', min: 1 }, /'max' must be a finite number/],
    [{ kind: 'uniform', min: 1, max: 2, mx: 3 }, /unknown field 'mx'/],
    [{ kind: 'uniform', min: 1.5, max: 2 }, /'min' must be an integer/],
    [{ kind: 'uniform', min: 3, max: 2 }, /min \(3\) must be <= max \(2\)/],
    [{ kind: 'zipf', n: 0, s: 1 }, /n must be an integer >= 1/],
    [{ kind: 'zipf', n: 5, s: -1 }, /s must be finite and >= 0/],
    [{ kind: 'lognormal', mu: 1, sigma: -1 }, /sigma must be/],
    [{ kind: 'poisson', mean: -2 }, /mean must be/],
    [{ kind: 'fixed', value: 2.5 }, /'value' must be an integer/],
  ];
  for (const [input, re] of bad) assert.throws(() => parseDistributionSpec(input, 'endpointsPerService'), re);
  assert.throws(() => parseDistributionSpec({ kind: 'poisson' }, 'svc.endpoints'), /^Error: svc\.endpoints: field 'mean'/);
});
