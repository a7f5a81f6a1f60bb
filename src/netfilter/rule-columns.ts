// The rules of one compiled table as parallel typed arrays, one row per rule: what every rule
// may have is a column (flags, addresses, protocol, destination port, conntrack state, statistic
// probability, target); what few rules have (interfaces, source ports, marks, negated
// destinations, second matches of a kind, -m recent, -m set) is an `extras` object the row
// points to. About 48 bytes a rule, no object per rule.
//
// Addresses are int32 (the bits of the uint32 address): `(dst & mask) !== addr` then compares
// two small integers, and a rule without a -d match has mask 0 and address 0, so the walker's
// first test needs no flag (compiled-walk.ts).
import type { ImpureMatch } from './match-eval.ts';
import type { Match } from './types.ts';

export const F_NEVER = 1 << 0;
export const F_SRC = 1 << 1,
  F_SRC_NEG = 1 << 2;
/** A positive -d match, in the dstAddr/dstMask columns (the walker's first test reads them whatever the flags). */
export const F_DST = 1 << 3,
  /** A negated -d match, in extras. */
  F_DST_NEG = 1 << 4;
export const F_PROTO = 1 << 5,
  F_PROTO_NEG = 1 << 6;
/** Interfaces (extras; _WILD: a trailing '+'). */
export const F_IN = 1 << 7,
  F_IN_NEG = 1 << 8,
  F_IN_WILD = 1 << 9;
export const F_OUT = 1 << 10,
  F_OUT_NEG = 1 << 11,
  F_OUT_WILD = 1 << 12;
export const F_DPORT = 1 << 13,
  F_DPORT_NEG = 1 << 14;
/** Source ports (extras). */
export const F_SPORT = 1 << 15,
  F_SPORT_NEG = 1 << 16;
export const F_SRCLOCAL = 1 << 17,
  F_SRCLOCAL_NEG = 1 << 18;
export const F_DSTLOCAL = 1 << 19,
  F_DSTLOCAL_NEG = 1 << 20;
/** -m mark (extras). */
export const F_MARK = 1 << 21,
  F_MARK_NEG = 1 << 22;
export const F_CT = 1 << 23,
  F_CT_NEG = 1 << 24;
export const F_STAT = 1 << 25,
  F_STAT_NEG = 1 << 26;
export const F_SLOW_PURE = 1 << 27;
export const F_SLOW_IMPURE = 1 << 28;
/** Any test whose operands are in extras: the walker looks at the extras object only then. */
export const F_EXTRAS = F_DST_NEG | F_IN | F_OUT | F_SPORT | F_MARK | F_SLOW_PURE | F_SLOW_IMPURE;

/** Target kind codes; codes T_ACCEPT..T_REDIRECT are terminal and double as verdict codes. */
export const T_NONE = 0,
  T_JUMP = 1,
  T_GOTO = 2,
  T_RETURN = 3,
  T_ACCEPT = 4,
  T_DROP = 5,
  T_REJECT = 6,
  T_DNAT = 7,
  T_SNAT = 8,
  T_MASQUERADE = 9,
  T_REDIRECT = 10,
  T_MARK = 11,
  T_LOG = 12,
  T_UNKNOWN = 13;

/** The operands of a rule's rare tests and texts (one object per rule that has any). */
export interface RuleExtras {
  dstNegAddr: number;
  dstNegMask: number;
  inIface: string;
  outIface: string;
  sportLo: number;
  sportHi: number;
  /** Protocol of the -m tcp/udp/sctp module whose --sport this is. */
  sportProto: number;
  markValue: number;
  markMask: number;
  slowPure: Match[] | null;
  slowImpure: ImpureMatch[] | null;
  /** DNAT --to-destination / SNAT --to-source as written, when it is not plain ip:port. */
  natText: string | null;
}

function newExtras(): RuleExtras {
  return {
    dstNegAddr: 0,
    dstNegMask: 0,
    inIface: '',
    outIface: '',
    sportLo: 0,
    sportHi: 0,
    sportProto: 0,
    markValue: 0,
    markMask: 0,
    slowPure: null,
    slowImpure: null,
    natText: null,
  };
}

/** Typed-array constructors a column set allocates with (ordinary or shared buffers). */
export type ColumnAllocator = <T extends ColumnArray>(kind: ColumnKind<T>, length: number) => T;
type ColumnArray = Uint32Array | Int32Array | Uint16Array | Uint8Array | Float64Array;
type ColumnKind<T extends ColumnArray> = { new (length: number): T; new (buffer: ArrayBufferLike, offset?: number, length?: number): T };

export const plainAllocator: ColumnAllocator = (kind, length) => new kind(length);

