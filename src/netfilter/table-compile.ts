// Compiling rules into a table's columns (compiled.ts). TableCompiler takes rules one at a time
// in any chain order and lets them go: a renderer can stream 10^6 rules through it without
// ever holding them as objects together. finish() then lays the rows out chain by chain, the
// order compileTable gives the same table, so both paths give identical columns.
import { formatIPv4 } from '../util/ipv4.ts';
import { CompiledTable, type CompiledRuleset, RulesetText } from './compiled.ts';
import { assertNoJumpLoops } from './lint.ts';
import type { ImpureMatch } from './match-eval.ts';
import { RuleColumns, T_DNAT, T_GOTO, T_JUMP, T_LOG, T_MARK, T_NONE, T_REDIRECT, T_SNAT, T_UNKNOWN } from './rule-columns.ts';
import * as K from './rule-columns.ts';
import type { Match, Rule, Ruleset, Table, TableName, Target } from './types.ts';
import { protoCode } from './values.ts';

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

/** Compiles one table, chains in the table's order; throws on a jump loop. */
export function compileTable(table: Table, opts: CompileOptions = {}): CompiledTable {
  if (opts.checkLoops !== false) assertNoJumpLoops(table);
  const n = table.chains.reduce((s, c) => s + c.rules.length, 0);
  const tc = new TableCompiler(table.name, n);
  const rules: Rule[] = [];
  for (const c of table.chains) tc.chain(c.name, c.builtin, c.builtin && c.policy === 'DROP');
  for (const c of table.chains) {
    const id = tc.chain(c.name);
    for (const rule of c.rules) {
      tc.add(id, rule);
      rules.push(rule);
    }
  }
  return tc.finish(false, rules);
}

/** Where a chain is, per chain id: 0 only jumped to, else declared (+1 built-in, +2 policy DROP). */
const REFERENCED = 0,
  DECLARED = 1,
  BUILTIN = 2,
  DROP = 4;

export class TableCompiler {
  private readonly rows: RuleColumns;
  /** Chain id of each row, in arrival order. */
  private rowChain: Int32Array;
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly kind: number[] = [];
  private readonly rowsIn: number[] = [];
  /** Declared chain ids in declaration order. */
  private readonly declared: number[] = [];
  private readonly lookup = (name: string) => this.id(name);

  constructor(
    readonly name: TableName,
    capacity = 1024,
  ) {
    this.rows = new RuleColumns(capacity);
    this.rowChain = new Int32Array(Math.max(1, capacity));
  }

  /** Declares a chain (a second declaration changes nothing); returns its id for add(). */
  chain(name: string, builtin = false, policyDrop = false): number {
    const id = this.id(name);
    if (this.kind[id] === REFERENCED) {
      this.kind[id] = DECLARED | (builtin ? BUILTIN : 0) | (policyDrop ? DROP : 0);
      this.declared.push(id);
    }
    return id;
  }

  /** Compiles `rule` as the next rule of chain `id` (see chain()). */
  add(id: number, rule: Pick<Rule, 'matches' | 'target' | 'unsupported'>): void {
    const rows = this.rows;
    const r = rows.add();
    if (r >= this.rowChain.length) {
      const next = new Int32Array(rows.capacity);
      next.set(this.rowChain);
      this.rowChain = next;
    }
    this.rowChain[r] = id;
    this.rowsIn[id]++;
    compileMatches(rows, r, rule.matches, rule.unsupported.length > 0);
    // Jumps hold the target's chain id until finish() knows the chain order.
    compileTarget(rows, r, rule.target, this.lookup);
  }

