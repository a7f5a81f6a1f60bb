// The sweep's progress lines: counts, failures, and an ETA that weighs points by their cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress } from '../../src/sweep/progress.ts';

function sink() {
  const lines: string[] = [];
  return {
    lines,
    out: {
      isTTY: false,
      write: (s: string) => {
        lines.push(s);
        return true;
      },
    } as never,
  };
}

test('largest point first: the ETA counts the small points left as small', () => {
  let clock = 0;
  const { lines, out } = sink();
  // One point of weight 9,000 and nine of weight 100: the big one took 90 s.
  const p = new Progress(10, out, false, 9000 + 9 * 100, () => clock);
  clock = 90_000;
  p.tick('big', true, 90, 9000);
  assert.match(lines[0], /^kpsim: big ok in 90\.0 s — 1\/10 points \(10%\), 1m30s elapsed, ETA 9s\n$/);
  for (let i = 0; i < 8; i++) {
    clock += 1000;
    p.tick(`small ${i}`, i !== 3, 1, 100);
  }
  assert.match(lines[8], /9\/10 points \(90%\), 1 failed, 1m38s elapsed, ETA 1s/);
  clock += 1000;
  p.tick('last', true, 1, 100);
  assert.match(lines[9], /10\/10 points \(100%\), 1 failed, 1m39s elapsed, ETA 0s/);
});

test('without weights every point counts the same; quiet prints nothing', () => {
  let clock = 0;
  const { lines, out } = sink();
  const p = new Progress(4, out, false, undefined, () => clock);
  clock = 10_000;
  p.tick('a', true, 10);
  assert.match(lines[0], /1\/4 points \(25%\), 10s elapsed, ETA 30s/);
  const q = sink();
  new Progress(2, q.out, true).tick('a', true, 1);
  assert.deepEqual(q.lines, []);
});