/** Growable rows; a finished set is what a CompiledTable walks. */
export class RuleColumns {
  count = 0;
  flags!: Uint32Array;
  dstAddr!: Int32Array;
  dstMask!: Int32Array;
  srcAddr!: Int32Array;
  srcMask!: Int32Array;
  proto!: Uint8Array;
  dportProto!: Uint8Array;
  dportLo!: Uint16Array;
  dportHi!: Uint16Array;
  ctBits!: Uint8Array;
  statProb!: Float64Array;
  targetKind!: Uint8Array;
  /** Jump/goto: chain index (-1: no such chain); DNAT/SNAT: address; MARK: the bits xored. */
  targetA!: Int32Array;
  /** DNAT/SNAT/REDIRECT: port (0: keep the destination port); MARK: the bits cleared. */
  targetB!: Int32Array;
  /** Index into `extras`, -1 when the rule has none. */
  aux!: Int32Array;
  extras: RuleExtras[] = [];

  constructor(
    capacity = 64,
    private readonly alloc: ColumnAllocator = plainAllocator,
  ) {
    this.allocate(Math.max(1, capacity));
  }

  get capacity(): number {
    return this.flags.length;
  }

  /** Forget every row, keeping the arrays for the next build. */
  clear(): void {
    this.count = 0;
    this.extras = [];
  }

  /** A new row, all tests off and no target; returns its index. */
  add(): number {
    if (this.count === this.flags.length) this.allocate(this.flags.length * 2);
    const r = this.count++;
    this.flags[r] = 0;
    this.dstAddr[r] = this.dstMask[r] = this.srcAddr[r] = this.srcMask[r] = 0;
    this.proto[r] = this.dportProto[r] = this.ctBits[r] = this.targetKind[r] = 0;
    this.dportLo[r] = this.dportHi[r] = 0;
    this.statProb[r] = 0;
    this.targetA[r] = this.targetB[r] = 0;
    this.aux[r] = -1;
    return r;
  }

  /** Appends row `i` of `from` (its extras object moves along); returns the new index. */
  copyRow(from: RuleColumns, i: number): number {
    if (this.count === this.flags.length) this.allocate(this.flags.length * 2);
    const r = this.count++;
    this.flags[r] = from.flags[i];
    this.dstAddr[r] = from.dstAddr[i];
    this.dstMask[r] = from.dstMask[i];
    this.srcAddr[r] = from.srcAddr[i];
    this.srcMask[r] = from.srcMask[i];
    this.proto[r] = from.proto[i];
    this.dportProto[r] = from.dportProto[i];
    this.dportLo[r] = from.dportLo[i];
    this.dportHi[r] = from.dportHi[i];
    this.ctBits[r] = from.ctBits[i];
    this.statProb[r] = from.statProb[i];
    this.targetKind[r] = from.targetKind[i];
    this.targetA[r] = from.targetA[i];
    this.targetB[r] = from.targetB[i];
    const a = from.aux[i];
    if (a < 0) this.aux[r] = -1;
    else {
      this.aux[r] = this.extras.length;
      this.extras.push(from.extras[a]);
    }
    return r;
  }

  /** Appends rows lo..hi-1 of `from` (extras move along), column by column; returns the first new index. */
  copyRows(from: RuleColumns, lo: number, hi: number): number {
    const at = this.count;
    const n = hi - lo;
    if (at + n > this.flags.length) this.allocate(Math.max(at + n, this.flags.length * 2));
    this.flags.set(from.flags.subarray(lo, hi), at);
    this.dstAddr.set(from.dstAddr.subarray(lo, hi), at);
    this.dstMask.set(from.dstMask.subarray(lo, hi), at);
    this.srcAddr.set(from.srcAddr.subarray(lo, hi), at);
    this.srcMask.set(from.srcMask.subarray(lo, hi), at);
    this.proto.set(from.proto.subarray(lo, hi), at);
    this.dportProto.set(from.dportProto.subarray(lo, hi), at);
    this.dportLo.set(from.dportLo.subarray(lo, hi), at);
    this.dportHi.set(from.dportHi.subarray(lo, hi), at);
    this.ctBits.set(from.ctBits.subarray(lo, hi), at);
    this.statProb.set(from.statProb.subarray(lo, hi), at);
    this.targetKind.set(from.targetKind.subarray(lo, hi), at);
    this.targetA.set(from.targetA.subarray(lo, hi), at);
    this.targetB.set(from.targetB.subarray(lo, hi), at);
    for (let i = 0; i < n; i++) {
      const a = from.aux[lo + i];
      if (a < 0) this.aux[at + i] = -1;
      else {
        this.aux[at + i] = this.extras.length;
        this.extras.push(from.extras[a]);
      }
    }
    this.count = at + n;
    return at;
  }

  /** The extras object of row r, created on first use. */
  extra(r: number): RuleExtras {
    let a = this.aux[r];
    if (a < 0) {
      a = this.aux[r] = this.extras.length;
      this.extras.push(newExtras());
    }
    return this.extras[a];
  }