  /**
   * The finished table: built-in chains first and the others by name when `sortByName` (as
   * iptables-save lists them), else in declaration order; each chain's rules in arrival order.
   * `rules` are the Rule objects in that final order, if kept for texts (else see releaseRuleObjects).
   */
  finish(sortByName: boolean, rules: Rule[] = []): CompiledTable {
    const { names, kind, rows } = this;
    let order = this.declared;
    if (sortByName) {
      const { builtins, user } = this.byName();
      order = [...builtins, ...user];
    }
    const nChains = order.length;
    const final = new Int32Array(names.length).fill(-1);
    const start = new Int32Array(nChains);
    const end = new Int32Array(nChains);
    const builtin = new Uint8Array(nChains);
    const drop = new Uint8Array(nChains);
    let at = 0;
    for (let k = 0; k < nChains; k++) {
      const id = order[k];
      final[id] = k;
      start[k] = at;
      end[k] = at += this.rowsIn[id];
      builtin[k] = kind[id] & BUILTIN ? 1 : 0;
      drop[k] = kind[id] & DROP ? 1 : 0;
    }
    const n = rows.count;
    const perm = new Int32Array(n);
    const next = start.slice();
    let identity = true;
    for (let i = 0; i < n; i++) {
      const to = next[final[this.rowChain[i]]]++;
      perm[i] = to;
      if (to !== i) identity = false;
    }
    this.rowChain = new Int32Array(1);
    if (identity) rows.trim();
    else rows.permute(perm);
    for (let r = 0; r < n; r++) {
      const t = rows.targetKind[r];
      if (t === T_JUMP || t === T_GOTO) rows.targetA[r] = final[rows.targetA[r]];
    }
    // The name index is reused: ids become chain indexes, names only jumped to go.
    for (const [name, id] of this.ids) {
      if (final[id] < 0) this.ids.delete(name);
      else this.ids.set(name, final[id]);
    }
    const text = new RulesetText(
      order.map((id) => names[id]),
      rules,
      this.ids,
    );
    return new CompiledTable(this.name, rows, { start, end, builtin, drop }, text);
  }

