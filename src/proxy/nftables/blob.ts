// Every chain's rules as one contiguous run of integers, as the kernel keeps them: at commit,
// nf_tables_commit_chain_prepare() copies a changed chain's rules into a new rule blob (struct
// nft_rule_blob) that the packet path walks. A packet thus touches a few cache lines per chain
// instead of a graph of objects spread over the heap (what kept a 50,000-service lookup slow).
// The blob is also the only copy of a committed rule: a rule object is encoded when added and
// dropped (objects cost ~340 B a rule, 1.8 GB at 100,000 services); texts are rendered from the
// integers (rule-text.ts).
//
// One rule: [anonSeq, match count, statement, x, y, comment ref or -1, (op, flags, a, b) per
// match, numgen targets], where anonSeq is the creation number of the rule's first anonymous
// set (table.ts), x a chain id (jump/goto), a ref (vmap map, update set), an address (dnat) or
// a mark, y the dnat port or the numgen target count; a set match's `a` is the set's ref, an
// anonymous set match's the Match's. Refs index `refs`, the objects the integers cannot hold.
// Rules added in a transaction are staged, each record [chain id, previous record of the chain,
// rule], until the commit writes each changed chain's rules into the blob.
import {
  M_DADDR_ANON,
  M_DADDR_SET,
  M_SADDR_ANON,
  M_SADDR_SET,
  type Match,
  type Rule,
  S_GOTO,
  S_JUMP,
  S_NUMGEN,
  S_UPDATE,
  S_VMAP,
} from './rule.ts';

export const RULE_HEAD = 6;
export const MATCH_SIZE = 4;
/** Match flags: negated (`!=`); an address match written as a prefix (`a.b.c.d/N`). */
export const F_NEG = 1;
export const F_PREFIX = 2;
const STAGE_HEAD = 2;

const isRefMatch = (op: number) => op === M_DADDR_SET || op === M_SADDR_SET || op === M_DADDR_ANON || op === M_SADDR_ANON;

/** Integers of the rule at pc (head, matches, numgen targets). */
export function ruleSize(code: Int32Array, pc: number): number {
  return RULE_HEAD + code[pc + 1] * MATCH_SIZE + (code[pc + 2] === S_NUMGEN ? code[pc + 4] : 0);
}

export class RuleBlobs {
  code = new Int32Array(1 << 12);
  private top = 0;
  private dead = 0;
  /** Start, length and rule count of each chain's committed blob, by chain id. */
  start = new Int32Array(64);
  length = new Int32Array(64);
  private count = new Int32Array(64);
  /** Staged rules: the last record of each changed chain (-1: none), their count, the flag. */
  private last = new Int32Array(64);
  private pending = new Int32Array(64);
  private isDirty = new Uint8Array(64);
  private dirty: number[] = [];
  stage = new Int32Array(0);
  private stageTop = 0;
  refs: unknown[] = [];
  private refIndex = new Map<unknown, number>();

  /** A new chain: empty from this transaction on. */
  created(id: number): void {
    this.flush(id);
  }

  /** Every rule of the chain leaves (its current rules: staged ones too). */
  flush(id: number): void {
    this.ensureChainCapacity(id);
    if (!this.isDirty[id]) this.markDirty(id);
    this.last[id] = -1;
    this.pending[id] = 0;
  }

  dropped(id: number): void {
    this.ensureChainCapacity(id);
    this.isDirty[id] = 0;
    this.dead += this.length[id];
    this.length[id] = this.count[id] = 0;
  }

  /** Rules the chain holds now (staged ones when changed in this transaction). */
  rules(id: number): number {
    if (id >= this.count.length) return 0;
    return this.isDirty[id] ? this.pending[id] : this.count[id];
  }

  /** Calls fn with the code and position of each current rule of the chain, in order. */
  forEachRule(id: number, fn: (code: Int32Array, pc: number) => void): void {
    if (id >= this.count.length) return;
    if (this.isDirty[id]) {
      const stage = this.stage;
      for (const rec of this.records(id)) fn(stage, rec + STAGE_HEAD);
      return;
    }
    const code = this.code;
    for (let pc = this.start[id], end = pc + this.length[id]; pc < end; pc += ruleSize(code, pc)) fn(code, pc);
  }

  /** Stages the rule at the chain's end; returns where its code is in `stage`. */
  add(id: number, r: Rule, anonSeq: number): number {
    this.ensureChainCapacity(id);
    if (!this.isDirty[id]) {
      // Rules appended to an unchanged chain: its committed rules are staged first.
      const code = this.code;
      this.markDirty(id);
      this.last[id] = -1;
      this.pending[id] = 0;
      for (let pc = this.start[id], end = pc + this.length[id]; pc < end; pc += ruleSize(code, pc))
        this.copyIn(id, this.code, pc, ruleSize(this.code, pc));
    }
    const size = RULE_HEAD + MATCH_SIZE * r.matches.length + (r.targets ? r.targets.length : 0);
    const pc = this.record(id, size);
    const s = this.stage;
    s[pc] = anonSeq;
    s[pc + 1] = r.matches.length;
    s[pc + 2] = r.stmt;
    s[pc + 3] = this.x(r);
    s[pc + 4] = r.targets ? r.targets.length : r.b;
    s[pc + 5] = r.comment === null ? -1 : this.ref(r.comment);
    let p = pc + RULE_HEAD;
    for (const m of r.matches) {
      s[p] = m.op;
      s[p + 1] = (m.neg ? F_NEG : 0) | (m.operand.includes('/') ? F_PREFIX : 0);
      s[p + 2] = isRefMatch(m.op) ? this.ref(m.set ?? m) : m.a;
      s[p + 3] = m.b;
      p += MATCH_SIZE;
    }
    if (r.targets) for (const t of r.targets) s[p++] = t.id;
    return pc;
  }

