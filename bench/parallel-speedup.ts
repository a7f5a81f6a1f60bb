// Two workers against one: the same sweep run on 1 worker and on 2, in turn (1, 2, 1, 2, ...), so
// a drift in the machine's speed lands on both; each ratio is taken pair by pair and the median
// is reported. Wall clock of the whole `kpsim sweep` process, start-up included.
//
// Run: npm run bench:parallel [-- --pairs 3] [--full] [--scenario FILE --scales 5,20]
// The default is the default sweep at 1k-20k services (about 65 s a pair on 2 cores, 2026-12-06); --full is
// the whole of `npm run bench` (about 140 s a pair).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { summarize } from '../src/metrics/stats.ts';

const ROOT = join(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '2' },
    full: { type: 'boolean', default: false },
    scenario: { type: 'string', default: 'scenarios/scale-sweep.yaml' },
    scales: { type: 'string' },
  },
});
const pairs = Number(args.pairs);
if (!Number.isInteger(pairs) || pairs < 1) {
  console.error(`bench:parallel: --pairs must be a positive integer (got ${args.pairs})`);
  process.exit(2);
}
const scales = args.full ? null : (args.scales ?? (args.scenario === 'scenarios/scale-sweep.yaml' ? '1000,5000,10000,20000' : null));
const out = mkdtempSync(join(tmpdir(), 'kpsim-parallel-'));

/** Seconds one sweep on `workers` workers took, wall clock. */
function sweep(workers: number): number {
  const argv = [join(ROOT, 'bin', 'kpsim.js'), 'sweep', args.scenario, ...(scales ? ['--scales', scales] : [])];
  argv.push('--workers', String(workers), '--no-report', '--quiet', '--force', '--out', join(out, `w${workers}`));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    rmSync(out, { recursive: true, force: true });
    console.error(`bench:parallel: the sweep on ${workers} worker(s) failed (exit ${r.status}):\n${r.stderr}`);
    process.exit(1);
  }
  return seconds;
}

console.error(
  `${args.scenario}${scales ? ` at ${scales} services` : ''}: ${pairs} pair(s), 1 worker then 2, on ${availableParallelism()} cores`,
);
const rows: { one: number; two: number }[] = [];
for (let i = 1; i <= pairs; i++) {
  const one = sweep(1);
  const two = sweep(2);
  rows.push({ one, two });
  console.error(`pair ${i}/${pairs}: 1 worker ${one.toFixed(1)} s, 2 workers ${two.toFixed(1)} s, ${(one / two).toFixed(2)}×`);
}
rmSync(out, { recursive: true, force: true });

const med = (xs: number[]) => summarize(xs).p50;
const ratios = rows.map((r) => r.one / r.two);
console.log('pair  1 worker (wall s)  2 workers (wall s)  speedup');
rows.forEach((r, i) =>
  console.log(
    `${String(i + 1).padEnd(4)}  ${r.one.toFixed(1).padStart(17)}  ${r.two.toFixed(1).padStart(18)}  ${ratios[i].toFixed(2).padStart(6)}×`,
  ),
);
console.log(
  `median: 1 worker ${med(rows.map((r) => r.one)).toFixed(1)} s, 2 workers ${med(rows.map((r) => r.two)).toFixed(1)} s, speedup ${med(ratios).toFixed(2)}× (pairs ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}×)`,
);
