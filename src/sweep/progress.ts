// A one-line progress bar with ETA on a terminal; plain lines when output is not a TTY.
export class Progress {
  private done = 0;
  private failed = 0;
  private readonly started = Date.now();
  private readonly tty: boolean;

  constructor(private readonly total: number, private readonly out: NodeJS.WriteStream = process.stderr, private readonly quiet = false) {
    this.tty = Boolean(out.isTTY);
  }

  tick(label: string, ok: boolean, seconds: number): void {
    this.done++;
    if (!ok) this.failed++;
    if (this.quiet) return;
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = this.done < this.total ? (elapsed / this.done) * (this.total - this.done) : 0;
    const pct = Math.round((100 * this.done) / this.total);
    const status = `${this.done}/${this.total} points (${pct}%)${this.failed ? `, ${this.failed} failed` : ''}, ${fmt(elapsed)} elapsed, ETA ${fmt(eta)}`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round((width * this.done) / this.total);
      this.out.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${status} — ${label} ${ok ? 'ok' : 'FAILED'} (${seconds.toFixed(1)} s)`);
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
