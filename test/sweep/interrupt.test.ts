// Data safety of sweeps: Ctrl-C keeps every finished point and --resume finishes the run with the
// same simulated results as an uninterrupted one; --simulated-only runs are byte-identical;
// output folders are never mixed with old results; an incomplete run is not a baseline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kpsim, ROOT, tempDir } from '../helpers/cli.ts';
import { modeNames } from '../../src/proxy/modes.ts';

const SCENARIO = 'test/fixtures/scenarios/tiny-sweep.yaml';
const BIN = join(ROOT, 'bin', 'kpsim.js');
// Every registered mode at the 2 scales the interrupted sweep runs.
const POINTS = 2 * modeNames().length;

/** Runs a sweep and sends SIGINT once `points` points are in its journal. */
function interruptedSweep(dir: string, points: number): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, 'sweep', SCENARIO, '--scales', '5,20', '--out', dir, '--workers', '1', '--simulated-only', '--no-report', '-q'],
      // Each point waits 300 ms in its worker, so the interrupt lands between points.
      { cwd: ROOT, env: { ...process.env, KPSIM_POINT_DELAY_MS: '300' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const journal = join(dir, 'results.partial.jsonl');
    const poll = setInterval(() => {
      const lines = existsSync(journal) ? readFileSync(journal, 'utf8').split('\n').filter(Boolean).length : 0;
      if (lines > points) {
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 50);
    child.on('error', reject);
    child.on('close', (status) => {
      clearInterval(poll);
      resolve({ status, stderr });
    });
  });
}

test('Ctrl-C during a sweep keeps the finished points; --resume runs only the rest and completes the run', async () => {
  const base = tempDir();
  const dir = join(base, 'run');
  const r = await interruptedSweep(dir, 2);
  assert.equal(r.status, 130, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `kpsim: interrupted: \\d+ finished points? kept in .*run \\(interrupted: \\d+ of ${POINTS} points not run; results\\.json marks the run incomplete\\)`,
    ),
  );
  assert.match(r.stderr, /finish it with: kpsim sweep --resume .*run/);
  const partial = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  const kept = partial.points.length;
  assert.ok(kept >= 2 && kept < POINTS, `${kept} points kept`);
  assert.equal(partial.meta.incomplete.missingPoints, POINTS - kept);
  assert.ok(
    partial.points.every((p: { status: string }) => p.status === 'ok'),
    'a point cut short is missing, not failed',
  );
  assert.ok(!existsSync(join(dir, 'index.html')), 'no report for an incomplete run');
  // The finished points' rows are in results.csv.
  const csv = readFileSync(join(dir, 'results.csv'), 'utf8');
  assert.equal(csv.split('\n').filter(Boolean).length - 1, partial.rows.length);

  const resumed = kpsim(['sweep', '--resume', dir, '-q']);
  assert.equal(resumed.status, 0, resumed.stderr);
  const done = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  assert.equal(done.points.length, POINTS);
  assert.equal(done.meta.incomplete, undefined);
  assert.equal(done.meta.runId, partial.meta.runId);
  assert.ok(!existsSync(join(dir, 'results.partial.jsonl')), 'the journal goes once the run is complete');

  // The same simulated results, byte for byte, as a run that was never interrupted.
  const whole = join(base, 'whole');
  assert.equal(kpsim(['sweep', SCENARIO, '--scales', '5,20', '--out', whole, '--simulated-only', '--no-report', '-q']).status, 0);
  assert.equal(readFileSync(join(dir, 'results.csv'), 'utf8'), readFileSync(join(whole, 'results.csv'), 'utf8'));
});

test('--simulated-only: two runs write byte-identical results.csv, with no wall-clock row', () => {
  const base = tempDir();
  const run = (name: string, workers: string) => {
    const dir = join(base, name);
    const r = kpsim([
      'sweep',
      SCENARIO,
      '--modes',
      'iptables,ipvs',
      '--scales',
      '5,20',
      '--out',
      dir,
      '--simulated-only',
      '--no-report',
      '-q',
      '--workers',
      workers,
    ]);
    assert.equal(r.status, 0, r.stderr);
    return readFileSync(join(dir, 'results.csv'));
  };
  const a = run('a', '1');
  const b = run('b', '2');
  assert.ok(a.equals(b), 'results.csv differs between two --simulated-only runs');
  assert.doesNotMatch(a.toString(), /,wall,/);
});

test('--out into an old run folder is refused; --force replaces the results and removes the stale report', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'index.html'), '<html>an old run</html>');
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  const args = ['sweep', SCENARIO, '--modes', 'ipvs', '--scales', '5', '--out', dir, '--simulated-only', '--no-report', '-q'];
  const refused = kpsim(args);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /--out: the folder is not empty \(index\.html, notes\.txt\)/);
  const forced = kpsim([...args, '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.ok(!existsSync(join(dir, 'index.html')), 'a report that does not match the results is gone');
  assert.ok(existsSync(join(dir, 'results.json')));
  assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine', 'files kpsim did not write stay');
});

test('merging only some shards carries "incomplete" on; baseline update refuses it unless --allow-partial', () => {
  const base = tempDir();
  const shard = join(base, 's1');
  assert.equal(
    kpsim(['sweep', SCENARIO, '--modes', 'ipvs', '--shard', '1/3', '--out', shard, '--simulated-only', '--no-report', '-q']).status,
    0,
  );
  const merged = join(base, 'm');
  const m = kpsim(['merge', shard, '--out', merged]);
  assert.equal(m.status, 0, m.stderr);
  assert.match(m.stderr, /warning: the merged run is incomplete: shards 2\/3, 3\/3 not merged/);
  const meta = JSON.parse(readFileSync(join(merged, 'results.json'), 'utf8')).meta;
  assert.deepEqual(meta.incomplete, { reason: 'shards 2/3, 3/3 not merged', missingPoints: 2 });
  const refused = kpsim(['baseline', 'update', '--from', merged, '--out', join(base, 'b.json')]);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /the run is incomplete \(shards 2\/3, 3\/3 not merged\).*--allow-partial/);
  const allowed = kpsim(['baseline', 'update', '--from', merged, '--out', join(base, 'b.json'), '--allow-partial']);
  assert.equal(allowed.status, 0, allowed.stderr);
  // merge --force into one of its inputs: allowed; the mark stays.
  const into = kpsim(['merge', merged, '--out', merged, '--force']);
  assert.equal(into.status, 0, into.stderr);
  assert.match(readFileSync(join(merged, 'results.json'), 'utf8'), /"incomplete"/);
});
