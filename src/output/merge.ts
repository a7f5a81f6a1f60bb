// Joins the results of sweep shards into one run, as if it had run on one machine; also joins
// churn sweeps of one scenario run at different rates or scales (same nodes, duration, loop).
import type { RunResults } from '../metrics/results.ts';
import { seriesKey } from '../metrics/results.ts';
import { comparePoints, compareRows } from '../metrics/results.ts';
import { churnFits } from '../metrics/churn-rows.ts';
import { computeFits } from '../sweep/fits.ts';
import { InputError } from '../util/errors.ts';

export function mergeResults(parts: { path: string; results: RunResults }[]): RunResults {
  if (parts.length === 0) throw new InputError('nothing to merge: name at least one results folder');
  const first = parts[0].results;
  const seen = new Set<string>();
  for (const { path, results } of parts) {
    const s = results.meta.scenario;
    if (s.sha256 !== first.meta.scenario.sha256 || s.seed !== first.meta.scenario.seed) {
      throw new InputError(
        `comes from a different scenario or seed than ${parts[0].path} (${s.name} seed ${s.seed} vs ${first.meta.scenario.name} seed ${first.meta.scenario.seed})`,
        path,
        'meta.scenario',
      );
    }
    if (Boolean(results.meta.churn) !== Boolean(first.meta.churn)) {
      throw new InputError(
        `a churn sweep and a scale sweep cannot be merged (${parts[0].path} is ${first.meta.churn ? '' : 'not '}a churn sweep)`,
        path,
        'meta.churn',
      );
    }
    if (results.meta.churn && first.meta.churn && churnSettings(results) !== churnSettings(first)) {
      throw new InputError(
        `churn settings differ from ${parts[0].path} (${churnSettings(results)} vs ${churnSettings(first)}): only the rates and scales may differ`,
        path,
        'meta.churn',
      );
    }
    for (const p of results.points) {
      const key = `${seriesKey(p)}/${p.scale}/${p.repetition}${p.rate !== undefined ? ` at ${p.rate}/s` : ''}`;
      if (seen.has(key)) throw new InputError(`point ${key} appears in more than one shard`, path, 'points', key);
      seen.add(key);
    }
  }
  const rows = parts.flatMap((p) => p.results.rows).sort(compareRows);
  const points = parts.flatMap((p) => p.results.points).sort((a, b) => comparePoints(a, b) || (a.rate ?? 0) - (b.rate ?? 0));
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
      ...(first.meta.churn
        ? { churn: { ...first.meta.churn, rates: union(parts.map((p) => p.results.meta.churn?.rates ?? [])).sort((a, b) => a - b) } }
        : {}),
      wallSeconds: Math.max(...parts.map((p) => p.results.meta.wallSeconds)),
    },
    points,
    rows,
    samples,
    fits: first.meta.churn ? churnFits(rows) : computeFits(rows),
  };
}

/** A churn sweep's settings other than its rates, as one comparable string. */
function churnSettings(r: RunResults): string {
  const { rates: _rates, ...rest } = r.meta.churn!;
  return JSON.stringify(rest);
}
