// Complexity bands: the fitted exponent k of metric ~ services^k (src/sweep/fits.ts) of the
// current run must lie inside each configured band. The point estimate is checked (the 95%
// interval is reported alongside). A fit the baseline has and the current run lacks is missing
// (a failure); a band that matches no fit in either run (a mode not in the sweep, fewer than two
// scales) is skipped and counted.
import type { FitRecord } from '../metrics/results.ts';
import type { Band } from './config.ts';
import { globMatch } from './glob.ts';
import type { BandCheck } from './types.ts';

export function checkBands(baseline: FitRecord[], current: FitRecord[], bands: Band[]): { checks: BandCheck[]; skipped: number } {
  const checks: BandCheck[] = [];
  let skipped = 0;
  const key = (f: FitRecord) => `${f.mode}|${f.metric}|${f.clock}|${f.statistic}`;
  for (const band of bands) {
    const match = (f: FitRecord) =>
      globMatch(band.mode, f.mode) && globMatch(band.metric, f.metric) && f.clock === band.clock && globMatch(band.statistic, f.statistic);
    const cur = new Map(current.filter(match).map((f) => [key(f), f]));
    const base = new Map(baseline.filter(match).map((f) => [key(f), f]));
    const keys = [...new Set([...cur.keys(), ...base.keys()])].sort();
    if (keys.length === 0) skipped++;
    for (const k of keys) {
      const f = (cur.get(k) ?? base.get(k))!;
      const c = cur.get(k);
      const inBand =
        c !== undefined && (band.min === undefined || c.exponent >= band.min) && (band.max === undefined || c.exponent <= band.max);
      checks.push({
        mode: f.mode,
        metric: f.metric,
        clock: f.clock,
        statistic: f.statistic,
        min: band.min ?? null,
        max: band.max ?? null,
        baselineExponent: base.get(k)?.exponent ?? null,
        exponent: c?.exponent ?? null,
        ciLow: finite(c?.ciLow),
        ciHigh: finite(c?.ciHigh),
        verdict: c === undefined ? 'missing' : inBand ? 'pass' : 'FAIL',
      });
    }
  }
  return { checks, skipped };
}

function finite(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