  // --- tests: the first of a kind goes to its column; each returns false when the rule has
  // one already, and the caller adds the match to the slow list with other().

  /** [!] -s/-d ADDR/MASK. */
  addr(r: number, src: boolean, negate: boolean, addr: number, mask: number): boolean {
    const f = this.flags[r];
    if (src) {
      if (f & F_SRC) return false;
      this.flags[r] = f | F_SRC | (negate ? F_SRC_NEG : 0);
      this.srcAddr[r] = addr & mask;
      this.srcMask[r] = mask;
    } else if (!negate && !(f & F_DST)) {
      this.flags[r] = f | F_DST;
      this.dstAddr[r] = addr & mask;
      this.dstMask[r] = mask;
    } else if (negate && !(f & F_DST_NEG)) {
      this.flags[r] = f | F_DST_NEG;
      const x = this.extra(r);
      x.dstNegAddr = addr & mask;
      x.dstNegMask = mask;
    } else return false;
    return true;
  }

  /** [!] -p N (N > 0; `-p all` is no test). */
  protocol(r: number, negate: boolean, code: number): boolean {
    if (this.flags[r] & F_PROTO) return false;
    this.flags[r] |= F_PROTO | (negate ? F_PROTO_NEG : 0);
    this.proto[r] = code;
    return true;
  }

  iface(r: number, input: boolean, negate: boolean, name: string, wildcard: boolean): boolean {
    if (this.flags[r] & (input ? F_IN : F_OUT)) return false;
    this.flags[r] |= input
      ? F_IN | (negate ? F_IN_NEG : 0) | (wildcard ? F_IN_WILD : 0)
      : F_OUT | (negate ? F_OUT_NEG : 0) | (wildcard ? F_OUT_WILD : 0);
    const x = this.extra(r);
    if (input) x.inIface = name;
    else x.outIface = name;
    return true;
  }

  /** -m tcp/udp/sctp [!] --dport/--sport LO[:HI]; only packets of protocol `proto` match. */
  port(r: number, dst: boolean, negate: boolean, proto: number, lo: number, hi: number): boolean {
    const f = this.flags[r];
    if (dst) {
      if (f & F_DPORT) return false;
      this.flags[r] = f | F_DPORT | (negate ? F_DPORT_NEG : 0);
      this.dportProto[r] = proto;
      this.dportLo[r] = lo;
      this.dportHi[r] = hi;
    } else {
      if (f & F_SPORT) return false;
      this.flags[r] = f | F_SPORT | (negate ? F_SPORT_NEG : 0);
      const x = this.extra(r);
      x.sportProto = proto;
      x.sportLo = lo;
      x.sportHi = hi;
    }
    return true;
  }

  /** -m addrtype [!] --src-type/--dst-type LOCAL. */
  addrtypeLocal(r: number, src: boolean, negate: boolean): boolean {
    if (this.flags[r] & (src ? F_SRCLOCAL : F_DSTLOCAL)) return false;
    this.flags[r] |= src ? F_SRCLOCAL | (negate ? F_SRCLOCAL_NEG : 0) : F_DSTLOCAL | (negate ? F_DSTLOCAL_NEG : 0);
    return true;
  }

  mark(r: number, negate: boolean, value: number, mask: number): boolean {
    if (this.flags[r] & F_MARK) return false;
    this.flags[r] |= F_MARK | (negate ? F_MARK_NEG : 0);
    const x = this.extra(r);
    x.markValue = value >>> 0;
    x.markMask = mask >>> 0;
    return true;
  }

  ctstate(r: number, negate: boolean, bits: number): boolean {
    if (this.flags[r] & F_CT) return false;
    this.flags[r] |= F_CT | (negate ? F_CT_NEG : 0);
    this.ctBits[r] = bits;
    return true;
  }

  /** A match the columns do not hold (a second one of a kind, -m set, -m physdev): the slow list. */
  other(r: number, m: Match): void {
    const x = this.extra(r);
    (x.slowPure ??= []).push(m);
    this.flags[r] |= F_SLOW_PURE;
  }

  /** The rule's impure matches (statistic, recent), in rule order: one statistic alone is a column. */
  impure(r: number, list: readonly ImpureMatch[]): void {
    if (list.length === 0) return;
    if (list.length === 1 && list[0].kind === 'statistic') {
      this.flags[r] |= F_STAT | (list[0].negate ? F_STAT_NEG : 0);
      this.statProb[r] = list[0].probability;
      return;
    }
    this.flags[r] |= F_SLOW_IMPURE;
    this.extra(r).slowImpure = list.slice();
  }

  /** -m statistic --mode random --probability P (the rule's only impure match). */
  statistic(r: number, probability: number): void {
    this.flags[r] |= F_STAT;
    this.statProb[r] = probability;
  }

