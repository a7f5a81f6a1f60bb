// bench/parallel-speedup.ts: runs the sweep on 1 and 2 workers in turn and reports pair-by-pair ratios.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.ts';

const BENCH = join(ROOT, 'bench', 'parallel-speedup.ts');
const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', BENCH, ...args], { cwd: ROOT, encoding: 'utf8' });

test('bench:parallel times one pair of sweeps and prints each ratio and the median', () => {
  const r = run(['--scenario', 'test/fixtures/scenarios/tiny-sweep.yaml', '--scales', '5', '--pairs', '1']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /tiny-sweep\.yaml at 5 services: 1 pair\(s\), 1 worker then 2, on \d+ cores/);
  assert.match(r.stdout, /^1 +\d+\.\d +\d+\.\d +\d+\.\d\d×$/m);
  const m = r.stdout.match(/median: 1 worker (\d+\.\d) s, 2 workers (\d+\.\d) s, speedup (\d+\.\d\d)×/);
  assert.ok(m, r.stdout);
  assert.ok(Math.abs(Number(m[1]) / Number(m[2]) - Number(m[3])) < 0.06, r.stdout);
});

test('bench:parallel refuses a bad --pairs and reports a failed sweep', () => {
  const bad = run(['--pairs', '0']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--pairs must be a positive integer \(got 0\)/);
  const failed = run(['--scenario', 'no/such/scenario.yaml', '--pairs', '1']);
  assert.equal(failed.status, 1);
  assert.match(failed.stderr, /the sweep on 1 worker\(s\) failed \(exit \d+\):\n.*no\/such\/scenario\.yaml/);
});
