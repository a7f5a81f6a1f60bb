// The nf_tables rule interpreter for kube-proxy's rules (nft_do_chain semantics): rules in
// order, a rule's matches all hold or the next rule runs; `jump` runs a chain and comes back,
// `goto` replaces the current chain, `return` or the end of a chain goes back to the caller;
// accept/drop/reject, dnat and masquerade end the base chain. A packet crosses the hooks in
// kernel order, each hook's base chains by priority:
//   from a pod or the network: prerouting (filter-prerouting-pre-dnat -110, nat-prerouting
//     -100), then input (the DNATed destination is local) or forward + postrouting;
//   from the node itself: output (filter-output-pre-dnat -110, nat-output -100,
//     filter-output 0), postrouting, then input when the destination is local.
// Two modes: sample (one endpoint from numgen with the caller's random source, affinity sets
// read and updated: the kernel's behaviour, allocation-free) and explore (every numgen branch,
// affinity sets treated as empty: kube-proxy's test tracer, with a readable path).
import type { Rng } from '../../engine/rng.ts';
import { formatIPv4 } from '../../util/ipv4.ts';
import type { Packet, PacketOrigin, Verdict } from '../types.ts';
import {
  M_CT_NEW,
  M_DADDR,
  M_DADDR_ANON,
  M_DADDR_SET,
  M_DPORT,
  M_FIB_DADDR_LOCAL,
  M_FIB_SADDR_LOCAL,
  M_L4PROTO,
  M_MARK_ZERO,
  M_SADDR,
  M_SADDR_ANON,
  M_SADDR_SET,
  type Match,
  ruleText,
  S_ACCEPT,
  S_DNAT,
  S_DROP,
  S_GOTO,
  S_JUMP,
  S_MARK_OR,
  S_MARK_XOR,
  S_MASQUERADE,
  S_NUMGEN,
  S_REJECT,
  S_RETURN,
  S_UPDATE,
  S_VMAP,
} from './rule.ts';
import { F_NEG, MATCH_SIZE, RULE_HEAD, ruleSize } from './blob.ts';
import { type Hook, type NftSet, type NftTable, V_ACCEPT, V_DROP, V_JUMP, type VerdictMap } from './table.ts';
import { keyText, verdictText } from './tx.ts';

const R_CONTINUE = 0;
const R_ACCEPT = 1;
const R_DROP = 2;
const R_REJECT = 3;

/** NFT_JUMP_STACK_SIZE: the kernel refuses deeper chain graphs when loading them. */
const MAX_DEPTH = 16;

export class Walker {
  // Addresses as int32 (see hash.ts): no heap numbers on the packet path.
  private src = 0;
  private dst = 0;
  private proto = 0;
  private dport = 0;
  private mark = 0;
  private nowMs = 0;
  private localIPs = new Int32Array(0);
  private explore = false;
  private rng: Rng | null = null;
  private translated = false;
  /** A nat chain DNATed the packet (the first explored branch's endpoint in explore mode). */
  dnat = false;
  dnatIP = 0;
  dnatPort = 0;
  /** The masquerade mark was set after DNAT, or postrouting masqueraded. */
  masquerade = false;
  verdict: Verdict = 'NONE';
  rules = 0;
  lookups = 0;
  /** Explore mode only: every DNAT destination ("ip:port") and the steps taken. */
  endpoints: string[] | null = null;
  path: string[] | null = null;

  constructor(
    private readonly table: NftTable,
    private masqueradeMark = 0,
  ) {}

  setMasqueradeMark(mark: number): void {
    this.masqueradeMark = mark | 0;
  }

  /** The node's addresses: what `fib ... type local` and routing call local (with 127.0.0.0/8). */
  setLocalIPs(ips: Iterable<number>): void {
    this.localIPs = Int32Array.from(ips, (ip) => ip | 0);
  }

  private isLocal(ip: number): boolean {
    if (ip >>> 24 === 127) return true;
    const ips = this.localIPs;
    for (let i = 0; i < ips.length; i++) if (ips[i] === ip) return true;
    return false;
  }

