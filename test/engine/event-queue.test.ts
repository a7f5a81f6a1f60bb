import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventQueue } from '../../src/engine/event-queue.ts';
import { Rng } from '../../src/engine/rng.ts';

interface Ev {
  time: number;
  kind: number;
  a: number;
  b: number;
  seq: number;
}

function popAll(q: EventQueue): Ev[] {
  const out: Ev[] = [];
  while (q.pop()) out.push({ time: q.time, kind: q.kind, a: q.a, b: q.b, seq: q.a });
  return out;
}

/** Reference order: stable sort by time keeps insertion order for ties. */
function sortedRef(evs: Ev[]): Ev[] {
  return [...evs].sort((x, y) => x.time - y.time || x.seq - y.seq);
}

test('10,000 random events pop in the same order as a stable sorted reference', () => {
  const rng = new Rng(1);
  for (const timeRange of [1_000_000_000, 50]) {
    // The narrow range forces many equal timestamps.
    const q = new EventQueue(16);
    const evs: Ev[] = [];
    for (let i = 0; i < 10_000; i++) {
      const e = { time: rng.int(0, timeRange), kind: rng.int(0, 8), a: i, b: rng.next(), seq: i };
      evs.push(e);
      q.schedule(e.time, e.kind, e.a, e.b);
    }
    assert.equal(q.size, 10_000);
    assert.deepEqual(popAll(q), sortedRef(evs));
    assert.equal(q.size, 0);
    assert.equal(q.pop(), false);
  }
});

test('FIFO among equal timestamps', () => {
  const q = new EventQueue();
  for (let i = 0; i < 100; i++) q.schedule(i % 2 === 0 ? 500 : 100, 1, i);
  const got = popAll(q).map((e) => [e.time, e.a]);
  const want = [...Array.from({ length: 50 }, (_, j) => [100, 2 * j + 1]), ...Array.from({ length: 50 }, (_, j) => [500, 2 * j])];
  assert.deepEqual(got, want);
});

test('FIFO holds for ties scheduled after interleaved pops (seq survives heap churn)', () => {
  const rng = new Rng(2);
  const q = new EventQueue(4);
  const ref: Ev[] = [];
  let seq = 0;
  let now = 0;
  const popped: Ev[] = [];
  const expected: Ev[] = [];
  for (let step = 0; step < 20_000; step++) {
    if (ref.length > 0 && rng.next() < 0.45) {
      assert.ok(q.pop());
      let m = 0;
      for (let j = 1; j < ref.length; j++) {
        if (ref[j].time < ref[m].time || (ref[j].time === ref[m].time && ref[j].seq < ref[m].seq)) m = j;
      }
      expected.push(ref.splice(m, 1)[0]);
      popped.push({ time: q.time, kind: q.kind, a: q.a, b: q.b, seq: q.a });
      now = q.time;
    } else {
      // Times never before the last popped one, with frequent ties.
      const e = { time: now + rng.int(0, 20), kind: step & 7, a: seq, b: -step, seq };
      seq++;
      ref.push(e);
      q.schedule(e.time, e.kind, e.a, e.b);
    }
    assert.equal(q.size, ref.length);
    if (step % 97 === 0) assert.equal(q.peekTime(), ref.length ? Math.min(...ref.map((e) => e.time)) : Infinity);
  }
  assert.deepEqual(popped, expected);
});

test('grows from a tiny capacity and keeps payloads intact', () => {
  const q = new EventQueue(1);
  const n = 5000;
  for (let i = n - 1; i >= 0; i--) q.schedule(i * 3, i % 100, i + 0.5, -i);
  assert.equal(q.size, n);
  for (let i = 0; i < n; i++) {
    assert.ok(q.pop());
    assert.equal(q.time, i * 3);
    assert.equal(q.kind, i % 100);
    assert.equal(q.a, i + 0.5);
    assert.equal(q.b, -i);
  }
});

test('peekTime, size, clear', () => {
  const q = new EventQueue();
  assert.equal(q.peekTime(), Infinity);
  q.schedule(30, 1);
  q.schedule(10, 2);
  q.schedule(20, 3);
  assert.equal(q.peekTime(), 10);
  assert.equal(q.size, 3);
  q.clear();
  assert.equal(q.size, 0);
  assert.equal(q.peekTime(), Infinity);
  assert.equal(q.pop(), false);
  q.schedule(5, 9, 1, 2);
  assert.ok(q.pop());
  assert.deepEqual([q.time, q.kind, q.a, q.b], [5, 9, 1, 2]);
});

test('large integer times up to 2^53 - 1 are exact', () => {
  const q = new EventQueue();
  const big = Number.MAX_SAFE_INTEGER;
  q.schedule(big, 0);
  q.schedule(big - 1, 1);
  q.schedule(0, 2);
  assert.deepEqual(
    popAll(q).map((e) => e.time),
    [0, big - 1, big],
  );
});

test('rejects invalid times and kinds', () => {
  const q = new EventQueue();
  for (const t of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
    assert.throws(() => q.schedule(t, 0), /non-negative integer number of ns/, `time ${t}`);
  }
  assert.throws(() => q.schedule(1, 1.5), /kind must be a 32-bit integer/);
  assert.throws(() => q.schedule(1, 2 ** 31), /kind must be a 32-bit integer/);
  assert.equal(q.size, 0);
});
