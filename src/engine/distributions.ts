// Random variates on top of Rng. All functions are deterministic given the
// Rng's state. They use Math.log/exp/sqrt, which V8 implements with fdlibm
// ports, so results are reproducible across platforms on the same Node version.
//
// Parameter checks are cheap comparisons and throw on invalid input; nothing is
// silently clamped.

import type { Rng } from './rng.ts';

/** Uniform real on [a, b) (32-bit resolution). */
export function uniform(rng: Rng, a: number, b: number): number {
  return a + (b - a) * rng.next();
}

/** Exponential with the given rate (mean 1/rate), by inverse CDF: -ln(1-U)/rate. */
export function exponential(rng: Rng, rate: number): number {
  if (!(rate > 0) || rate === Infinity) throw new Error(`exponential: rate must be finite and > 0, got ${rate}`);
  return -Math.log(1 - rng.next()) / rate; // 1 - U is in (0, 1]
}

// Below this mean use Knuth's multiplication method (expected lambda+1 draws);
// above it PTRS, whose cost is O(1) and which is valid for lambda >= 10.
const POISSON_KNUTH_MAX = 30;

/**
 * Poisson(lambda). Knuth's method (TAOCP vol. 2, 3.4.1) for lambda < 30;
 * otherwise PTRS, the transformed rejection method with squeeze of
 * W. Hörmann, "The transformed rejection method for generating Poisson random
 * variables", Insurance: Mathematics and Economics 12 (1993) 39–45.
 */
export function poisson(rng: Rng, lambda: number): number {
  if (!(lambda >= 0) || lambda === Infinity) throw new Error(`poisson: lambda must be finite and >= 0, got ${lambda}`);
  if (lambda === 0) return 0;
  if (lambda < POISSON_KNUTH_MAX) {
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = rng.next();
    while (p > limit) {
      k++;
      p *= rng.next();
    }
    return k;
  }
  return poissonPtrs(rng, lambda);
}

function poissonPtrs(rng: Rng, lambda: number): number {
  // Constants from Hörmann (1993), algorithm PTRS.
  const slam = Math.sqrt(lambda);
  const loglam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.next() - 0.5;
    const v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return k; // squeeze: accept without the log test
    if (k < 0 || (us < 0.013 && v > us)) continue;
    // log(v * invAlpha / (a/us^2 + b)) <= log(lambda^k e^-lambda / k!)
    if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logFactorial(k)) {
      return k;
    }
  }
}

const LOG_FACT_TABLE = (() => {
  const t = new Float64Array(16);
  for (let i = 2; i < t.length; i++) t[i] = t[i - 1] + Math.log(i);
  return t;
})();

/** ln(k!) — exact table for k < 16, Stirling series beyond (abs error < 1e-12). */
export function logFactorial(k: number): number {
  if (k < LOG_FACT_TABLE.length) return LOG_FACT_TABLE[k];
  const inv = 1 / k;
  const inv2 = inv * inv;
  return (k + 0.5) * Math.log(k) - k + 0.9189385332046728 /* ln(2π)/2 */ + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}

/**
 * Normal(mean, sd) by Marsaglia's polar method. Each accepted pair yields two
 * deviates; the spare is cached on the Rng (rng.spareNormal), never in module
 * state, so the sequence is a pure function of the stream.
 */
export function normal(rng: Rng, mean: number, sd: number): number {
  if (!(sd >= 0) || sd === Infinity) throw new Error(`normal: sd must be finite and >= 0, got ${sd}`);
  const spare = rng.spareNormal;
  if (!Number.isNaN(spare)) {
    rng.spareNormal = NaN;
    return mean + sd * spare;
  }
  let u: number, v: number, q: number;
  do {
    u = 2 * rng.next() - 1;
    v = 2 * rng.next() - 1;
    q = u * u + v * v;
  } while (q >= 1 || q === 0);
  const m = Math.sqrt((-2 * Math.log(q)) / q);
  rng.spareNormal = v * m;
  return mean + sd * (u * m);
}

/** Log-normal: exp(Normal(mu, sigma)); mu and sigma are of the underlying normal. */
export function logNormal(rng: Rng, mu: number, sigma: number): number {
  return Math.exp(normal(rng, mu, sigma));
}

