// Joins the results of sweep shards into one run, as if it had run on one machine.
import type { RunResults } from '../metrics/results.ts';
import { comparePoints, compareRows } from '../metrics/results.ts';
import { computeFits } from '../sweep/fits.ts';
import { InputError } from '../util/errors.ts';

export function mergeResults(parts: { path: string; results: RunResults }[]): RunResults {
  if (parts.length === 0) throw new InputError('nothing to merge: name at least one results folder');
  const first = parts[0].results;
  const seen = new Set<string>();
  for (const { path, results } of parts) {
    const s = results.meta.scenario;
    if (s.sha256 !== first.meta.scenario.sha256 || s.seed !== first.meta.scenario.seed) {
      throw new InputError(`comes from a different scenario or seed than ${parts[0].path} (${s.name} seed ${s.seed} vs ${first.meta.scenario.name} seed ${first.meta.scenario.seed})`, path, 'meta.scenario');
    }
    for (const p of results.points) {
      const key = `${p.mode}/${p.scale}/${p.repetition}`;
      if (seen.has(key)) throw new InputError(`point ${key} appears in more than one shard`, path, 'points', key);
      seen.add(key);
    }
  }
  const rows = parts.flatMap((p) => p.results.rows).sort(compareRows);
  const points = parts.flatMap((p) => p.results.points).sort(comparePoints);
  const samples = parts.flatMap((p) => p.results.samples).sort(comparePoints);
  const union = <T>(xs: T[][]): T[] => [...new Set(xs.flat())];
  return {
    schema: 'kpsim-results/1',
    meta: {
      ...first.meta,
      runId: first.meta.runId.replace(/-shard\d+of\d+$/, '') + '-merged',
      modes: union(parts.map((p) => p.results.meta.modes)),
      scales: union(parts.map((p) => p.results.meta.scales)).sort((a, b) => a - b),
      shard: null,
      wallSeconds: Math.max(...parts.map((p) => p.results.meta.wallSeconds)),
    },
    points,
    rows,
    samples,
    fits: computeFits(rows),
  };
}