  /** @param now simulated seconds (affinity timeouts) */
  run(p: Packet, origin: PacketOrigin, now: number, rng: Rng | null, explore: boolean): this {
    this.src = p.src | 0;
    this.dst = p.dst | 0;
    this.proto = p.proto;
    this.dport = p.dport;
    this.mark = 0;
    this.nowMs = Math.round(now * 1000) | 0;
    this.rng = rng;
    this.explore = explore;
    this.dnat = false;
    this.translated = false;
    this.dnatIP = this.dnatPort = 0;
    this.masquerade = false;
    this.verdict = 'NONE';
    this.rules = this.lookups = 0;
    this.endpoints = explore ? [] : null;
    this.path = explore ? [] : null;
    let r: number;
    if (origin === 'local') {
      r = this.hook('output');
      if (r === R_CONTINUE) r = this.hook('postrouting');
      if (r === R_CONTINUE && this.isLocal(this.dst)) r = this.hook('input');
    } else {
      r = this.hook('prerouting');
      if (r === R_CONTINUE) r = this.isLocal(this.dst) ? this.hook('input') : this.hook('forward');
      if (r === R_CONTINUE && !this.isLocal(this.dst)) r = this.hook('postrouting');
    }
    this.verdict = r === R_DROP ? 'DROP' : r === R_REJECT ? 'REJECT' : this.dnat ? 'DNAT' : 'NONE';
    return this;
  }

  /** The hook's base chains by priority; R_DROP/R_REJECT end the packet, anything else goes on. */
  private hook(h: Hook): number {
    const chains = this.table.baseChains(h);
    for (let i = 0; i < chains.length; i++) {
      const c = chains[i];
      if (this.path) this.path.push(`hook ${h}: ${c.name} (${c.base!.type}, priority ${c.base!.priority})`);
      const r = this.chain(c.id, 0);
      if (r === R_DROP || r === R_REJECT) return r;
      if (this.dnat && !this.translated) {
        // Later base chains and hooks see the translated destination.
        this.translated = true;
        this.dst = this.dnatIP | 0;
        this.dport = this.dnatPort;
      }
      if ((this.mark & this.masqueradeMark) !== 0) this.masquerade = true;
    }
    return R_CONTINUE;
  }

  /** Runs the chain's committed rule blob (blob.ts has the layout). */
  private chain(id: number, depth: number): number {
    if (depth > MAX_DEPTH) throw new Error(`nftables: chain depth over ${MAX_DEPTH} at ${this.table.chains[id]!.name}`);
    const blobs = this.table.blobs;
    const code = blobs.code;
    let pc = blobs.start[id];
    const end = pc + blobs.length[id];
    while (pc < end) {
      const matches = code[pc + 1];
      const stmt = code[pc + 2];
      const next = pc + RULE_HEAD + matches * MATCH_SIZE + (stmt === S_NUMGEN ? code[pc + 4] : 0);
      this.rules++;
      if (this.matches(code, pc + RULE_HEAD, matches)) {
        const r = this.statement(code, id, pc, depth);
        if (r !== -1) return r;
      }
      pc = next;
    }
    return R_CONTINUE;
  }

  /** -1: go on with the next rule; otherwise the chain's result. */
  private statement(code: Int32Array, id: number, pc: number, depth: number): number {
    const x = code[pc + 3];
    switch (code[pc + 2]) {
      case S_JUMP: {
        this.step(id, pc, null);
        const r = this.chain(x, depth + 1);
        return r === R_CONTINUE ? -1 : r;
      }
      case S_GOTO:
        this.step(id, pc, null);
        return this.chain(x, depth + 1);
      case S_RETURN:
        this.step(id, pc, null);
        return R_CONTINUE;
      case S_ACCEPT:
        this.step(id, pc, null);
        return R_ACCEPT;
      case S_DROP:
        this.step(id, pc, null);
        return R_DROP;
      case S_REJECT:
        this.step(id, pc, null);
        return R_REJECT;
      case S_VMAP:
        return this.vmap(id, pc, this.table.blobs.refs[x] as VerdictMap, depth);
      case S_NUMGEN:
        return this.numgen(code, id, pc, depth);
      case S_DNAT: {
        this.step(id, pc, null);
        const port = code[pc + 4];
        if (this.endpoints) this.endpoints.push(`${formatIPv4(x)}:${port}`);
        if (!this.dnat) {
          this.dnat = true;
          this.dnatIP = x;
          this.dnatPort = port;
        }
        return R_ACCEPT;
      }
      case S_MARK_OR:
        this.mark |= x;
        return -1;
      case S_MARK_XOR:
        this.mark ^= x;
        return -1;
      case S_MASQUERADE:
        this.step(id, pc, null);
        this.masquerade = true;
        return R_ACCEPT;
      case S_UPDATE:
        // Explore mode leaves the affinity sets alone (the tracer has no connection history).
        if (!this.explore) (this.table.blobs.refs[x] as NftSet).elements.add(this.src, this.nowMs);
        return -1;
      default:
        throw new Error(`nftables: statement ${code[pc + 2]} not modelled`);
    }
  }

