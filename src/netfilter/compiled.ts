// A table compiled into flat typed arrays; compiled-walk.ts walks it and gives exactly the
// readable walker's results (trace.ts) without allocating per rule or per packet.
//
// Each rule is one index r into parallel arrays. The first match of each common kind is
// compiled into the arrays (flag bits say which are present); any further or rarer match
// goes to a per-rule "slow" list evaluated by the same functions the readable walker uses.
// Rules with unsupported matches compile to F_NEVER. Jump loops are refused at compile time.

import { assertNoJumpLoops } from './lint.ts';
import type { ImpureMatch } from './match-eval.ts';
import type { PathStep, Verdict } from './trace.ts';
import type { Match, Rule, Ruleset, Table, TableName, Target } from './types.ts';
import { protoCode } from './values.ts';

export const F_NEVER = 1 << 0;
export const F_SRC = 1 << 1,
  F_SRC_NEG = 1 << 2;
export const F_DST = 1 << 3,
  F_DST_NEG = 1 << 4;
export const F_PROTO = 1 << 5,
  F_PROTO_NEG = 1 << 6;
export const F_IN = 1 << 7,
  F_IN_NEG = 1 << 8,
  F_IN_WILD = 1 << 9;
export const F_OUT = 1 << 10,
  F_OUT_NEG = 1 << 11,
  F_OUT_WILD = 1 << 12;
export const F_DPORT = 1 << 13,
  F_DPORT_NEG = 1 << 14;
export const F_SPORT = 1 << 15,
  F_SPORT_NEG = 1 << 16;
export const F_SRCLOCAL = 1 << 17,
  F_SRCLOCAL_NEG = 1 << 18;
export const F_DSTLOCAL = 1 << 19,
  F_DSTLOCAL_NEG = 1 << 20;
export const F_MARK = 1 << 21,
  F_MARK_NEG = 1 << 22;
export const F_CT = 1 << 23,
  F_CT_NEG = 1 << 24;
export const F_STAT = 1 << 25,
  F_STAT_NEG = 1 << 26;
export const F_SLOW_PURE = 1 << 27;
export const F_SLOW_IMPURE = 1 << 28;

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

