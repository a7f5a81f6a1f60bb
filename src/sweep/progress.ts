// A sweep's progress on stderr (results go to stdout): the plan at once, then the points in
// flight with their elapsed time and, as each ends, a line for it, with an ETA.
//
// On a terminal the last line is a live status, redrawn every second. When stderr is not a
// terminal (CI logs, pipes) nothing is printed but failures, unless progress is asked for
// ('on'): then plain lines, one per event, no redraws. 'off' (--quiet) prints nothing.
//
// The ETA weighs points by their expected cost when the caller gives weights (a sweep point
// costs roughly in proportion to its services): sweeps start the largest points first, so a
// plain per-point average would predict minutes for the quick points left at the end.

export type ProgressMode = 'auto' | 'on' | 'off';

type Out = Pick<NodeJS.WriteStream, 'write' | 'isTTY'> & { columns?: number };

export interface ProgressOptions {
  out?: Out;
  /** auto: live on a terminal, else failures only; on: always; off: nothing (default auto). */
  mode?: ProgressMode;
  /** The sum of the weights the ticks will carry (default: one per point). */
  totalWeight?: number;
  now?: () => number;
  /** Redraw period of the live status on a terminal, ms (default 1000; 0: no timer). */
  refreshMs?: number;
}

export class Progress {
  private done = 0;
  private failed = 0;
  private doneWeight = 0;
  private readonly started: number;
  private readonly out: Out;
  private readonly live: boolean;
  private readonly lines: boolean;
  private readonly failuresOnly: boolean;
  private readonly totalWeight: number;
  private readonly now: () => number;
  private readonly running = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly total: number,
    opts: ProgressOptions = {},
  ) {
    this.out = opts.out ?? process.stderr;
    const mode = opts.mode ?? 'auto';
    const tty = Boolean(this.out.isTTY);
    this.live = mode !== 'off' && tty;
    this.lines = mode === 'on' && !tty;
    this.failuresOnly = mode === 'auto' && !tty;
    this.totalWeight = opts.totalWeight ?? total;
    this.now = opts.now ?? Date.now;
    this.started = this.now();
    const refresh = opts.refreshMs ?? 1000;
    if (this.live && refresh > 0) {
      this.timer = setInterval(() => this.draw(), refresh);
      this.timer.unref();
    }
  }

  /** What is about to run ("18 points on 2 workers, largest first: ..."): printed at once. */
  plan(text: string): void {
    if (this.live || this.lines) this.print(`kpsim: ${text}`);
  }

  /** A point went to a worker. */
  start(label: string): void {
    this.running.set(label, this.now());
    if (this.live) this.draw();
  }

  /** A point ended (`label` as given to start(), or any label when start() was not used). */
  tick(label: string, ok: boolean, seconds: number, weight = 1, detail = ''): void {
    this.running.delete(label);
    this.done++;
    this.doneWeight += weight;
    if (!ok) this.failed++;
    const what = `${label}${detail ? `: ${detail}` : ''} ${ok ? 'ok' : 'FAILED'} in ${seconds.toFixed(1)} s`;
    if (this.live) this.print(`kpsim: ${what}`);
    else if (this.lines) this.print(`kpsim: ${what} — ${this.status()}`);
    else if (!ok && this.failuresOnly) this.print(`kpsim: ${what}`);
    if (this.done === this.total) this.stop();
  }

  /** Stops the live status (also when the last point ends); the status line stays on screen. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.live && !this.stopped) this.out.write(`\r\x1b[K${this.bar()} ${this.status()}\n`);
    this.stopped = true;
  }

  private stopped = false;

  /** "3/18 points (17%), 1 failed, 1m05s elapsed, ETA 2m10s; running: ipvs @ 50000 services (32s)". */
  status(): string {
    const elapsed = (this.now() - this.started) / 1000;
    const eta =
      this.done < this.total && this.doneWeight > 0 ? (elapsed / this.doneWeight) * Math.max(0, this.totalWeight - this.doneWeight) : null;
    const pct = this.total > 0 ? Math.round((100 * this.done) / this.total) : 100;
    const running = [...this.running].map(([label, t]) => `${label} (${fmt((this.now() - t) / 1000)})`);
    return `${this.done}/${this.total} points (${pct}%)${this.failed ? `, ${this.failed} failed` : ''}, ${fmt(elapsed)} elapsed${eta === null ? (this.done < this.total ? ', ETA after the first point' : '') : `, ETA ${fmt(eta)}`}${running.length ? `; running: ${running.join(', ')}` : ''}`;
  }

  private bar(): string {
    const width = 20;
    const filled = this.total > 0 ? Math.round((width * this.done) / this.total) : width;
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  }

  private draw(): void {
    if (!this.live || this.stopped) return;
    const line = `${this.bar()} ${this.status()}`;
    const cols = this.out.columns ?? 0;
    this.out.write(`\r\x1b[K${cols > 10 && line.length >= cols ? `${line.slice(0, cols - 2)}…` : line}`);
  }

  /** A permanent line; on a terminal it goes above the live status, which is redrawn under it. */
  private print(line: string): void {
    if (this.live) {
      this.out.write(`\r\x1b[K${line}\n`);
      if (this.done < this.total) this.draw();
    } else this.out.write(`${line}\n`);
  }
}

function fmt(s: number): string {
  if (s < 60) return `${s.toFixed(0)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}
