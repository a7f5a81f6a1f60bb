// kube-proxy's sync loop for many nodes at once, on the simulated clock: the
// BoundedFrequencyRunner of pkg/util/async (a token bucket of `burst` runs refilled one per
// minInterval, a retry timer at lastRun + minInterval when a run is refused, a periodic run
// every maxInterval), with the proxier's function running synchronously inside it, so a run
// requested while one is in progress happens right after it ends.
//
// State is kept in typed arrays indexed by node so 5,000 nodes cost a few hundred KiB.

export interface RunnerConfig {
  /** minInterval (kube-proxy minSyncPeriod), ns; 0 disables the rate limiter. */
  minIntervalNs: number;
  /** maxInterval (syncPeriod here), ns. */
  maxIntervalNs: number;
  /** burstRuns (kube-proxy passes 2). */
  burst: number;
}

export class RunnerState {
  readonly tokens: Float64Array;
  readonly tokenTime: Float64Array;
  /** End of the last run (bfr.lastRun is taken after fn returns). */
  readonly lastEnd: Float64Array;
  /** When the timer fires next (a periodic or retry run), Infinity when stopped. */
  readonly timerAt: Float64Array;
  readonly timerGen: Uint32Array;
  /** A refused run cannot succeed before this time (the token bucket is short until then). */
  readonly refusedUntil: Float64Array;

  constructor(
    readonly n: number,
    readonly cfg: RunnerConfig,
  ) {
    this.tokens = new Float64Array(n).fill(cfg.burst);
    this.tokenTime = new Float64Array(n);
    this.lastEnd = new Float64Array(n);
    this.timerAt = new Float64Array(n).fill(Infinity);
    this.timerGen = new Uint32Array(n);
    this.refusedUntil = new Float64Array(n).fill(-Infinity);
  }

  /**
   * TryAccept of the token bucket at time t. On refusal returns the time the BFR's timer
   * would run it: lastRun + minInterval, or (when that has passed: the Go timer is reset to a
   * negative interval and fires at once, again and again) the moment a token is back.
   */
  tryAccept(i: number, t: number): number {
    const cfg = this.cfg;
    if (cfg.minIntervalNs <= 0) return -1;
    const tok = Math.min(cfg.burst, this.tokens[i] + (t - this.tokenTime[i]) / cfg.minIntervalNs);
    this.tokenTime[i] = t;
    if (tok >= 1 - 1e-9) {
      this.tokens[i] = tok - 1;
      return -1;
    }
    this.tokens[i] = tok;
    const tokenAt = t + Math.ceil((1 - tok) * cfg.minIntervalNs);
    this.refusedUntil[i] = tokenAt;
    const nextPossible = this.lastEnd[i] + cfg.minIntervalNs;
    return nextPossible > t ? nextPossible : tokenAt;
  }
}
