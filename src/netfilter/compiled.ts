// A table compiled into flat typed arrays (rule-columns.ts); compiled-walk.ts walks it and gives
// exactly the readable walker's results (trace.ts) without allocating per rule or per packet.
//
// Each rule is one index r into the columns; the rules of chain c are r = chainStart[c] ..
// chainEnd[c]-1 (the chains need not be in rule order). Names and rule texts are needed only
// for paths and reports: a table compiled from a parsed ruleset keeps its Rule objects for
// them; a table a renderer built directly gives them on demand (TableText), so a large
// generated ruleset holds no object per rule. Rules with unsupported matches compile to
// F_NEVER. Jump loops are refused at compile time.

import { formatIPv4 } from '../util/ipv4.ts';
import { assertNoJumpLoops } from './lint.ts';
import type { ImpureMatch } from './match-eval.ts';
import { RuleColumns, T_DNAT, T_GOTO, T_JUMP, T_LOG, T_MARK, T_NONE, T_REDIRECT, T_SNAT, T_UNKNOWN } from './rule-columns.ts';
import * as K from './rule-columns.ts';
import type { PathStep, Verdict } from './trace.ts';
import type { Match, Rule, Ruleset, Table, TableName, Target } from './types.ts';
import { protoCode } from './values.ts';

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

/** Names and texts straight from a parsed table's objects. */
class RulesetText implements TableText {
  private readonly index: Map<string, number>;
  private lazyText: ((r: number) => string) | null = null;

  constructor(
    private readonly names: string[],
    private rules: Rule[],
  ) {
    this.index = new Map(names.map((n, i) => [n, i]));
  }

  /** Lets the Rule objects go: texts come from `ruleText` from now on. */
  release(ruleText: (r: number) => string): void {
    this.rules = [];
    this.lazyText = ruleText;
  }

  chainName(c: number): string {
    return this.names[c];
  }

  chainIndex(name: string): number | undefined {
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

/** Compiles one table; throws on a jump loop. */
export function compileTable(table: Table, opts: CompileOptions = {}): CompiledTable {
  if (opts.checkLoops !== false) assertNoJumpLoops(table);
  const nChains = table.chains.length;
  const n = table.chains.reduce((s, c) => s + c.rules.length, 0);
  const rows = new RuleColumns(n);
  const chains: ChainLayout = {
    start: new Int32Array(nChains),
    end: new Int32Array(nChains),
    builtin: new Uint8Array(nChains),
    drop: new Uint8Array(nChains),
  };
  const index = new Map(table.chains.map((c, i) => [c.name, i]));
  const rules: Rule[] = new Array(n);
  table.chains.forEach((c, ci) => {
    chains.start[ci] = rows.count;
    chains.builtin[ci] = c.builtin ? 1 : 0;
    chains.drop[ci] = c.builtin && c.policy === 'DROP' ? 1 : 0;
    for (const rule of c.rules) {
      const r = rows.add();
      rules[r] = rule;
      compileMatches(rows, r, rule.matches, rule.unsupported.length > 0);
      compileTarget(rows, r, rule.target, index);
    }
    chains.end[ci] = rows.count;
  });
  return new CompiledTable(
    table.name,
    rows,
    chains,
    new RulesetText(
      table.chains.map((c) => c.name),
      rules,
    ),
  );
}

// Scratch list reused across rules: most rules have no impure match, and a ruleset has 10^5-10^6 rules.
const impure: ImpureMatch[] = [];

function compileMatches(rows: RuleColumns, r: number, matches: Match[], unsupported: boolean): void {
  // A rule the model cannot evaluate never matches: it is only counted where it is reached.
  if (unsupported) return rows.never(r);
  impure.length = 0;
  for (const m of matches) {
    let stored = true;
    switch (m.kind) {
      case 'addr':
        stored = rows.addr(r, m.dir === 'src', m.negate, m.addr, m.mask);
        break;
      case 'proto':
        if (m.code === 0 && !m.negate) break; // -p all
        stored = m.code !== 0 && rows.protocol(r, m.negate, m.code);
        break;
      case 'iface':
        stored = rows.iface(r, m.dir === 'in', m.negate, m.name, m.wildcard);
        break;
      case 'port':
        stored = rows.port(r, m.dir === 'dst', m.negate, protoCode(m.proto), m.lo, m.hi);
        break;
      case 'addrtype':
        stored = rows.addrtypeLocal(r, m.dir === 'src', m.negate);
        break;
      case 'mark':
        stored = rows.mark(r, m.negate, m.value, m.mask);
        break;
      case 'ctstate':
        stored = rows.ctstate(r, m.negate, m.bits);
        break;
      case 'statistic':
      case 'recent':
        impure.push(m);
        break;
      case 'set':
      case 'physdev':
        stored = false;
        break;
      case 'comment':
      case 'unknown':
        break;
    }
    if (!stored) rows.other(r, m);
  }
  rows.impure(r, impure);
}

function compileTarget(rows: RuleColumns, r: number, t: Target, chains: Map<string, number>): void {
  switch (t.kind) {
    case 'none':
      return rows.target(r, T_NONE);
    case 'jump':
    case 'goto':
      return rows.target(r, t.kind === 'jump' ? T_JUMP : T_GOTO, chains.get(t.chain) ?? -1);
    case 'RETURN':
      return rows.target(r, K.T_RETURN);
    case 'ACCEPT':
      return rows.target(r, K.T_ACCEPT);
    case 'DROP':
      return rows.target(r, K.T_DROP);
    case 'REJECT':
      return rows.target(r, K.T_REJECT);
    case 'DNAT':
    case 'SNAT': {
      rows.target(r, t.kind === 'DNAT' ? T_DNAT : T_SNAT, t.ip, t.port);
      const text = t.kind === 'DNAT' ? t.toDestination : t.toSource;
      const plain = t.port === 0 ? formatIPv4(t.ip) : `${formatIPv4(t.ip)}:${t.port}`;
      if (text !== plain) rows.extra(r).natText = text;
      return;
    }
    case 'MASQUERADE':
      return rows.target(r, K.T_MASQUERADE);
    case 'REDIRECT':
      // --to-ports N (a single port): where the packet goes on this host.
      return rows.target(r, T_REDIRECT, 0, t.toPorts !== null && /^\d+$/.test(t.toPorts) ? Number(t.toPorts) : 0);
    case 'MARK':
      return rows.target(r, T_MARK, t.xor, t.clear);
    case 'LOG':
      return rows.target(r, T_LOG);
    case 'unknown':
      return rows.target(r, T_UNKNOWN);
  }
}

/** Where rule id `r` sits: table, chain, 1-based index, text. */
export function describeRule(ct: CompiledTable, r: number): PathStep {
  const c = ct.chainOf(r);
  return { table: ct.name, chain: ct.chainName(c), index: r - ct.chainStart[c] + 1, text: ct.text.ruleText(r) };
}