  /** The commit: each changed chain's staged rules become its blob; compact when half the code is dead. */
  commit(): void {
    for (const id of this.dirty) {
      if (!this.isDirty[id]) continue;
      this.isDirty[id] = 0;
      const recs = this.records(id);
      let size = 0;
      for (const rec of recs) size += ruleSize(this.stage, rec + STAGE_HEAD);
      this.dead += this.length[id];
      this.ensureCode(size);
      this.start[id] = this.top;
      this.length[id] = size;
      this.count[id] = recs.length;
      for (const rec of recs) {
        const n = ruleSize(this.stage, rec + STAGE_HEAD);
        this.code.set(this.stage.subarray(rec + STAGE_HEAD, rec + STAGE_HEAD + n), this.top);
        this.top += n;
      }
    }
    this.dirty = [];
    // The staging area holds a whole full sync's rules: let it go.
    this.stage = new Int32Array(0);
    this.stageTop = 0;
    // Rewritten chains leave dead code and refs behind; both go at compaction.
    if (this.dead > this.top / 2) this.compact();
    // Doubling left up to half the code array spare (~85 MB at 100,000 services): trim it.
    else if (this.code.length > this.top + (this.top >> 3) + 4096) this.resize(this.top + (this.top >> 4));
  }

  private compact(): void {
    const old = this.code;
    const oldRefs = this.refs;
    this.refs = [];
    this.refIndex = new Map();
    this.code = new Int32Array(Math.max(1 << 12, this.top - this.dead));
    this.top = this.dead = 0;
    for (let id = 0; id < this.length.length; id++) {
      const len = this.length[id];
      if (len === 0) continue;
      const from = this.start[id];
      this.code.set(old.subarray(from, from + len), this.top);
      this.start[id] = this.top;
      this.top += len;
      const code = this.code;
      for (let pc = this.start[id], end = this.top; pc < end; pc += ruleSize(code, pc)) {
        if (code[pc + 5] >= 0) code[pc + 5] = this.ref(oldRefs[code[pc + 5]]);
        const stmt = code[pc + 2];
        if (stmt === S_VMAP || stmt === S_UPDATE) code[pc + 3] = this.ref(oldRefs[code[pc + 3]]);
        for (let k = 0, p = pc + RULE_HEAD; k < code[pc + 1]; k++, p += MATCH_SIZE)
          if (isRefMatch(code[p])) code[p + 2] = this.ref(oldRefs[code[p + 2]]);
      }
    }
  }

  private markDirty(id: number): void {
    this.isDirty[id] = 1;
    this.dirty.push(id);
  }

  /** Offsets of the chain's staged records, in order. */
  private records(id: number): number[] {
    const out: number[] = [];
    for (let rec = this.last[id]; rec >= 0; rec = this.stage[rec + 1]) out.push(rec);
    return out.reverse();
  }

  private record(id: number, size: number): number {
    if (this.stageTop + STAGE_HEAD + size > this.stage.length) {
      let cap = Math.max(1 << 12, this.stage.length);
      while (cap < this.stageTop + STAGE_HEAD + size) cap *= 2;
      const stage = new Int32Array(cap);
      stage.set(this.stage.subarray(0, this.stageTop));
      this.stage = stage;
    }
    const rec = this.stageTop;
    this.stage[rec] = id;
    this.stage[rec + 1] = this.last[id];
    this.last[id] = rec;
    this.pending[id]++;
    this.stageTop += STAGE_HEAD + size;
    return rec + STAGE_HEAD;
  }

  private copyIn(id: number, code: Int32Array, pc: number, n: number): void {
    const at = this.record(id, n);
    this.stage.set(code.subarray(pc, pc + n), at);
  }

  private x(r: Rule): number {
    switch (r.stmt) {
      case S_JUMP:
      case S_GOTO:
        return r.chain!.id;
      case S_VMAP:
        return this.ref(r.map);
      case S_UPDATE:
        return this.ref(r.set);
      case S_NUMGEN:
        return 0;
      default:
        return r.a | 0;
    }
  }

  private ref(o: unknown): number {
    const hit = this.refIndex.get(o);
    if (hit !== undefined) return hit;
    const i = this.refs.length;
    this.refs.push(o);
    this.refIndex.set(o, i);
    return i;
  }

  /** Sets the kernel allocated for the rule at pc (Rule.anonymousSets of the rule it encodes). */
  anonymousSets(code: Int32Array, pc: number): number {
    let n = code[pc + 2] === S_NUMGEN ? 1 : 0;
    for (let k = 0, p = pc + RULE_HEAD; k < code[pc + 1]; k++, p += MATCH_SIZE)
      if ((code[p] === M_DADDR_ANON || code[p] === M_SADDR_ANON) && (this.refs[code[p + 2]] as Match).cidrs!.length > 1) n++;
    return n;
  }

  private ensureCode(size: number): void {
    if (this.top + size <= this.code.length) return;
    let cap = this.code.length;
    while (cap < this.top + size) cap *= 2;
    this.resize(cap);
  }

  private resize(cap: number): void {
    const code = new Int32Array(Math.max(1 << 12, cap));
    code.set(this.code.subarray(0, this.top));
    this.code = code;
  }

  private ensureChainCapacity(id: number): void {
    if (id < this.start.length) return;
    let cap = this.start.length;
    while (cap <= id) cap *= 2;
    const grow = <T extends Int32Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      b.set(a);
      return b;
    };
    this.start = grow(this.start);
    this.length = grow(this.length);
    this.count = grow(this.count);
    this.last = grow(this.last);
    this.pending = grow(this.pending);
    this.isDirty = grow(this.isDirty);
  }
}
