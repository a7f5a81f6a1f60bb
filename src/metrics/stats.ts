// Summaries of samples and the log-log complexity fit, on top of simple-statistics.
import { linearRegression, mean, quantileSorted, rSquared } from 'simple-statistics';

/**
 * The one quantile definition of kpsim (CSV rows, report bands, churn summaries): simple-statistics'
 * quantileSorted on sorted values: the value at rank ceil(n*p), or the mean of the two middle
 * values when n*p is whole.
 */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  return sorted.length === 0 ? NaN : quantileSorted(sorted as number[], p);
}

export interface Summary {
  n: number;
  mean: number;
  min: number;
  p01: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Interquartile range: the spread the wall-clock rows report. */
  iqr: number;
}

/** Summary of a sample; sorts a copy (the caller's array is left alone). */
export function summarize(values: ArrayLike<number>): Summary {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, min: NaN, p01: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN, iqr: NaN };
  const sorted = Float64Array.from(values).sort();
  const arr = Array.from(sorted);
  const q = (p: number) => quantile(arr, p);
  return {
    n,
    mean: mean(arr),
    min: sorted[0],
    p01: q(0.01),
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: sorted[n - 1],
    iqr: q(0.75) - q(0.25),
  };
}

export interface PowerFit {
  /** Slope of log(metric) against log(services): the complexity exponent. */
  exponent: number;
  intercept: number;
  r2: number;
  /** 95% confidence interval of the exponent (Student t on n-2 degrees of freedom). */
  ciLow: number;
  ciHigh: number;
  n: number;
}

/** Two-sided 95% Student t quantiles t(0.975, df) for df = 1..30 (standard table values). */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function t975(df: number): number {
  if (df < 1) return NaN;
  return df <= T975.length ? T975[df - 1] : 1.96;
}

/**
 * Fits metric = a * services^k by least squares on the logs. Points with a non-positive x or y
 * cannot be logged and are dropped; fewer than 3 usable points give no interval.
 */
export function fitPowerLaw(xs: number[], ys: number[]): PowerFit | null {
  const pts: [number, number][] = [];
  for (let i = 0; i < xs.length; i++) if (xs[i] > 0 && ys[i] > 0 && Number.isFinite(ys[i])) pts.push([Math.log(xs[i]), Math.log(ys[i])]);
  const n = pts.length;
  if (n < 2) return null;
  const { m, b } = linearRegression(pts);
  const line = (x: number) => m * x + b;
  const r2 = rSquared(pts, line);
  let ciLow = NaN;
  let ciHigh = NaN;
  if (n >= 3) {
    const mx = mean(pts.map((p) => p[0]));
    let sxx = 0;
    let sse = 0;
    for (const [x, y] of pts) {
      sxx += (x - mx) ** 2;
      sse += (y - line(x)) ** 2;
    }
    const se = Math.sqrt(sse / (n - 2) / sxx);
    const half = t975(n - 2) * se;
    ciLow = m - half;
    ciHigh = m + half;
  }
  return { exponent: m, intercept: b, r2: Number.isFinite(r2) ? r2 : 1, ciLow, ciHigh, n };
}

/** A fit over fewer scales claims no exponent: two points always lie on a line. */
export const MIN_FIT_SCALES = 3;
/** A 95% interval of the exponent wider than this is "uncertain". */
export const WIDE_FIT_CI = 0.4;

export type FitCertainty = 'too few scales' | 'uncertain' | 'ok';

/** What a fit may claim, one decision for the terminal summary, fits.csv and the report. */
export function fitCertainty(f: Pick<PowerFit, 'n' | 'ciLow' | 'ciHigh'>): FitCertainty {
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (!finite(f.n) || f.n < MIN_FIT_SCALES || !finite(f.ciLow) || !finite(f.ciHigh)) return 'too few scales';
  return f.ciHigh - f.ciLow > WIDE_FIT_CI ? 'uncertain' : 'ok';
}

/** The exponent as shown ("0.98"), or "-" when the fit may not claim one. */
export function fitExponentText(f: Pick<PowerFit, 'exponent' | 'n' | 'ciLow' | 'ciHigh'>): string {
  return fitCertainty(f) === 'too few scales' || !Number.isFinite(f.exponent) ? '-' : f.exponent.toFixed(2);
}

/**
 * The verdict as shown: "O(n)", "O(n^1.66) uncertain" (wide interval), or "too few scales (2)".
 * Readers recompute it from the fit, so results written before this rule read the same way.
 */
export function fitVerdictText(f: Pick<PowerFit, 'exponent' | 'n' | 'ciLow' | 'ciHigh'>): string {
  const c = fitCertainty(f);
  if (c === 'too few scales') return `too few scales (${Number.isFinite(f.n) ? f.n : '?'})`;
  return c === 'uncertain' ? `${complexityVerdict(f)} uncertain` : complexityVerdict(f);
}

/** Plain-words verdict for an exponent: the report's "O(n)" / "O(1)" column. */
export function complexityVerdict(fit: Pick<PowerFit, 'exponent'>): string {
  const k = fit.exponent;
  if (Math.abs(k) < 0.2) return 'O(1)';
  if (k > 0.2 && k < 0.8) return `O(n^${k.toFixed(2)})`;
  if (k >= 0.8 && k < 1.2) return 'O(n)';
  if (k >= 1.2 && k < 1.8) return `O(n^${k.toFixed(2)})`;
  if (k >= 1.8 && k < 2.2) return 'O(n²)';
  return `O(n^${k.toFixed(2)})`;
}