  never(r: number): void {
    this.flags[r] |= F_NEVER;
  }

  target(r: number, kind: number, a = 0, b = 0): void {
    this.targetKind[r] = kind;
    this.targetA[r] = a;
    this.targetB[r] = b;
  }

  /**
   * Moves row i to row perm[i] (perm: a permutation of the rows), one column at a time so only
   * one spare column exists at once; extras are renumbered in the new row order.
   */
  permute(perm: Int32Array): void {
    const n = Math.max(1, this.count);
    const a = this.alloc;
    // One scatter function per element type: a single generic loop over five array types is megamorphic and slow.
    this.flags = scatterU32(perm, this.flags, a(Uint32Array, n));
    this.dstAddr = scatterI32(perm, this.dstAddr, a(Int32Array, n));
    this.dstMask = scatterI32(perm, this.dstMask, a(Int32Array, n));
    this.srcAddr = scatterI32(perm, this.srcAddr, a(Int32Array, n));
    this.srcMask = scatterI32(perm, this.srcMask, a(Int32Array, n));
    this.proto = scatterU8(perm, this.proto, a(Uint8Array, n));
    this.dportProto = scatterU8(perm, this.dportProto, a(Uint8Array, n));
    this.dportLo = scatterU16(perm, this.dportLo, a(Uint16Array, n));
    this.dportHi = scatterU16(perm, this.dportHi, a(Uint16Array, n));
    this.ctBits = scatterU8(perm, this.ctBits, a(Uint8Array, n));
    this.statProb = scatterF64(perm, this.statProb, a(Float64Array, n));
    this.targetKind = scatterU8(perm, this.targetKind, a(Uint8Array, n));
    this.targetA = scatterI32(perm, this.targetA, a(Int32Array, n));
    this.targetB = scatterI32(perm, this.targetB, a(Int32Array, n));
    this.aux = scatterI32(perm, this.aux, a(Int32Array, n));
    const extras: RuleExtras[] = [];
    for (let r = 0; r < this.count; r++) {
      const x = this.aux[r];
      if (x < 0) continue;
      this.aux[r] = extras.length;
      extras.push(this.extras[x]);
    }
    this.extras = extras;
  }

  /** Shrinks the arrays to the rows in use when more than a quarter is spare (a finished table keeps no slack). */
  trim(): void {
    if (this.flags.length > this.count + (this.count >> 2) + 16) this.allocate(this.count);
  }

  private allocate(cap: number): void {
    const n = Math.min(this.count, cap);
    const a = this.alloc;
    const grow = <T extends ColumnArray>(kind: ColumnKind<T>, old: T | undefined): T => {
      const next = a(kind, cap);
      if (old && n > 0) next.set(old.subarray(0, n));
      return next;
    };
    this.flags = grow(Uint32Array, this.flags);
    this.dstAddr = grow(Int32Array, this.dstAddr);
    this.dstMask = grow(Int32Array, this.dstMask);
    this.srcAddr = grow(Int32Array, this.srcAddr);
    this.srcMask = grow(Int32Array, this.srcMask);
    this.proto = grow(Uint8Array, this.proto);
    this.dportProto = grow(Uint8Array, this.dportProto);
    this.dportLo = grow(Uint16Array, this.dportLo);
    this.dportHi = grow(Uint16Array, this.dportHi);
    this.ctBits = grow(Uint8Array, this.ctBits);
    this.statProb = grow(Float64Array, this.statProb);
    this.targetKind = grow(Uint8Array, this.targetKind);
    this.targetA = grow(Int32Array, this.targetA);
    this.targetB = grow(Int32Array, this.targetB);
    this.aux = grow(Int32Array, this.aux);
  }
}

function scatterU32(perm: Int32Array, from: Uint32Array, to: Uint32Array): Uint32Array {
  for (let i = 0; i < perm.length; i++) to[perm[i]] = from[i];
  return to;
}
function scatterI32(perm: Int32Array, from: Int32Array, to: Int32Array): Int32Array {
  for (let i = 0; i < perm.length; i++) to[perm[i]] = from[i];
  return to;
}
function scatterU16(perm: Int32Array, from: Uint16Array, to: Uint16Array): Uint16Array {
  for (let i = 0; i < perm.length; i++) to[perm[i]] = from[i];
  return to;
}
function scatterU8(perm: Int32Array, from: Uint8Array, to: Uint8Array): Uint8Array {
  for (let i = 0; i < perm.length; i++) to[perm[i]] = from[i];
  return to;
}
function scatterF64(perm: Int32Array, from: Float64Array, to: Float64Array): Float64Array {
  for (let i = 0; i < perm.length; i++) to[perm[i]] = from[i];
  return to;
}
