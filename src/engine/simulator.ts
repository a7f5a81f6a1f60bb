// Discrete-event simulator core: a clock in integer nanoseconds, an event
// queue and a seeded Rng. Events are (time, kind, a, b) numbers; the handler
// dispatches on `kind`, so the hot loop allocates nothing.

import { EventQueue } from './event-queue.ts';
import { Rng } from './rng.ts';

/** Event handler: called once per event, after `sim.now` is set to its time. */
export type EventHandler = (sim: Simulator, kind: number, a: number, b: number) => void;

export interface SimulatorOptions {
  seed?: number | string;
  initialQueueCapacity?: number;
}

export class Simulator {
  private clock = 0;
  readonly queue: EventQueue;
  readonly rng: Rng;
  /** Total events handled across all run() calls. */
  eventsProcessed = 0;
  private stopRequested = false;

  /** Current simulated time, integer ns. Never decreases (read-only outside run()). */
  get now(): number {
    return this.clock;
  }

  constructor(opts: SimulatorOptions = {}) {
    this.queue = new EventQueue(opts.initialQueueCapacity);
    this.rng = new Rng(opts.seed ?? 0);
  }

  /** Schedule at absolute time (integer ns, >= now). */
  at(time: number, kind: number, a = 0, b = 0): void {
    if (time < this.clock) throw new Error(`Simulator.at: time ${time} is before now (${this.clock})`);
    this.queue.schedule(time, kind, a, b);
  }

  /** Schedule `delayNs` from now; the delay is rounded to the nearest integer ns. */
  after(delayNs: number, kind: number, a = 0, b = 0): void {
    if (!(delayNs >= 0)) throw new Error(`Simulator.after: delay must be >= 0 ns, got ${delayNs}`);
    this.queue.schedule(this.clock + Math.round(delayNs), kind, a, b);
  }

  /** Ask run() to return after the current handler call. */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Process events in (time, FIFO) order. Events at exactly `untilNs` are
   * processed. Returns the number of events handled by this call.
   *
   * Stops when: the queue is empty or the next event is after `untilNs` — then,
   * if `untilNs` is finite, `now` advances to `untilNs` (the simulated interval
   * has elapsed); or `maxEvents` were handled, or stop() was called — then
   * `now` stays at the last handled event's time, so run() can resume.
   */
  run(handler: EventHandler, untilNs = Infinity, maxEvents = Infinity): number {
    if (untilNs !== Infinity && (!Number.isSafeInteger(untilNs) || untilNs < this.clock)) {
      throw new Error(`Simulator.run: untilNs must be an integer >= now (${this.clock}), got ${untilNs}`);
    }
    if (!(maxEvents >= 0)) throw new Error(`Simulator.run: maxEvents must be >= 0, got ${maxEvents}`);
    const q = this.queue;
    this.stopRequested = false;
    let handled = 0;
    try {
      for (;;) {
        if (handled >= maxEvents || this.stopRequested) break;
        // Empty queue: peekTime() is Infinity, but so may be untilNs, hence size.
        if (q.size === 0 || q.peekTime() > untilNs) {
          if (untilNs !== Infinity) this.clock = untilNs;
          break;
        }
        q.pop();
        this.clock = q.time;
        handled++;
        handler(this, q.kind, q.a, q.b);
      }
    } finally {
      // Keep the counter right even if a handler throws.
      this.eventsProcessed += handled;
    }
    return handled;
  }
}

// Unit helpers: convert to integer ns (rounded to the nearest ns).
export const ns = (x: number): number => Math.round(x);
export const us = (x: number): number => Math.round(x * 1e3);
export const ms = (x: number): number => Math.round(x * 1e6);
export const s = (x: number): number => Math.round(x * 1e9);

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign
  μs: 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

// One "<number><unit>" term; the number may have a fraction ("1.5s", ".5ms").
const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parse a duration like "10s", "250ms", "1m30s", "5us", "100ns", "2h",
 * "1.5s" into integer ns (rounded to the nearest ns). Syntax follows Go's
 * time.ParseDuration: one or more number+unit terms, summed; "0" alone is
 * allowed. Negative values, missing units, unknown units and whitespace inside
 * the string are rejected with an Error.
 */
export function parseDuration(text: string): number {
  const str = text.trim();
  if (str === '0') return 0;
  if (str === '') throw new Error(`Invalid duration ${JSON.stringify(text)}: empty`);
  let total = 0;
  let pos = 0;
  while (pos < str.length) {
    TERM.lastIndex = pos;
    const m = TERM.exec(str);
    if (m === null) {
      throw new Error(
        `Invalid duration ${JSON.stringify(text)} at position ${pos}: expected <number><unit> with unit one of ns, us, ms, s, m, h (e.g. "1m30s")`,
      );
    }
    total += Math.round(Number(m[1]) * UNIT_NS[m[2]]);
    pos = TERM.lastIndex;
  }
  if (!Number.isSafeInteger(total)) throw new Error(`Invalid duration ${JSON.stringify(text)}: exceeds 2^53 ns`);
  return total;
}
