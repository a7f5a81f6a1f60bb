// Seeded PRNG for the simulator.
//
// Generator: xoshiro128** 1.1 — D. Blackman & S. Vigna, "Scrambled linear
// pseudorandom number generators" (2018, ACM TOMS 2021); reference C at
// https://prng.di.unimi.it/xoshiro128starstar.c. 128-bit state, period 2^128-1.
//
// Seeding: SplitMix32, the 32-bit analogue of SplitMix64 (G. Steele, D. Lea,
// C. Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014):
// a Weyl sequence (increment 0x9E3779B9, the golden ratio) whose output goes
// through the MurmurHash3 fmix32 finaliser. Four outputs fill the state.
//
// Everything is 32-bit integer math (Math.imul, >>> 0, shifts), so a seed gives
// the same stream on every platform and engine.

import { fmix32 } from '../util/fmix32.ts';

const GOLDEN = 0x9e3779b9;
const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;

/**
 * Fill a 4-word xoshiro state from a 32-bit SplitMix32 seed. The four outputs
 * are fmix32 of four distinct inputs, so at most one is zero: the state can
 * never be all-zero (the one forbidden xoshiro state).
 */
function splitMix32Fill(seed: number, out: Uint32Array): void {
  let x = seed >>> 0;
  for (let i = 0; i < 4; i++) {
    x = (x + GOLDEN) >>> 0;
    out[i] = fmix32(x);
  }
}

/** FNV-1a (32-bit) over UTF-16 code units; JS strings are UTF-16 everywhere. */
function hashString(str: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < str.length; i++) {
    h ^= str.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Reduce a seed to 32 bits for SplitMix32. Integers 0..2^32-1 are used as-is;
 * larger or negative safe integers fold their high word in (two's complement),
 * so e.g. 1 and 2^32+1 differ. Strings are hashed with FNV-1a.
 */
function seedToU32(seed: number | string): number {
  if (typeof seed === 'string') return hashString(seed);
  if (!Number.isSafeInteger(seed)) {
    throw new Error(`Rng seed must be a safe integer or a string, got ${seed}`);
  }
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_32) >>> 0;
  return (lo ^ fmix32(hi)) >>> 0;
}

/** Serialisable snapshot of an Rng; restore with Rng.fromState. */
export interface RngState {
  /** xoshiro128** state words s[0..3]. */
  s: number[];
  /** Fork key (see fork()); fixed at construction. */
  key: number[];
  /** Cached second normal deviate, or null when none (null, not NaN: JSON-safe). */
  spareNormal: number | null;
}

export class Rng {
  private readonly s = new Uint32Array(4);
  // Fork key: the state right after seeding. fork() derives children from it
  // (not from the moving state), so forking never depends on how many numbers
  // were drawn so far and never advances this stream.
  private readonly key = new Uint32Array(4);
  /**
   * Spare deviate from the polar normal method. Lives on the stream, not in a
   * module global, so independent streams stay independent and deterministic.
   * NaN means "no spare". Managed by distributions.normal().
   */
  spareNormal = NaN;

  constructor(seed: number | string) {
    splitMix32Fill(seedToU32(seed), this.s);
    this.key.set(this.s);
  }

  /** Restore an exact snapshot (or set raw state words, e.g. for test vectors). */
  static fromState(st: RngState): Rng {
    if (st.s.length !== 4 || st.key.length !== 4) throw new Error('RngState needs 4 state and 4 key words');
    if ((st.s[0] | st.s[1] | st.s[2] | st.s[3]) === 0) throw new Error('xoshiro128** state must not be all zero');
    const r = new Rng(0);
    for (let i = 0; i < 4; i++) {
      r.s[i] = st.s[i] >>> 0;
      r.key[i] = st.key[i] >>> 0;
    }
    r.spareNormal = typeof st.spareNormal === 'number' ? st.spareNormal : NaN;
    return r;
  }

  /** Next 32-bit unsigned integer, uniform on [0, 2^32). One xoshiro128** step. */
  nextU32(): number {
    const s = this.s;
    const s0 = s[0],
      s1 = s[1],
      s2 = s[2],
      s3 = s[3];
    // result = rotl(s1 * 5, 7) * 9
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ t;
    s[3] = (n3 << 11) | (n3 >>> 21);
    return result;
  }

  /**
   * Uniform double on [0, 1) with 32-bit resolution (k / 2^32), one draw.
   * 1 - next() is therefore in (0, 1], safe for log(). Use next53() when
   * finer resolution matters.
   */
  next(): number {
    return this.nextU32() / TWO_32;
  }

  /**
   * Uniform integer on [0, 2^31), one draw. Small enough to be a V8 small integer, so a hot
   * path that draws through a call (the rule walker's `-m statistic`) allocates nothing.
   */
  nextU31(): number {
    return this.nextU32() >>> 1;
  }

  /** Uniform double on [0, 1) with full 53-bit resolution (k / 2^53), two draws. */
  next53(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_53;
  }

  /**
   * Unbiased integer on [lo, hiExclusive) by rejection sampling. Bounds must be
   * safe integers with 0 < hiExclusive - lo <= 2^53.
   */
  int(lo: number, hiExclusive: number): number {
    const range = hiExclusive - lo;
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hiExclusive) || !(range > 0) || range > TWO_53) {
      throw new Error(`Rng.int needs integers lo < hiExclusive (range <= 2^53), got [${lo}, ${hiExclusive})`);
    }
    if (range <= TWO_32) {
      // Reject the top partial block so every residue is equally likely.
      const limit = TWO_32 - (TWO_32 % range);
      let r = this.nextU32();
      while (r >= limit) r = this.nextU32();
      return lo + (r % range);
    }
    const limit = TWO_53 - (TWO_53 % range);
    let r: number;
    do {
      r = (this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6);
    } while (r >= limit);
    return lo + (r % range);
  }

  /**
   * Independent deterministic child stream for `label`. Depends only on this
   * Rng's seed-derived key and the label, so it neither advances this stream
   * nor depends on how far it has advanced. a.fork('x').fork('y') differs from
   * a.fork('y').fork('x') and from a.fork('xy').
   */
  fork(label: string): Rng {
    const child = new Rng(0);
    // Each key lane absorbs the label through fmix32 with a lane-specific
    // offset, then the label length (so no label is a prefix-collision of another).
    for (let lane = 0; lane < 4; lane++) {
      let h = (this.key[lane] ^ Math.imul(GOLDEN, lane + 1)) >>> 0;
      for (let i = 0; i < label.length; i++) h = fmix32((h ^ label.charCodeAt(i)) + GOLDEN);
      h = fmix32(h ^ label.length);
      child.key[lane] = h;
    }
    // Mix lanes together through SplitMix32 so every state word depends on all key words.
    const tmp = new Uint32Array(4);
    splitMix32Fill(child.key[0] ^ child.key[1] ^ child.key[2] ^ child.key[3], tmp);
    for (let i = 0; i < 4; i++) child.s[i] = (child.key[i] ^ tmp[i]) >>> 0;
    if ((child.s[0] | child.s[1] | child.s[2] | child.s[3]) === 0) child.s[0] = GOLDEN; // astronomically unlikely
    child.key.set(child.s);
    return child;
  }

  /** Snapshot of the full generator state (JSON-serialisable). */
  state(): RngState {
    const spare = Number.isNaN(this.spareNormal) ? null : this.spareNormal;
    return { s: Array.from(this.s), key: Array.from(this.key), spareNormal: spare };
  }
}