/**
 * Zipf over ranks 1..n with P(k) ∝ k^-s (s >= 0; s = 0 is uniform).
 * Precomputes the CDF once (O(n) memory); sample() is a binary search,
 * O(log n), with no allocation.
 */
export class Zipf {
  readonly n: number;
  readonly s: number;
  /** Generalised harmonic number H(n, s) = Σ k^-s; P(1) = 1 / H. */
  readonly harmonic: number;
  private readonly cdf: Float64Array;

  constructor(n: number, s: number) {
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`Zipf: n must be an integer >= 1, got ${n}`);
    if (!(s >= 0) || s === Infinity) throw new Error(`Zipf: s must be finite and >= 0, got ${s}`);
    this.n = n;
    this.s = s;
    const cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 1; k <= n; k++) {
      sum += Math.pow(k, -s);
      cdf[k - 1] = sum;
    }
    for (let i = 0; i < n; i++) cdf[i] /= sum;
    cdf[n - 1] = 1; // guard against rounding: every u < 1 must find a rank
    this.harmonic = sum;
    this.cdf = cdf;
  }

  /** Probability of rank k. */
  pmf(k: number): number {
    return k >= 1 && k <= this.n ? Math.pow(k, -this.s) / this.harmonic : 0;
  }

  /** A rank in 1..n. */
  sample(rng: Rng): number {
    const u = rng.next();
    const cdf = this.cdf;
    // Smallest index i with cdf[i] > u.
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo + 1;
  }
}

/**
 * Weighted choice of an index 0..n-1 in O(1) by Vose's alias method
 * (M. D. Vose, "A linear algorithm for generating random numbers with a given
 * distribution", IEEE TSE 17(9), 1991). Weights need not be normalised.
 */
export class AliasTable {
  readonly n: number;
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    if (n === 0) throw new Error('AliasTable: need at least one weight');
    let total = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i];
      if (!(w >= 0) || w === Infinity) throw new Error(`AliasTable: weight ${i} must be finite and >= 0, got ${w}`);
      total += w;
    }
    if (!(total > 0)) throw new Error('AliasTable: weights must not all be zero');
    this.n = n;
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    const p = new Float64Array(n);
    const small = new Int32Array(n);
    const large = new Int32Array(n);
    let ns = 0;
    let nl = 0;
    for (let i = 0; i < n; i++) {
      p[i] = (weights[i] * n) / total;
      if (p[i] < 1) small[ns++] = i;
      else large[nl++] = i;
    }
    while (ns > 0 && nl > 0) {
      const l = small[--ns];
      const g = large[--nl];
      this.prob[l] = p[l];
      this.alias[l] = g;
      p[g] = p[g] + p[l] - 1;
      if (p[g] < 1) small[ns++] = g;
      else large[nl++] = g;
    }
    // Leftovers are 1 up to rounding error.
    while (nl > 0) this.prob[large[--nl]] = 1;
    while (ns > 0) this.prob[small[--ns]] = 1;
  }

  /** An index in 0..n-1 with probability weight[i] / Σ weights. Two draws. */
  sample(rng: Rng): number {
    const i = this.n === 1 ? 0 : rng.int(0, this.n);
    return rng.next() < this.prob[i] ? i : this.alias[i];
  }
}

/** Distribution of an integer quantity in a scenario (e.g. endpoints per service). */
export type DistributionSpec =
  | { kind: 'fixed'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'zipf'; n: number; s: number }
  | { kind: 'lognormal'; mu: number; sigma: number }
  | { kind: 'poisson'; mean: number };

