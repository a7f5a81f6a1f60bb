// The sweep's progress on stderr: the plan at once, the points in flight with their elapsed time,
// an ETA that weighs points by their cost; live on a terminal, failures only in a log unless asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress } from '../../src/sweep/progress.ts';
import { kpsim, tempDir } from '../helpers/cli.ts';
import { modeNames } from '../../src/proxy/modes.ts';

function sink(isTTY = false) {
  const lines: string[] = [];
  return {
    lines,
    out: {
      isTTY,
      columns: 200,
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
  const p = new Progress(10, { out, mode: 'on', totalWeight: 9000 + 9 * 100, now: () => clock });
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
  assert.match(lines[9], /10\/10 points \(100%\), 1 failed, 1m39s elapsed/);
});

test('without weights every point counts the same; off prints nothing, not even failures', () => {
  let clock = 0;
  const { lines, out } = sink();
  const p = new Progress(4, { out, mode: 'on', now: () => clock });
  clock = 10_000;
  p.tick('a', true, 10);
  assert.match(lines[0], /1\/4 points \(25%\), 10s elapsed, ETA 30s/);
  const q = sink();
  const off = new Progress(2, { out: q.out, mode: 'off' });
  off.plan('2 points');
  off.tick('a', false, 1);
  assert.deepEqual(q.lines, []);
});

test('the plan comes first, then the points in flight with their elapsed time', () => {
  let clock = 0;
  const { lines, out } = sink();
  const p = new Progress(3, { out, mode: 'on', now: () => clock });
  p.plan('3 points on 2 workers, largest first: a, b, c');
  assert.deepEqual(lines, ['kpsim: 3 points on 2 workers, largest first: a, b, c\n'], 'printed at once, before any point');
  p.start('a');
  p.start('b');
  clock = 12_000;
  assert.match(p.status(), /^0\/3 points \(0%\), 12s elapsed, ETA after the first point; running: a \(12s\), b \(12s\)$/);
  p.tick('a', true, 12);
  p.start('c');
  clock = 15_000;
  assert.match(p.status(), /running: b \(15s\), c \(3s\)$/);
});

test('not a terminal and not asked: silent but for failed points', () => {
  const { lines, out } = sink(false);
  const p = new Progress(2, { out });
  p.plan('2 points');
  p.start('a');
  p.tick('a', true, 1);
  p.tick('b', false, 1, 1, 'out of memory');
  assert.deepEqual(lines, ['kpsim: b: out of memory FAILED in 1.0 s\n']);
});

test('on a terminal: a live status line under a line per finished point, redrawn in place', () => {
  let clock = 0;
  const { lines, out } = sink(true);
  const p = new Progress(2, { out, now: () => clock, refreshMs: 0 });
  p.plan('2 points on 1 worker, largest first: a, b');
  p.start('a');
  clock = 3000;
  p.tick('a', true, 3);
  p.start('b');
  clock = 5000;
  p.tick('b', true, 2);
  const text = lines.join('');
  assert.match(text, /^\r\x1b\[Kkpsim: 2 points on 1 worker, largest first: a, b\n/);
  assert.match(text, /\r\x1b\[K\[\.{20}\] 0\/2 points \(0%\), 0s elapsed, ETA after the first point; running: a \(0s\)/);
  assert.match(text, /\r\x1b\[Kkpsim: a ok in 3\.0 s\n/);
  assert.match(text, /running: b \(0s\)/);
  assert.ok(text.endsWith('[####################] 2/2 points (100%), 5s elapsed\n'), JSON.stringify(text.slice(-80)));
});

test('kpsim sweep --progress: the plan is the first line on stderr, before any point ends; results on stdout', () => {
  const dir = tempDir();
  const r = kpsim([
    'sweep',
    'test/fixtures/scenarios/tiny-sweep.yaml',
    '--out',
    dir,
    '--no-report',
    '--simulated-only',
    '--workers',
    '2',
    '--progress',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.split('\n').filter(Boolean);
  // Every registered mode at 3 scales; the plan names the first three, largest first, in display order.
  const points = 3 * modeNames().length;
  const first = modeNames()
    .slice(0, 3)
    .map((m) => `${m} @ 80 services`)
    .join(', ');
  assert.equal(lines[0], `kpsim: ${points} points on 2 workers, largest first: ${first}, ...`);
  const firstDone = lines.findIndex((l) => / ok in \d+\.\d s/.test(l));
  assert.ok(firstDone > 0, 'the plan comes before the first point result');
  assert.ok(lines[lines.length - 1].includes(`${points}/${points} points (100%)`), lines[lines.length - 1]);
  // Progress never goes to stdout; the summary does.
  assert.doesNotMatch(r.stdout, /^kpsim: /m);
  assert.match(r.stdout, /^mode +services +rules\/pkt/m);
  // Without --progress and without a terminal: nothing on stderr.
  const quiet = kpsim([
    'sweep',
    'test/fixtures/scenarios/tiny-sweep.yaml',
    '--out',
    tempDir(),
    '--no-report',
    '--simulated-only',
    '--modes',
    'ipvs',
  ]);
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.equal(quiet.stderr, '');
});
