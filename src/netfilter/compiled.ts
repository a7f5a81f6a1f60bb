// A table compiled into flat typed arrays (rule-columns.ts); compiled-walk.ts walks it and gives
// exactly the readable walker's results (trace.ts) without allocating per rule or per packet.
//
// Each rule is one index r into the columns; the rules of chain c are r = chainStart[c] ..
// chainEnd[c]-1 (the chains need not be in rule order). Names and rule texts are needed only
// for paths and reports: a table compiled from a parsed ruleset keeps its Rule objects for
// them; a table a renderer built directly gives them on demand (TableText), so a large
// generated ruleset holds no object per rule. Rules with unsupported matches compile to
// F_NEVER. table-compile.ts compiles rules into this form.

import { formatIPv4 } from '../util/ipv4.ts';
import { type RuleColumns, T_DNAT, T_SNAT } from './rule-columns.ts';
import type * as K from './rule-columns.ts';
import type { PathStep, Verdict } from './trace.ts';
import type { Rule, TableName } from './types.ts';

export * from './rule-columns.ts';

const VERDICT_NAMES: Verdict[] = ['NONE', 'NONE', 'NONE', 'NONE', 'ACCEPT', 'DROP', 'REJECT', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT'];
const KIND_NAMES = [
  'none',
  'jump',
  'goto',
  'RETURN',
  'ACCEPT',
  'DROP',
  'REJECT',
  'DNAT',
  'SNAT',
  'MASQUERADE',
  'REDIRECT',
  'MARK',
  'LOG',
  'unknown',
];

export function verdictName(code: number): Verdict {
  return VERDICT_NAMES[code] ?? 'NONE';
}

/** Chain names and rule texts of a table, for paths and reports (never read by a walk). */
export interface TableText {
  chainName(c: number): string;
  /** Index of a chain by name; undefined when there is none. */
  chainIndex(name: string): number | undefined;
  /** The rule's arguments as written after `-A CHAIN `. */
  ruleText(r: number): string;
}

export interface ChainLayout {
  start: Int32Array;
  end: Int32Array;
  builtin: Uint8Array;
  /** 1 when the chain is built-in with policy DROP. */
  drop: Uint8Array;
}

export class CompiledTable {
  readonly chainCount: number;
  readonly ruleCount: number;
  readonly chainStart: Int32Array;
  readonly chainEnd: Int32Array;
  readonly chainBuiltin: Uint8Array;
  readonly chainDrop: Uint8Array;
  readonly flags: Uint32Array;
  readonly dstAddr: Int32Array;
  readonly dstMask: Int32Array;
  readonly srcAddr: Int32Array;
  readonly srcMask: Int32Array;
  readonly proto: Uint8Array;
  readonly dportProto: Uint8Array;
  readonly dportLo: Uint16Array;
  readonly dportHi: Uint16Array;
  readonly ctBits: Uint8Array;
  readonly statProb: Float64Array;
  readonly targetKind: Uint8Array;
  readonly targetA: Int32Array;
  readonly targetB: Int32Array;
  readonly aux: Int32Array;
  readonly extras: K.RuleExtras[];
  private ruleChain: Int32Array | null = null;

  constructor(
    readonly name: TableName,
    readonly rows: RuleColumns,
    chains: ChainLayout,
    readonly text: TableText,
  ) {
    this.chainCount = chains.start.length;
    this.ruleCount = rows.count;
    this.chainStart = chains.start;
    this.chainEnd = chains.end;
    this.chainBuiltin = chains.builtin;
    this.chainDrop = chains.drop;
    this.flags = rows.flags;
    this.dstAddr = rows.dstAddr;
    this.dstMask = rows.dstMask;
    this.srcAddr = rows.srcAddr;
    this.srcMask = rows.srcMask;
    this.proto = rows.proto;
    this.dportProto = rows.dportProto;
    this.dportLo = rows.dportLo;
    this.dportHi = rows.dportHi;
    this.ctBits = rows.ctBits;
    this.statProb = rows.statProb;
    this.targetKind = rows.targetKind;
    this.targetA = rows.targetA;
    this.targetB = rows.targetB;
    this.aux = rows.aux;
    this.extras = rows.extras;
  }

  chainName(c: number): string {
    return this.text.chainName(c);
  }

  /** Index of chain `name`, -1 when the table has none. */
  chainId(name: string): number {
    return this.text.chainIndex(name) ?? -1;
  }

  /** The chain rule r belongs to. */
  chainOf(r: number): number {
    if (this.ruleChain === null) {
      const rc = new Int32Array(this.ruleCount);
      for (let c = 0; c < this.chainCount; c++) rc.fill(c, this.chainStart[c], this.chainEnd[c]);
      this.ruleChain = rc;
    }
    return this.ruleChain[r];
  }

  /** DNAT/SNAT destination as written ("10.0.0.1:80"): the rule's own text, else ip[:port]. */
  natText(r: number): string {
    const kind = this.targetKind[r];
    if (kind !== T_DNAT && kind !== T_SNAT) return '';
    const a = this.aux[r];
    const own = a >= 0 ? this.extras[a].natText : null;
    if (own !== null) return own;
    const ip = formatIPv4(this.targetA[r] >>> 0);
    return this.targetB[r] === 0 ? ip : `${ip}:${this.targetB[r]}`;
  }

  /** What a terminal target puts in a walk's outputs: the DNAT destination, else the target's name. */
  outputText(r: number): string {
    return this.targetKind[r] === T_DNAT ? this.natText(r) : KIND_NAMES[this.targetKind[r]];
  }
}

export interface CompiledRuleset {
  tables: Map<string, CompiledTable>;
}

/** Where rule id `r` sits: table, chain, 1-based index, text. */
export function describeRule(ct: CompiledTable, r: number): PathStep {
  const c = ct.chainOf(r);
  return { table: ct.name, chain: ct.chainName(c), index: r - ct.chainStart[c] + 1, text: ct.text.ruleText(r) };
}

/** Names and texts of a table: the Rule objects it was compiled from, or texts on demand once released. */
export class RulesetText implements TableText {
  private lazyText: ((r: number) => string) | null = null;

  /**
   * @param index chain name -> index; built on first use when not given, unless `sortedFrom`
   *   says names[sortedFrom..] are in ascending order (finish(true)'s layout): those are found
   *   by binary search, so a table of 10^6 chains needs no map.
   */
  constructor(
    private readonly names: string[],
    private rules: Rule[],
    private index: Map<string, number> | null = null,
    private readonly sortedFrom = -1,
  ) {}

  /** Lets the Rule objects go: texts come from `ruleText` from now on. */
  release(ruleText: (r: number) => string): void {
    this.rules = [];
    this.lazyText = ruleText;
  }

  chainName(c: number): string {
    return this.names[c];
  }

  chainIndex(name: string): number | undefined {
    const names = this.names;
    if (this.index === null && this.sortedFrom >= 0) {
      for (let c = 0; c < this.sortedFrom; c++) if (names[c] === name) return c;
      let lo = this.sortedFrom,
        hi = names.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (names[mid] < name) lo = mid + 1;
        else hi = mid;
      }
      return lo < names.length && names[lo] === name ? lo : undefined;
    }
    this.index ??= new Map(names.map((n, i) => [n, i]));
    return this.index.get(name);
  }

  ruleText(r: number): string {
    return this.lazyText !== null ? this.lazyText(r) : this.rules[r].text;
  }
}

/**
 * A table compiled from objects its owner can build again (a renderer's output) need not keep
 * them: walks read only the columns, and paths get each rule's text from `ruleText`.
 */
export function releaseRuleObjects(ct: CompiledTable, ruleText: (r: number) => string): void {
  if (ct.text instanceof RulesetText) ct.text.release(ruleText);
}