  private vmap(id: number, pc: number, map: VerdictMap, depth: number): number {
    this.lookups++;
    const ip = map.withAddress ? this.dst : 0;
    const pp = (this.proto << 16) | this.dport;
    const v = map.elements.get(ip, pp);
    if (this.path) {
      const hit = v === undefined ? 'no element' : `-> ${verdictText(this.table, v)}`;
      this.step(id, pc, null, `: ${keyText(map, ip, pp)} ${hit}`);
    }
    if (v === undefined) return -1;
    switch (v & 3) {
      case V_ACCEPT:
        return R_ACCEPT;
      case V_DROP:
        return R_DROP;
      case V_JUMP: {
        const r = this.chain(v >>> 2, depth + 1);
        return r === R_CONTINUE ? -1 : r;
      }
      default:
        return this.chain(v >>> 2, depth + 1);
    }
  }

  private numgen(code: Int32Array, id: number, pc: number, depth: number): number {
    const n = code[pc + 4];
    const targets = pc + RULE_HEAD + code[pc + 1] * MATCH_SIZE;
    this.lookups++;
    if (!this.explore) {
      // nft_ng_random_eval: reciprocal_scale(get_random_u32(), N), i.e. floor(u32 * N / 2^32).
      const k = Math.floor(this.rng!.next() * n);
      return this.chain(code[targets + k], depth + 1);
    }
    this.step(id, pc, ` (exploring all ${n})`);
    let first = R_CONTINUE;
    for (let k = 0; k < n; k++) {
      const r = this.chain(code[targets + k], depth + 1);
      if (k === 0) first = r;
    }
    return first;
  }

  private matches(code: Int32Array, p: number, n: number): boolean {
    for (let k = 0; k < n; k++, p += MATCH_SIZE) if (!this.match(code, p)) return false;
    return true;
  }

  private match(code: Int32Array, p: number): boolean {
    const neg = (code[p + 1] & F_NEG) !== 0;
    const a = code[p + 2];
    const b = code[p + 3];
    switch (code[p]) {
      case M_DADDR:
        return ((this.dst & b) === a) !== neg;
      case M_SADDR:
        return ((this.src & b) === a) !== neg;
      case M_DADDR_ANON:
        return this.inCidrs(this.table.blobs.refs[a] as Match, this.dst) !== neg;
      case M_SADDR_ANON:
        return this.inCidrs(this.table.blobs.refs[a] as Match, this.src) !== neg;
      case M_DADDR_SET:
        this.lookups++;
        return (this.table.blobs.refs[a] as NftSet).elements.has(this.dst, this.nowMs);
      case M_SADDR_SET:
        this.lookups++;
        return !this.explore && (this.table.blobs.refs[a] as NftSet).elements.has(this.src, this.nowMs);
      case M_FIB_DADDR_LOCAL:
        return this.isLocal(this.dst);
      case M_FIB_SADDR_LOCAL:
        return this.isLocal(this.src);
      case M_DPORT:
        return this.proto === a && this.dport === b;
      case M_L4PROTO:
        return this.proto === a;
      case M_CT_NEW:
        // Only a connection's first packet is walked.
        return true;
      case M_MARK_ZERO:
        return (this.mark & a) === 0;
      default:
        throw new Error(`nftables: match ${code[p]} not modelled`);
    }
  }

  /** An anonymous set of two or more prefixes is one set lookup; one prefix is a compare. */
  private inCidrs(m: Match, ip: number): boolean {
    const cidrs = m.cidrs!;
    if (cidrs.length > 1) this.lookups++;
    for (let k = 0; k < cidrs.length; k++) if ((ip & cidrs[k].mask) === (cidrs[k].addr | 0)) return true;
    return false;
  }

  /** Trace only: "chain #n rule text[note]" for the rule at pc. */
  private step(id: number, pc: number, note: string | null, suffix = ''): void {
    if (!this.path) return;
    const blobs = this.table.blobs;
    const code = blobs.code;
    let n = 1;
    for (let at = blobs.start[id]; at < pc; at += ruleSize(code, at)) n++;
    this.path.push(`${this.table.chains[id]!.name} #${n} ${ruleText(this.table, code, pc)}${note ?? ''}${suffix}`);
  }
}
