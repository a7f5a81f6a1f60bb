// Quantiles of many latency samples (changes x nodes can reach 10^8): exact while the sample
// fits in `exactLimit` values, then a log-bucketed histogram with 0.1% wide buckets (relative
// error of any quantile under 0.05%), so memory stays bounded and results deterministic.
import { quantile } from '../metrics/stats.ts';

const MIN_NS = 1e3; // values below 1 us share the first bucket
const LOG_STEP = Math.log(1.001);
const BUCKETS = Math.ceil(Math.log(1e18 / MIN_NS) / LOG_STEP) + 1;

export class QuantileSketch {
  private exact: Float64Array | null;
  private hist: Float64Array | null = null;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  constructor(private readonly exactLimit = 4_000_000) {
    this.exact = new Float64Array(Math.min(1024, Math.max(1, exactLimit)));
  }

  add(v: number): void {
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (this.exact) {
      if (this.count <= this.exactLimit) {
        if (this.count > this.exact.length) {
          const grown = new Float64Array(Math.min(this.exactLimit, this.exact.length * 2));
          grown.set(this.exact);
          this.exact = grown;
        }
        this.exact[this.count - 1] = v;
        return;
      }
      this.toHistogram();
    }
    this.hist![bucketOf(v)]++;
  }

  private toHistogram(): void {
    const h = new Float64Array(BUCKETS);
    const n = Math.min(this.count - 1, this.exact!.length);
    for (let i = 0; i < n; i++) h[bucketOf(this.exact![i])]++;
    this.hist = h;
    this.exact = null;
  }

  /** The exact sample, sorted (a typed-array copy; quantileSorted only indexes it). */
  private sorted(): number[] {
    return this.exact!.slice(0, this.count).sort() as unknown as number[];
  }

  get isExact(): boolean {
    return this.exact !== null;
  }

  get mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  /** Quantile p in [0, 1] (as simple-statistics' quantileSorted while exact); NaN when empty. */
  quantile(p: number): number {
    if (this.count === 0) return NaN;
    if (this.exact) return quantile(this.sorted(), p);
    const rank = p * (this.count - 1);
    let seen = 0;
    const h = this.hist!;
    for (let b = 0; b < h.length; b++) {
      seen += h[b];
      if (seen > rank) return Math.min(this.max, Math.max(this.min, bucketMid(b)));
    }
    return this.max;
  }

  /** Counts per bin (edges[i-1], edges[i]] (first bin from -Infinity, a last one above the top edge). */
  histogram(edges: readonly number[]): number[] {
    const counts = new Array<number>(edges.length + 1).fill(0);
    const bin = (v: number) => {
      let i = 0;
      while (i < edges.length && v > edges[i]) i++;
      return i;
    };
    if (this.exact) for (let i = 0; i < this.count; i++) counts[bin(this.exact[i])]++;
    else {
      const h = this.hist!;
      for (let b = 0; b < h.length; b++) if (h[b] > 0) counts[bin(bucketMid(b))] += h[b];
    }
    return counts;
  }

  quantiles(ps: readonly number[]): number[] {
    if (this.exact && this.count > 0) {
      const arr = this.sorted();
      return ps.map((p) => quantile(arr, p));
    }
    return ps.map((p) => this.quantile(p));
  }
}

function bucketOf(v: number): number {
  if (!(v > MIN_NS)) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log(v / MIN_NS) / LOG_STEP) + 1);
}

function bucketMid(b: number): number {
  if (b === 0) return MIN_NS;
  return MIN_NS * Math.exp((b - 0.5) * LOG_STEP);
}