function num(obj: Record<string, unknown>, field: string, where: string): number {
  const v = obj[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(`${where}: field '${field}' must be a finite number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function int(obj: Record<string, unknown>, field: string, where: string): number {
  const v = num(obj, field, where);
  if (!Number.isSafeInteger(v)) throw new Error(`${where}: field '${field}' must be an integer, got ${v}`);
  return v;
}

/**
 * Validate an untyped spec (e.g. parsed YAML) into a DistributionSpec.
 * A bare number is shorthand for { kind: 'fixed', value }. Unknown fields
 * are rejected to catch typos. Throws an Error naming the offending field.
 */
export function parseDistributionSpec(input: unknown, where = 'distribution'): DistributionSpec {
  if (typeof input === 'number') input = { kind: 'fixed', value: input };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new Error(`${where}: expected a number or an object with a 'kind', got ${JSON.stringify(input)}`);
  }
  const o = input as Record<string, unknown>;
  const allowed: Record<string, string[]> = {
    fixed: ['value'],
    uniform: ['min', 'max'],
    zipf: ['n', 's'],
    lognormal: ['mu', 'sigma'],
    poisson: ['mean'],
  };
  const kind = o.kind;
  if (typeof kind !== 'string' || !Object.hasOwn(allowed, kind)) {
    throw new Error(`${where}: 'kind' must be one of ${Object.keys(allowed).join(', ')}, got ${JSON.stringify(kind)}`);
  }
  for (const key of Object.keys(o)) {
    if (key !== 'kind' && !allowed[kind].includes(key)) throw new Error(`${where}: unknown field '${key}' for kind '${kind}'`);
  }
  let spec: DistributionSpec;
  switch (kind) {
    case 'fixed':
      spec = { kind, value: int(o, 'value', where) };
      break;
    case 'uniform':
      spec = { kind, min: int(o, 'min', where), max: int(o, 'max', where) };
      break;
    case 'zipf':
      spec = { kind, n: int(o, 'n', where), s: num(o, 's', where) };
      break;
    case 'lognormal':
      spec = { kind, mu: num(o, 'mu', where), sigma: num(o, 'sigma', where) };
      break;
    default:
      spec = { kind: 'poisson', mean: num(o, 'mean', where) };
  }
  checkSpec(spec, where);
  return spec;
}

function checkSpec(spec: DistributionSpec, where: string): void {
  const fail = (msg: string): never => {
    throw new Error(`${where} (${spec.kind}): ${msg}`);
  };
  switch (spec.kind) {
    case 'fixed':
      if (!Number.isSafeInteger(spec.value)) fail(`value must be an integer, got ${spec.value}`);
      break;
    case 'uniform':
      if (!Number.isSafeInteger(spec.min) || !Number.isSafeInteger(spec.max)) fail('min and max must be integers');
      if (spec.min > spec.max) fail(`min (${spec.min}) must be <= max (${spec.max})`);
      break;
    case 'zipf':
      if (!Number.isSafeInteger(spec.n) || spec.n < 1) fail(`n must be an integer >= 1, got ${spec.n}`);
      if (!(spec.s >= 0) || !Number.isFinite(spec.s)) fail(`s must be finite and >= 0, got ${spec.s}`);
      break;
    case 'lognormal':
      if (!Number.isFinite(spec.mu)) fail(`mu must be finite, got ${spec.mu}`);
      if (!(spec.sigma >= 0) || !Number.isFinite(spec.sigma)) fail(`sigma must be finite and >= 0, got ${spec.sigma}`);
      break;
    case 'poisson':
      if (!(spec.mean >= 0) || !Number.isFinite(spec.mean)) fail(`mean must be finite and >= 0, got ${spec.mean}`);
      break;
  }
}

/**
 * Integer sampler for a spec. Validates the spec first (throws on bad input).
 * Output per kind, with no clamping anywhere:
 * - fixed: always `value`.
 * - uniform: integer in [min, max], both inclusive, equally likely.
 * - zipf: rank in 1..n.
 * - lognormal: round(exp(Normal(mu, sigma))) to the nearest integer (halves
 *   round up); may be 0 when exp(...) < 0.5.
 * - poisson: Poisson(mean); may be 0.
 * Callers needing e.g. ">= 1" must enforce it themselves. Lognormal draws
 * beyond 2^53 (absurd parameters) are returned as-is, not exact integers.
 */
export function makeIntSampler(spec: DistributionSpec, rng: Rng): () => number {
  checkSpec(spec, 'distribution');
  switch (spec.kind) {
    case 'fixed': {
      const v = spec.value;
      return () => v;
    }
    case 'uniform': {
      const lo = spec.min;
      const hi = spec.max + 1;
      return () => rng.int(lo, hi);
    }
    case 'zipf': {
      const z = new Zipf(spec.n, spec.s);
      return () => z.sample(rng);
    }
    case 'lognormal': {
      const { mu, sigma } = spec;
      return () => Math.round(logNormal(rng, mu, sigma));
    }
    case 'poisson': {
      const mean = spec.mean;
      return () => poisson(rng, mean);
    }
  }
}
