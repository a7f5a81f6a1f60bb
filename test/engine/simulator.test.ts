import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulator, ms, ns, parseDuration, s, us } from '../../src/engine/simulator.ts';

test('run() delivers events in time order, advancing now', () => {
  const sim = new Simulator({ seed: 1 });
  sim.at(300, 3, 30);
  sim.at(100, 1, 10);
  sim.at(200, 2, 20, 0.5);
  const seen: [number, number, number, number][] = [];
  const n = sim.run((sm, kind, a, b) => seen.push([sm.now, kind, a, b]));
  assert.equal(n, 3);
  assert.deepEqual(seen, [
    [100, 1, 10, 0],
    [200, 2, 20, 0.5],
    [300, 3, 30, 0],
  ]);
  assert.equal(sim.now, 300);
  assert.equal(sim.eventsProcessed, 3);
});

test('handlers can schedule follow-up events; equal times are FIFO; now never decreases', () => {
  const sim = new Simulator({ seed: 'chain' });
  sim.at(0, 0, 0);
  const order: number[] = [];
  let last = 0;
  sim.run((sm, kind, a) => {
    assert.ok(sm.now >= last);
    last = sm.now;
    order.push(a);
    if (kind === 0 && a < 5) {
      sm.after(0, 1, 100 + a); // same time as now: runs after anything already queued for now
      sm.after(10, 0, a + 1);
    }
  });
  assert.deepEqual(order, [0, 100, 1, 101, 2, 102, 3, 103, 4, 104, 5]);
  assert.equal(sim.now, 50);
});

test('untilNs: events at untilNs run, later ones stay queued, now = untilNs; resumable', () => {
  const sim = new Simulator();
  for (const t of [10, 20, 30, 40]) sim.at(t, 0, t);
  const seen: number[] = [];
  const h = (_: Simulator, __: number, a: number) => void seen.push(a);
  assert.equal(sim.run(h, 30), 3);
  assert.deepEqual(seen, [10, 20, 30]);
  assert.equal(sim.now, 30);
  assert.equal(sim.run(h, 35), 0);
  assert.equal(sim.now, 35);
  assert.equal(sim.queue.size, 1);
  // Empty queue with a horizon: the clock still advances to the horizon.
  assert.equal(sim.run(h, 1000), 1);
  assert.equal(sim.now, 1000);
  assert.throws(() => sim.run(h, 999), /untilNs must be an integer >= now/);
});

test('maxEvents and stop() end the run early without advancing past the last event', () => {
  const sim = new Simulator();
  for (let i = 1; i <= 10; i++) sim.at(i * 100, 0, i);
  assert.equal(
    sim.run(() => {}, 10_000, 4),
    4,
  );
  assert.equal(sim.now, 400);
  const n = sim.run((sm, _k, a) => {
    if (a === 6) sm.stop();
  }, 10_000);
  assert.equal(n, 2);
  assert.equal(sim.now, 600);
  assert.equal(sim.queue.size, 4);
});

test('after() rounds to integer ns and rejects negative delays; at() rejects the past', () => {
  const sim = new Simulator();
  sim.at(1000, 0);
  sim.run(() => {});
  sim.after(2.4, 1);
  sim.after(2.6, 2);
  const times: number[] = [];
  sim.run((sm) => void times.push(sm.now));
  assert.deepEqual(times, [1002, 1003]);
  assert.throws(() => sim.after(-1, 0), /delay must be >= 0/);
  assert.throws(() => sim.after(NaN, 0), /delay must be >= 0/);
  assert.throws(() => sim.at(5, 0), /before now/);
  assert.throws(() => sim.at(1e4 + 0.5, 0), /integer/);
});

test('same seed gives the same simulation; rng is exposed', () => {
  const trace = (seed: number) => {
    const sim = new Simulator({ seed });
    sim.at(0, 0);
    const out: number[] = [];
    sim.run((sm) => {
      out.push(sm.now);
      if (out.length < 200) sm.after(sm.rng.int(1, 1000), 0);
    });
    return out;
  };
  assert.deepEqual(trace(4), trace(4));
  assert.notDeepEqual(trace(4), trace(5));
});

test('unit helpers convert to integer ns', () => {
  assert.equal(ns(12.4), 12);
  assert.equal(us(1.5), 1500);
  assert.equal(ms(0.3), 300_000);
  assert.equal(ms(250), 250_000_000);
  assert.equal(s(1.1), 1_100_000_000);
  assert.equal(s(90), 90_000_000_000);
});

test('parseDuration: valid forms', () => {
  const cases: [string, number][] = [
    ['10s', 10e9],
    ['250ms', 250e6],
    ['1m30s', 90e9],
    ['5us', 5000],
    ['5µs', 5000],
    ['100ns', 100],
    ['2h', 7200e9],
    ['1h2m3s4ms5us6ns', 3723_004_005_006],
    ['1.5s', 1.5e9],
    ['.5ms', 500_000],
    ['0.3ms', 300_000],
    ['0', 0],
    ['0s', 0],
    [' 20ms ', 20e6],
  ];
  for (const [str, want] of cases) assert.equal(parseDuration(str), want, str);
});

test('parseDuration: malformed strings are rejected with a clear error', () => {
  for (const bad of ['', '10', 's', '10x', '-5s', '1 s', '1m 30s', '10S', '1.2.3s', 'ms10', '1e3s', 'abc', '5sec']) {
    assert.throws(() => parseDuration(bad), /Invalid duration/, JSON.stringify(bad));
  }
  assert.throws(() => parseDuration('10'), /expected <number><unit>/);
  assert.throws(() => parseDuration('99999999999999h'), /exceeds 2\^53/);
});

test('a throwing handler propagates; the event counter and clock stay consistent', () => {
  const sim = new Simulator();
  sim.at(5, 0);
  sim.at(7, 1);
  sim.at(9, 0);
  assert.throws(
    () =>
      sim.run((_s, kind) => {
        if (kind === 1) throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(sim.eventsProcessed, 2);
  assert.equal(sim.now, 7);
  assert.equal(
    sim.run(() => {}),
    1,
  );
  assert.equal(sim.now, 9);
  assert.equal(
    sim.run(() => {}, Infinity, 0),
    0,
  );
});
