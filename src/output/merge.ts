// Joins the results of sweep shards into one run, as if it had run on one machine; also joins
// churn sweeps of one scenario run at different rates or scales (same nodes, duration, loop).
import type { RunMeta, RunResults } from '../metrics/results.ts';
import { seriesKey } from '../metrics/results.ts';
import { comparePoints, compareRows } from '../metrics/results.ts';
import { churnFits } from '../metrics/churn-rows.ts';
import { computeFits } from '../sweep/fits.ts';
import { InputError } from '../util/errors.ts';
import { describeCostModel, samePricing } from '../metrics/cost-model-source.ts';

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
    if (!samePricing(results.meta.costModel, first.meta.costModel)) {
      throw new InputError(
        `was priced by ${describeCostModel(results.meta.costModel)}, ${parts[0].path} by ${describeCostModel(first.meta.costModel)}: shards of one run share a cost model`,
        path,
        'meta.costModel',
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
  const incomplete = incompleteness(parts, points);
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
      incomplete,
    },
    points,
    rows,
    samples,
    fits: first.meta.churn ? churnFits(rows) : computeFits(rows),
  };
}

/**
 * Whether the merged run lacks points its parts planned: a part that was itself incomplete, or
 * shards of a sweep without all their siblings. The mark travels on, so no one mistakes a few
 * shards for the whole run (baseline update refuses it).
 */
function incompleteness(parts: { path: string; results: RunResults }[], points: RunResults['points']): RunMeta['incomplete'] {
  const reasons = parts.flatMap((p) => (p.results.meta.incomplete ? [`${p.path}: ${p.results.meta.incomplete.reason}`] : []));
  let missingPoints = parts.reduce((n, p) => n + (p.results.meta.incomplete?.missingPoints ?? 0), 0);
  const shards = parts.map((p) => p.results.meta.shard).filter((s) => s !== null);
  if (shards.length > 0) {
    const count = Math.max(...shards.map((s) => s.count));
    const have = new Set(shards.map((s) => s.index));
    const absent = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !have.has(i));
    if (absent.length > 0) {
      const m = parts[0].results.meta;
      const planned = m.churn ? points.length : m.modes.length * m.scales.length * m.repetitions;
      missingPoints += Math.max(0, planned - points.length);
      reasons.push(`shard${absent.length > 1 ? 's' : ''} ${absent.map((i) => `${i}/${count}`).join(', ')} not merged`);
    }
  }
  return reasons.length > 0 ? { reason: reasons.join('; '), missingPoints } : undefined;
}

/** A churn sweep's settings other than its rates, as one comparable string. */
function churnSettings(r: RunResults): string {
  const { rates: _rates, ...rest } = r.meta.churn!;
  return JSON.stringify(rest);
}
