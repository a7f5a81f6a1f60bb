// Complexity fits over scales: for each series (mode and variant), metric, clock and statistic
// picked by `wanted`, the exponent k of metric ~ services^k from the values measured at each
// scale (repetitions averaged: the fit is over scales). The sweep and the churn sweep both use it.
import { type FitRecord, type ResultRow, seriesKey } from './results.ts';
import { fitPowerLaw, fitVerdictText } from './stats.ts';

export function fitOverScales(rows: readonly ResultRow[], wanted: (r: ResultRow) => boolean): FitRecord[] {
  const groups = new Map<string, { first: ResultRow; byScale: Map<number, number[]> }>();
  for (const r of rows) {
    if (!wanted(r)) continue;
    const key = `${seriesKey(r)}\u0000${r.metric}\u0000${r.clock}\u0000${r.statistic}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { first: r, byScale: new Map() }));
    const list = g.byScale.get(r.scale) ?? [];
    list.push(r.value);
    g.byScale.set(r.scale, list);
  }
  const fits: FitRecord[] = [];
  for (const { first, byScale } of groups.values()) {
    const scales = [...byScale.keys()].sort((a, b) => a - b);
    if (scales.length < 2) continue;
    const ys = scales.map((s) => {
      const v = byScale.get(s)!;
      return v.reduce((a, b) => a + b, 0) / v.length;
    });
    const fit = fitPowerLaw(scales, ys);
    if (!fit) continue;
    fits.push({
      mode: first.mode,
      ...(first.variant ? { variant: first.variant } : {}),
      metric: first.metric,
      clock: first.clock,
      statistic: first.statistic,
      unit: first.unit,
      exponent: fit.exponent,
      ciLow: fit.ciLow,
      ciHigh: fit.ciHigh,
      intercept: fit.intercept,
      r2: fit.r2,
      n: fit.n,
      verdict: fitVerdictText(fit),
    });
  }
  return fits;
}
