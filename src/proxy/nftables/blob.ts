// Every chain's rules as one contiguous run of integers, as the kernel keeps them: at commit,
// nf_tables_commit_chain_prepare() copies a changed chain's rules into a new rule blob (struct
// nft_rule_blob) that the packet path walks. A packet thus touches a few cache lines per chain
// instead of a graph of objects spread over the heap (what kept a 50,000-service lookup slow).
//
// One rule: [rule ref, match count, statement, x, y, (op, neg, a, b) per match, numgen targets],
// where x is a chain id (jump/goto), a ref (vmap map, update set), an address (dnat) or a mark,
// y the dnat port or the numgen target count; a set match's `a` is the set's ref, an anonymous
// set match's the Match's. Refs index `refs`, the objects the integers cannot hold.
import { M_DADDR_ANON, M_DADDR_SET, M_SADDR_ANON, M_SADDR_SET, type Rule, S_GOTO, S_JUMP, S_NUMGEN, S_UPDATE, S_VMAP } from './rule.ts';
import type { Chain } from './table.ts';

export const RULE_HEAD = 5;
export const MATCH_SIZE = 4;

export class RuleBlobs {
  code = new Int32Array(1 << 12);
  private top = 0;
  private dead = 0;
  /** Start and length of each chain's blob, by chain id. */
  start = new Int32Array(64);
  length = new Int32Array(64);
  refs: unknown[] = [];
  private readonly refIndex = new Map<unknown, number>();
  private readonly dirty = new Set<Chain>();
  private readonly live = new Map<number, Chain>();

  /** A chain's rules changed (added, flushed) or the chain came or went. */
  changed(chain: Chain): void {
    this.dirty.add(chain);
  }

  dropped(chain: Chain): void {
    this.dirty.delete(chain);
    this.live.delete(chain.id);
    if (chain.id < this.length.length) {
      this.dead += this.length[chain.id];
      this.length[chain.id] = 0;
    }
  }

  /** The commit: rebuild the blobs of changed chains; compact when half the code is dead. */
  commit(): void {
    if (this.dirty.size === 0) return;
    for (const c of this.dirty) {
      this.live.set(c.id, c);
      this.place(c);
    }
    this.dirty.clear();
    // Rewritten chains leave dead code and refs to old rules behind; both go at compaction.
    if (this.dead > this.top / 2) this.compact();
  }

  private compact(): void {
    const chains = [...this.live.values()];
    this.top = this.dead = 0;
    this.refs = [];
    this.refIndex.clear();
    for (const c of chains) this.place(c);
  }

  private place(c: Chain): void {
    this.ensureChainCapacity(c.id);
    this.dead += this.length[c.id];
    let size = 0;
    for (const r of c.rules) size += RULE_HEAD + MATCH_SIZE * r.matches.length + (r.targets ? r.targets.length : 0);
    this.ensureCode(size);
    this.start[c.id] = this.top;
    this.length[c.id] = size;
    const code = this.code;
    let pc = this.top;
    for (const r of c.rules) {
      code[pc] = this.ref(r);
      code[pc + 1] = r.matches.length;
      code[pc + 2] = r.stmt;
      code[pc + 3] = this.x(r);
      code[pc + 4] = r.targets ? r.targets.length : r.b;
      pc += RULE_HEAD;
      for (const m of r.matches) {
        code[pc] = m.op;
        code[pc + 1] = m.neg ? 1 : 0;
        const byRef = m.op === M_DADDR_SET || m.op === M_SADDR_SET || m.op === M_DADDR_ANON || m.op === M_SADDR_ANON;
        code[pc + 2] = byRef ? this.ref(m.set ?? m) : m.a;
        code[pc + 3] = m.b;
        pc += MATCH_SIZE;
      }
      if (r.targets) for (const t of r.targets) code[pc++] = t.id;
    }
    this.top = pc;
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

  private ensureCode(size: number): void {
    if (this.top + size <= this.code.length) return;
    let cap = this.code.length;
    while (cap < this.top + size) cap *= 2;
    const code = new Int32Array(cap);
    code.set(this.code.subarray(0, this.top));
    this.code = code;
  }

  private ensureChainCapacity(id: number): void {
    if (id < this.start.length) return;
    let cap = this.start.length;
    while (cap <= id) cap *= 2;
    const start = new Int32Array(cap);
    const length = new Int32Array(cap);
    start.set(this.start);
    length.set(this.length);
    this.start = start;
    this.length = length;
  }
}
