import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.ts';

function take(r: Rng, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(r.nextU32());
  return out;
}

test('xoshiro128** matches the reference sequence for state [1,2,3,4]', () => {
  // The first four values were derived by hand from the reference algorithm
  // (rotl(s1*5,7)*9: 2*5=10 -> 1280*9 = 11520; next s1=0 -> 0; s1=1029 ->
  // 5927040; s1=12295 -> 70819200). All ten equal the widely published test
  // vector for xoshiro128** seeded with s = {1, 2, 3, 4}.
  const r = Rng.fromState({ s: [1, 2, 3, 4], key: [1, 2, 3, 4], spareNormal: null });
  assert.deepEqual(take(r, 10), [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
});

test('seed 42 regression snapshot (SplitMix32 seeding + xoshiro128**)', () => {
  // Regression snapshot, not an external reference: pins our seeding scheme so
  // that a change to it (which would change every simulation result) is noticed.
  assert.deepEqual(take(new Rng(42), 5), [2837322924, 544945897, 479756282, 3500138142, 339756180]);
});

test('same seed gives the same sequence; different seeds differ', () => {
  assert.deepEqual(take(new Rng(7), 100), take(new Rng(7), 100));
  assert.deepEqual(take(new Rng('svc-a'), 100), take(new Rng('svc-a'), 100));
  assert.notDeepEqual(take(new Rng(7), 100), take(new Rng(8), 100));
  assert.notDeepEqual(take(new Rng('svc-a'), 100), take(new Rng('svc-b'), 100));
  // Seeds wider than 32 bits and negative seeds are not truncated away.
  assert.notDeepEqual(take(new Rng(1), 10), take(new Rng(2 ** 32 + 1), 10));
  assert.notDeepEqual(take(new Rng(1), 10), take(new Rng(-1), 10));
});

test('invalid seeds are rejected', () => {
  assert.throws(() => new Rng(1.5), /safe integer/);
  assert.throws(() => new Rng(NaN), /safe integer/);
  assert.throws(() => new Rng(2 ** 60), /safe integer/);
});

test('outputs are 32-bit unsigned integers; next() in [0,1)', () => {
  const r = new Rng(1);
  for (let i = 0; i < 10_000; i++) {
    const x = r.nextU32();
    assert.ok(Number.isInteger(x) && x >= 0 && x < 2 ** 32);
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    const v = r.next53();
    assert.ok(v >= 0 && v < 1);
  }
});

test('fork: deterministic, independent, does not advance the parent', () => {
  const a = new Rng(99);
  const b = new Rng(99);
  const early = a.fork('dns');
  assert.deepEqual(take(a, 20), take(b, 20), 'parent stream unaffected by fork');
  // A fork depends only on seed + label, not on the parent's position.
  assert.deepEqual(take(a.fork('dns'), 20), take(early, 20));
  const streams = [
    a.fork('x'),
    a.fork('y'),
    a.fork('x').fork('y'),
    a.fork('y').fork('x'),
    a.fork('xy'),
    a.fork(''),
    new Rng(100).fork('x'),
  ];
  const seqs = streams.map((r) => take(r, 8).join(','));
  assert.equal(new Set(seqs).size, seqs.length, 'all forks give distinct streams');
  assert.notDeepEqual(take(new Rng(99).fork('x'), 8), take(new Rng(99), 8));
});

test('fork streams are uncorrelated with the parent (sanity)', () => {
  const p = new Rng(5);
  const c = p.fork('child');
  const n = 20_000;
  let sxy = 0,
    sx = 0,
    sy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    const x = p.next(),
      y = c.next();
    sx += x;
    sy += y;
    sxy += x * y;
    sxx += x * x;
    syy += y * y;
  }
  const corr = (sxy / n - (sx / n) * (sy / n)) / Math.sqrt((sxx / n - (sx / n) ** 2) * (syy / n - (sy / n) ** 2));
  assert.ok(Math.abs(corr) < 5 / Math.sqrt(n), `correlation ${corr}`);
});

test('int(lo, hi) is in range and roughly uniform, including ranges > 2^32', () => {
  const r = new Rng(3);
  const counts = new Array(7).fill(0);
  const n = 70_000;
  for (let i = 0; i < n; i++) {
    const x = r.int(-3, 4);
    assert.ok(Number.isInteger(x) && x >= -3 && x < 4);
    counts[x + 3]++;
  }
  const p = 1 / 7,
    sd = Math.sqrt(n * p * (1 - p));
  for (const c of counts) assert.ok(Math.abs(c - n * p) < 5 * sd, `count ${c}`);
  const big = 3 * 2 ** 40;
  let sum = 0;
  for (let i = 0; i < 20_000; i++) {
    const x = r.int(0, big);
    assert.ok(Number.isInteger(x) && x >= 0 && x < big);
    sum += x;
  }
  const mean = sum / 20_000,
    se = big / Math.sqrt(12 * 20_000);
  assert.ok(Math.abs(mean - big / 2) < 5 * se, `mean ${mean}`);
  assert.equal(r.int(5, 6), 5);
  assert.throws(() => r.int(3, 3), /lo < hiExclusive/);
  assert.throws(() => r.int(0, 1.5), /lo < hiExclusive/);
});

test('state() snapshot round-trips through fromState and JSON', () => {
  const r = new Rng('snap');
  take(r, 13);
  const copy = Rng.fromState(JSON.parse(JSON.stringify(r.state())));
  assert.deepEqual(take(copy, 50), take(r, 50));
  assert.deepEqual(take(copy.fork('f'), 5), take(r.fork('f'), 5));
  assert.throws(() => Rng.fromState({ s: [0, 0, 0, 0], key: [0, 0, 0, 0], spareNormal: null }), /all zero/);
});
