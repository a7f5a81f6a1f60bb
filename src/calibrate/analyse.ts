// Turns the namespaces' raw results into measurements (medians with their spread) and the
// constants derived from them. Every constant is computed once per repetition (a fit across
// scales, or a difference of two paths measured side by side) and reported as the median of
// those, with min and max: the spread says how far to trust it. Shared pieces here; one file
// per group: analyse-iptables.ts, analyse-kernel.ts (nftables, conntrack).
import { linearRegression } from 'simple-statistics';
import { summarize } from '../metrics/stats.ts';
import type { StepResult } from './netns.ts';
import type { CalClock, ConstantMeasurement, PointMeasurement, Spread } from './types.ts';

/** Results of one group, by label ("kind:backend:services:repetition[:k]"). */
export class Results {
  private readonly byLabel = new Map<string, StepResult>();
  constructor(results: StepResult[]) {
    for (const r of results) if (r.label) this.byLabel.set(r.label, r);
  }
  get(kind: string, backend: string, services: number, rep: number, k?: number): StepResult | undefined {
    return this.byLabel.get([kind, backend, services, rep, ...(k === undefined ? [] : [k])].join(':'));
  }
  /** Median per-operation thread CPU (ns) of a connect/udp step. */
  ops(kind: string, backend: string, services: number, rep: number): number {
    const r = this.get(kind, backend, services, rep);
    return r?.threadNs?.length ? summarize(r.threadNs).p50 : NaN;
  }
  /** CPU ns of a command step. */
  cpu(kind: string, backend: string, services: number, rep: number, k?: number): number {
    return this.get(kind, backend, services, rep, k)?.cpuNs ?? NaN;
  }
  wall(kind: string, backend: string, services: number, rep: number): number {
    const w = this.get(kind, backend, services, rep)?.wallNs;
    return typeof w === 'number' ? w : NaN;
  }
}

export function spread(values: number[]): Spread {
  const ok = values.filter(Number.isFinite);
  const s = summarize(ok);
  return { median: s.p50, min: s.min, max: s.max, n: s.n };
}

export function reps(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Least-squares line; null with fewer than two distinct x. */
export function fitLine(xs: number[], ys: number[]): { slope: number; intercept: number } | null {
  const pts: [number, number][] = [];
  for (let i = 0; i < xs.length; i++) if (Number.isFinite(xs[i]) && Number.isFinite(ys[i])) pts.push([xs[i], ys[i]]);
  if (new Set(pts.map((p) => p[0])).size < 2) return null;
  const { m, b } = linearRegression(pts);
  return { slope: m, intercept: b };
}

/** y = a + c x + q z by least squares (normal equations); null if the system is singular. */
export function fitTwo(xs: number[], zs: number[], ys: number[]): { a: number; c: number; q: number } | null {
  const n = xs.length;
  if (n < 3) return null;
  // Scale the columns so the 3x3 system is well conditioned (z ~ x^2 is large).
  const sx = Math.max(...xs.map(Math.abs)) || 1;
  const sz = Math.max(...zs.map(Math.abs)) || 1;
  const rows = xs.map((x, i) => [1, x / sx, zs[i] / sz]);
  const A = [0, 1, 2].map((i) => [0, 1, 2].map((j) => rows.reduce((s, r) => s + r[i] * r[j], 0)));
  const v = [0, 1, 2].map((i) => rows.reduce((s, r, k) => s + r[i] * ys[k], 0));
  const sol = solve3(A, v);
  return sol ? { a: sol[0], c: sol[1] / sx, q: sol[2] / sz } : null;
}

function solve3(A: number[][], v: number[]): number[] | null {
  const M = A.map((row, i) => [...row, v[i]]);
  for (let col = 0; col < 3; col++) {
    let piv = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(M[r][col]) > Math.abs(M[piv][col])) piv = r;
    if (Math.abs(M[piv][col]) < 1e-12) return null;
    [M[col], M[piv]] = [M[piv], M[col]];
    for (let r = 0; r < 3; r++) {
      if (r === col) continue;
      const f = M[r][col] / M[col][col];
      for (let c = col; c < 4; c++) M[r][c] -= f * M[col][c];
    }
  }
  return [0, 1, 2].map((i) => M[i][3] / M[i][i]);
}

export function point(
  id: string,
  what: string,
  unit: string,
  clock: CalClock,
  values: number[],
  extra: Partial<PointMeasurement> = {},
): PointMeasurement {
  return { kind: 'point', id, what, unit, clock, ...extra, ...spread(values) };
}

export function constant(
  id: string,
  name: string,
  what: string,
  unit: string,
  clock: CalClock,
  values: number[],
  derivation: string,
  extra: Partial<ConstantMeasurement> = {},
): ConstantMeasurement {
  return { kind: 'constant', id, constant: name, inCostModel: false, what, unit, clock, derivation, ...extra, ...spread(values) };
}