  /**
   * The table `base` would become with this compiler's chains written over it: base's chains
   * minus those `drop` names or this compiler declares, plus this compiler's, laid out as
   * finish(true) lays out the same chains compiled whole (built-ins first, then by name), so
   * one changed chain costs a copy of the others' rows, not their compilation. Both tables'
   * built-in chains must be the same; a jump to a chain neither table declares goes nowhere (-1),
   * as in finish().
   */
  finishOnto(base: CompiledTable, drop: (name: string) => boolean): CompiledTable {
    const { names, kind } = this;
    const { builtins, user: fresh } = this.byName();
    const isFresh = (name: string) => {
      const id = this.ids.get(name);
      return id !== undefined && (kind[id] & DECLARED) !== 0;
    };
    // Base's chains in its order (built-ins first, the rest sorted) that survive.
    const kept: number[] = [];
    let baseBuiltins = 0;
    for (let c = 0; c < base.chainCount; c++) {
      const name = base.chainName(c);
      if (base.chainBuiltin[c]) {
        baseBuiltins++;
        if (!isFresh(name)) throw new Error(`finishOnto: built-in chain ${name} of ${this.name} is not declared again`);
      } else if (!isFresh(name) && !drop(name)) kept.push(c);
    }
    if (baseBuiltins !== builtins.length) throw new Error(`finishOnto: ${this.name} has other built-in chains than its base`);
    // Merge the two sorted lists: sources are fresh ids (>= 0) and base chains (-1 - c).
    const order: number[] = [...builtins];
    let i = 0,
      k = 0;
    while (i < fresh.length || k < kept.length) {
      const takeFresh = k === kept.length || (i < fresh.length && names[fresh[i]] < base.chainName(kept[k]));
      order.push(takeFresh ? fresh[i++] : -1 - kept[k++]);
    }
    const nChains = order.length;
    const chainNames: string[] = new Array(nChains);
    const start = new Int32Array(nChains);
    const end = new Int32Array(nChains);
    const builtin = new Uint8Array(nChains);
    const dropPolicy = new Uint8Array(nChains);
    // Where each source chain's jumps now go: fresh ids and base chains by position, ids only jumped to by name in base.
    const fromId = new Int32Array(names.length).fill(-1);
    const fromBase = new Int32Array(base.chainCount).fill(-1);
    let total = 0;
    for (let c = 0; c < nChains; c++) {
      const src = order[c];
      start[c] = total;
      if (src >= 0) {
        chainNames[c] = names[src];
        fromId[src] = c;
        total += this.rowsIn[src];
        builtin[c] = kind[src] & BUILTIN ? 1 : 0;
        dropPolicy[c] = kind[src] & DROP ? 1 : 0;
      } else {
        chainNames[c] = base.chainName(-1 - src);
        fromBase[-1 - src] = c;
        total += base.chainEnd[-1 - src] - base.chainStart[-1 - src];
      }
      end[c] = total;
    }
    for (let id = 0; id < names.length; id++) {
      if (kind[id] & DECLARED) continue;
      const c = base.chainId(names[id]);
      if (c >= 0) fromId[id] = fromBase[c];
    }
    // Base jumps to a chain written again here go to the new one.
    for (let c = 0; c < base.chainCount; c++) {
      if (fromBase[c] >= 0) continue;
      const id = this.ids.get(base.chainName(c));
      if (id !== undefined && fromId[id] >= 0) fromBase[c] = fromId[id];
    }
    // This compiler's rows grouped by chain, in arrival order within each.
    const firstRow = new Int32Array(names.length + 1);
    const n = this.rows.count;
    for (let r = 0; r < n; r++) firstRow[this.rowChain[r] + 1]++;
    for (let id = 0; id < names.length; id++) firstRow[id + 1] += firstRow[id];
    const byChain = new Int32Array(n);
    const fill = firstRow.slice(0, names.length);
    for (let r = 0; r < n; r++) byChain[fill[this.rowChain[r]]++] = r;
    this.rowChain = new Int32Array(1);

    const out = new RuleColumns(total);
    for (let c = 0; c < nChains; c++) {
      const src = order[c];
      if (src >= 0) {
        for (let j = firstRow[src]; j < firstRow[src + 1]; j++) out.copyRow(this.rows, byChain[j]);
        retarget(out, start[c], end[c], fromId);
        continue;
      }
      // A run of base chains that follow each other in base: one copy.
      let last = c;
      while (last + 1 < nChains && order[last + 1] === order[last] - 1) last++;
      const b0 = -1 - src;
      const b1 = -1 - order[last];
      out.copyRows(base.rows, base.chainStart[b0], base.chainEnd[b1]);
      retarget(out, start[c], end[last], fromBase);
      c = last;
    }
    const text = new RulesetText(chainNames, [], null, builtins.length);
    return new CompiledTable(this.name, out, { start, end, builtin, drop: dropPolicy }, text);
  }

  /** Declared chain ids as finish(true) lays them out: built-ins in declaration order, then the rest by name. */
  private byName(): { builtins: number[]; user: number[] } {
    const { names, kind } = this;
    const user = this.declared.filter((id) => !(kind[id] & BUILTIN));
    user.sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0));
    return { builtins: this.declared.filter((id) => kind[id] & BUILTIN), user };
  }

  private id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
      this.kind.push(REFERENCED);
      this.rowsIn.push(0);
    }
    return id;
  }
}

/** Rewrites the jump targets of rows lo..hi-1 through `to` (a negative target stays -1). */
function retarget(rows: RuleColumns, lo: number, hi: number, to: Int32Array): void {
  const kind = rows.targetKind;
  const a = rows.targetA;
  for (let r = lo; r < hi; r++) {
    const t = kind[r];
    if (t === T_JUMP || t === T_GOTO) a[r] = a[r] < 0 ? -1 : to[a[r]];
  }
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

function compileTarget(rows: RuleColumns, r: number, t: Target, chainId: (name: string) => number): void {
  switch (t.kind) {
    case 'none':
      return rows.target(r, T_NONE);
    case 'jump':
    case 'goto':
      return rows.target(r, t.kind === 'jump' ? T_JUMP : T_GOTO, chainId(t.chain));
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