const VERDICT_NAMES: Verdict[] = ['NONE', 'NONE', 'NONE', 'NONE', 'ACCEPT', 'DROP', 'REJECT', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT'];

export function verdictName(code: number): Verdict {
  return VERDICT_NAMES[code] ?? 'NONE';
}

export interface CompiledTable {
  name: TableName;
  chainNames: string[];
  chainIndex: Map<string, number>;
  /** Rules of chain c are ids chainStart[c] .. chainEnd[c]-1. */
  chainStart: Int32Array;
  chainEnd: Int32Array;
  chainBuiltin: Uint8Array;
  /** 1 when the chain is built-in with policy DROP. */
  chainDrop: Uint8Array;
  ruleChain: Int32Array;
  /** 1-based position in its chain. */
  ruleIndex: Int32Array;
  /** The rules themselves: their text is read only for paths (rendered rules build it lazily). */
  rules: Rule[];
  flags: Uint32Array;
  srcAddr: Uint32Array;
  srcMask: Uint32Array;
  dstAddr: Uint32Array;
  dstMask: Uint32Array;
  proto: Uint8Array;
  inIface: string[];
  outIface: string[];
  dportProto: Uint8Array;
  dportLo: Uint16Array;
  dportHi: Uint16Array;
  sportProto: Uint8Array;
  sportLo: Uint16Array;
  sportHi: Uint16Array;
  markValue: Uint32Array;
  markMask: Uint32Array;
  ctBits: Uint8Array;
  statProb: Float64Array;
  slowPure: (Match[] | null)[];
  slowImpure: (ImpureMatch[] | null)[];
  targetKind: Uint8Array;
  /** Chain index of a jump/goto target, -1 when the chain does not exist. */
  jumpChain: Int32Array;
  markXor: Uint32Array;
  markClear: Uint32Array;
  dnatIp: Uint32Array;
  /** DNAT's port, or REDIRECT's --to-ports; 0 = keep the destination port. */
  dnatPort: Uint16Array;
  /** Per rule, the `outputs` text of its terminal target (DNAT destination or target name). */
  outputText: string[];
  /** Per rule, the DNAT `--to-destination` or SNAT `--to-source` text ('' otherwise). */
  natText: string[];
}

export interface CompiledRuleset {
  tables: Map<string, CompiledTable>;
}

export interface CompileOptions {
  /**
   * Check for jump loops first (default true). Only rulesets built by a renderer that cannot
   * produce loops (kube-proxy's chain layout is a DAG by construction) skip the check.
   */
  checkLoops?: boolean;
}

export function compileRuleset(rs: Ruleset, opts: CompileOptions = {}): CompiledRuleset {
  return { tables: new Map(rs.tables.map((t) => [t.name, compileTable(t, opts)])) };
}

/** Compiles one table; throws on a jump loop. */
export function compileTable(table: Table, opts: CompileOptions = {}): CompiledTable {
  if (opts.checkLoops !== false) assertNoJumpLoops(table);
  const nChains = table.chains.length;
  const n = table.chains.reduce((s, c) => s + c.rules.length, 0);
  const ct: CompiledTable = {
    name: table.name,
    chainNames: table.chains.map((c) => c.name),
    chainIndex: new Map(table.chains.map((c, i) => [c.name, i])),
    chainStart: new Int32Array(nChains),
    chainEnd: new Int32Array(nChains),
    chainBuiltin: new Uint8Array(nChains),
    chainDrop: new Uint8Array(nChains),
    ruleChain: new Int32Array(n),
    ruleIndex: new Int32Array(n),
    rules: new Array(n),
    flags: new Uint32Array(n),
    srcAddr: new Uint32Array(n),
    srcMask: new Uint32Array(n),
    dstAddr: new Uint32Array(n),
    dstMask: new Uint32Array(n),
    proto: new Uint8Array(n),
    inIface: new Array(n).fill(''),
    outIface: new Array(n).fill(''),
    dportProto: new Uint8Array(n),
    dportLo: new Uint16Array(n),
    dportHi: new Uint16Array(n),
    sportProto: new Uint8Array(n),
    sportLo: new Uint16Array(n),
    sportHi: new Uint16Array(n),
    markValue: new Uint32Array(n),
    markMask: new Uint32Array(n),
    ctBits: new Uint8Array(n),
    statProb: new Float64Array(n),
    slowPure: new Array(n).fill(null),
    slowImpure: new Array(n).fill(null),
    targetKind: new Uint8Array(n),
    jumpChain: new Int32Array(n).fill(-1),
    markXor: new Uint32Array(n),
    markClear: new Uint32Array(n),
    dnatIp: new Uint32Array(n),
    dnatPort: new Uint16Array(n),
    outputText: new Array(n).fill(''),
    natText: new Array(n).fill(''),
  };
  let r = 0;
  table.chains.forEach((c, ci) => {
    ct.chainStart[ci] = r;
    ct.chainBuiltin[ci] = c.builtin ? 1 : 0;
    ct.chainDrop[ci] = c.builtin && c.policy === 'DROP' ? 1 : 0;
    c.rules.forEach((rule, i) => {
      ct.ruleChain[r] = ci;
      ct.ruleIndex[r] = i + 1;
      ct.rules[r] = rule;
      compileMatches(ct, r, rule.matches, rule.unsupported.length > 0);
      compileTarget(ct, r, rule.target);
      r++;
    });
    ct.chainEnd[ci] = r;
  });
  return ct;
}

// Scratch lists reused across rules: most rules need neither, and a ruleset has 10^5-10^6 rules.
const slowPure: Match[] = [];
const impure: ImpureMatch[] = [];

function compileMatches(ct: CompiledTable, r: number, matches: Match[], unsupported: boolean): void {
  let f = unsupported ? F_NEVER : 0;
  slowPure.length = 0;
  impure.length = 0;
  for (const m of matches) {
    switch (m.kind) {
      case 'addr': {
        const src = m.dir === 'src';
        if (f & (src ? F_SRC : F_DST)) {
          slowPure.push(m);
          break;
        }
        f |= src ? F_SRC | (m.negate ? F_SRC_NEG : 0) : F_DST | (m.negate ? F_DST_NEG : 0);
        (src ? ct.srcAddr : ct.dstAddr)[r] = m.addr;
        (src ? ct.srcMask : ct.dstMask)[r] = m.mask;
        break;
      }
      case 'proto':
        if (m.code === 0 && !m.negate) break; // -p all
        if (f & F_PROTO || m.code === 0) {
          slowPure.push(m);
          break;
        }
        f |= F_PROTO | (m.negate ? F_PROTO_NEG : 0);
        ct.proto[r] = m.code;
        break;
      case 'iface': {
        const isIn = m.dir === 'in';
        if (f & (isIn ? F_IN : F_OUT)) {
          slowPure.push(m);
          break;
        }
        f |= isIn
          ? F_IN | (m.negate ? F_IN_NEG : 0) | (m.wildcard ? F_IN_WILD : 0)
          : F_OUT | (m.negate ? F_OUT_NEG : 0) | (m.wildcard ? F_OUT_WILD : 0);
        (isIn ? ct.inIface : ct.outIface)[r] = m.name;
        break;
      }
      case 'port': {
        const dst = m.dir === 'dst';
        if (f & (dst ? F_DPORT : F_SPORT)) {
          slowPure.push(m);
          break;
        }
        f |= dst ? F_DPORT | (m.negate ? F_DPORT_NEG : 0) : F_SPORT | (m.negate ? F_SPORT_NEG : 0);
        (dst ? ct.dportProto : ct.sportProto)[r] = protoCode(m.proto);
        (dst ? ct.dportLo : ct.sportLo)[r] = m.lo;
        (dst ? ct.dportHi : ct.sportHi)[r] = m.hi;
        break;
      }
      case 'addrtype': {
        const src = m.dir === 'src';
        if (f & (src ? F_SRCLOCAL : F_DSTLOCAL)) {
          slowPure.push(m);
          break;
        }
        f |= src ? F_SRCLOCAL | (m.negate ? F_SRCLOCAL_NEG : 0) : F_DSTLOCAL | (m.negate ? F_DSTLOCAL_NEG : 0);
        break;
      }
      case 'mark':
        if (f & F_MARK) {
          slowPure.push(m);
          break;
        }
        f |= F_MARK | (m.negate ? F_MARK_NEG : 0);
        ct.markValue[r] = m.value;
        ct.markMask[r] = m.mask;
        break;
      case 'ctstate':
        if (f & F_CT) {
          slowPure.push(m);
          break;
        }
        f |= F_CT | (m.negate ? F_CT_NEG : 0);
        ct.ctBits[r] = m.bits;
        break;
      case 'statistic':
      case 'recent':
        impure.push(m);
        break;
      case 'set':
      case 'physdev':
        slowPure.push(m);
        break;
      case 'comment':
      case 'unknown':
        break;
    }
  }
  if (slowPure.length > 0) {
    f |= F_SLOW_PURE;
    ct.slowPure[r] = slowPure.slice();
  }
  if (impure.length === 1 && impure[0].kind === 'statistic') {
    f |= F_STAT | (impure[0].negate ? F_STAT_NEG : 0);
    ct.statProb[r] = impure[0].probability;
  } else if (impure.length > 0) {
    f |= F_SLOW_IMPURE;
    ct.slowImpure[r] = impure.slice();
  }
  ct.flags[r] = f;
}

function compileTarget(ct: CompiledTable, r: number, t: Target): void {
  switch (t.kind) {
    case 'none':
      ct.targetKind[r] = T_NONE;
      break;
    case 'jump':
    case 'goto':
      ct.targetKind[r] = t.kind === 'jump' ? T_JUMP : T_GOTO;
      ct.jumpChain[r] = ct.chainIndex.get(t.chain) ?? -1;
      break;
    case 'RETURN':
      ct.targetKind[r] = T_RETURN;
      break;
    case 'ACCEPT':
      ct.targetKind[r] = T_ACCEPT;
      break;
    case 'DROP':
      ct.targetKind[r] = T_DROP;
      break;
    case 'REJECT':
      ct.targetKind[r] = T_REJECT;
      break;
    case 'DNAT':
      ct.targetKind[r] = T_DNAT;
      ct.dnatIp[r] = t.ip;
      ct.dnatPort[r] = t.port;
      break;
    case 'SNAT':
      ct.targetKind[r] = T_SNAT;
      break;
    case 'MASQUERADE':
      ct.targetKind[r] = T_MASQUERADE;
      break;
    case 'REDIRECT':
      ct.targetKind[r] = T_REDIRECT;
      // --to-ports N (a single port): where the packet goes on this host.
      if (t.toPorts !== null && /^\d+$/.test(t.toPorts)) ct.dnatPort[r] = Number(t.toPorts);
      break;
    case 'MARK':
      ct.targetKind[r] = T_MARK;
      ct.markXor[r] = t.xor;
      ct.markClear[r] = t.clear;
      break;
    case 'LOG':
      ct.targetKind[r] = T_LOG;
      break;
    case 'unknown':
      ct.targetKind[r] = T_UNKNOWN;
      break;
  }
  ct.outputText[r] = t.kind === 'DNAT' ? t.toDestination : t.kind;
  ct.natText[r] = t.kind === 'DNAT' ? t.toDestination : t.kind === 'SNAT' ? t.toSource : '';
}

/** Where rule id `r` sits: table, chain, 1-based index, text. */
export function describeRule(ct: CompiledTable, r: number): PathStep {
  return { table: ct.name, chain: ct.chainNames[ct.ruleChain[r]], index: ct.ruleIndex[r], text: ct.rules[r].text };
}
