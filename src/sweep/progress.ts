// A one-line progress bar with ETA on a terminal; plain lines when output is not a TTY.
//
// The ETA weighs points by their expected cost when the caller gives weights (a sweep point
// costs roughly in proportion to its services): sweeps start the largest points first, so a
// plain per-point average would predict minutes for the quick points left at the end.
export class Progress {
  private done = 0;
  private failed = 0;
  private doneWeight = 0;
  private readonly started: number;
  private readonly tty: boolean;

  /** `totalWeight`: the sum of the weights the ticks will carry (default: one per point). */
  constructor(
    private readonly total: number,
    private readonly out: Pick<NodeJS.WriteStream, 'write' | 'isTTY'> = process.stderr,
    private readonly quiet = false,
    private readonly totalWeight = total,
    private readonly now: () => number = Date.now,
  ) {
    this.tty = Boolean(out.isTTY);
    this.started = now();
  }

  tick(label: string, ok: boolean, seconds: number, weight = 1): void {
    this.done++;
    this.doneWeight += weight;
    if (!ok) this.failed++;
    if (this.quiet) return;
    const elapsed = (this.now() - this.started) / 1000;
    const eta =
      this.done < this.total && this.doneWeight > 0 ? (elapsed / this.doneWeight) * Math.max(0, this.totalWeight - this.doneWeight) : 0;
    const pct = Math.round((100 * this.done) / this.total);
    const status = `${this.done}/${this.total} points (${pct}%)${this.failed ? `, ${this.failed} failed` : ''}, ${fmt(elapsed)} elapsed, ETA ${fmt(eta)}`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round((width * this.done) / this.total);
      this.out.write(
        `\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${status} — ${label} ${ok ? 'ok' : 'FAILED'} (${seconds.toFixed(1)} s)`,
      );
      if (this.done === this.total) this.out.write('\n');
    } else {
      this.out.write(`kpsim: ${label} ${ok ? 'ok' : 'FAILED'} in ${seconds.toFixed(1)} s — ${status}\n`);
    }
  }
}

function fmt(s: number): string {
  if (s < 60) return `${s.toFixed(0)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}
