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
  type Rule,
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
import { type Chain, type Hook, type NftSet, type NftTable, V_ACCEPT, V_DROP, V_JUMP } from './table.ts';
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
      const r = this.chain(c, 0);
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

  private chain(c: Chain, depth: number): number {
    if (depth > MAX_DEPTH) throw new Error(`nftables: chain depth over ${MAX_DEPTH} at ${c.name}`);
    const rules = c.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      this.rules++;
      if (!this.matches(rule.matches)) continue;
      const r = this.statement(c, i, rule, depth);
      if (r !== -1) return r;
    }
    return R_CONTINUE;
  }

  /** -1: go on with the next rule; otherwise the chain's result. */
  private statement(c: Chain, i: number, rule: Rule, depth: number): number {
    switch (rule.stmt) {
      case S_JUMP: {
        this.step(c, i, rule, null);
        const r = this.chain(rule.chain!, depth + 1);
        return r === R_CONTINUE ? -1 : r;
      }
      case S_GOTO:
        this.step(c, i, rule, null);
        return this.chain(rule.chain!, depth + 1);
      case S_RETURN:
        this.step(c, i, rule, null);
        return R_CONTINUE;
      case S_ACCEPT:
        this.step(c, i, rule, null);
        return R_ACCEPT;
      case S_DROP:
        this.step(c, i, rule, null);
        return R_DROP;
      case S_REJECT:
        this.step(c, i, rule, null);
        return R_REJECT;
      case S_VMAP:
        return this.vmap(c, i, rule, depth);
      case S_NUMGEN:
        return this.numgen(c, i, rule, depth);
      case S_DNAT:
        this.step(c, i, rule, null);
        if (this.endpoints) this.endpoints.push(`${formatIPv4(rule.a)}:${rule.b}`);
        if (!this.dnat) {
          this.dnat = true;
          this.dnatIP = rule.a;
          this.dnatPort = rule.b;
        }
        return R_ACCEPT;
      case S_MARK_OR:
        this.mark |= rule.a;
        return -1;
      case S_MARK_XOR:
        this.mark ^= rule.a;
        return -1;
      case S_MASQUERADE:
        this.step(c, i, rule, null);
        this.masquerade = true;
        return R_ACCEPT;
      case S_UPDATE:
        // Explore mode leaves the affinity sets alone (the tracer has no connection history).
        if (!this.explore) (rule.set as NftSet).elements.add(this.src, this.nowMs);
        return -1;
      default:
        throw new Error(`nftables: statement ${rule.stmt} not modelled`);
    }
  }

  private vmap(c: Chain, i: number, rule: Rule, depth: number): number {
    const map = rule.map!;
    this.lookups++;
    const ip = map.withAddress ? this.dst : 0;
    const pp = (this.proto << 16) | this.dport;
    const v = map.elements.get(ip, pp);
    if (this.path) {
      const hit = v === undefined ? 'no element' : `-> ${verdictText(this.table, v)}`;
      this.path.push(`${c.name} #${i + 1} ${ruleText(rule)}: ${keyText(map, ip, pp)} ${hit}`);
    }
    if (v === undefined) return -1;
    switch (v & 3) {
      case V_ACCEPT:
        return R_ACCEPT;
      case V_DROP:
        return R_DROP;
      case V_JUMP: {
        const r = this.chain(this.table.chains[v >>> 2]!, depth + 1);
        return r === R_CONTINUE ? -1 : r;
      }
      default:
        return this.chain(this.table.chains[v >>> 2]!, depth + 1);
    }
  }

  private numgen(c: Chain, i: number, rule: Rule, depth: number): number {
    const targets = rule.targets!;
    this.lookups++;
    if (!this.explore) {
      // nft_ng_random_eval: reciprocal_scale(get_random_u32(), N), i.e. floor(u32 * N / 2^32).
      const k = Math.floor(this.rng!.next() * targets.length);
      return this.chain(targets[k], depth + 1);
    }
    this.step(c, i, rule, `exploring all ${targets.length}`);
    let first = R_CONTINUE;
    for (let k = 0; k < targets.length; k++) {
      const r = this.chain(targets[k], depth + 1);
      if (k === 0) first = r;
    }
    return first;
  }

  private matches(ms: readonly Match[]): boolean {
    for (let k = 0; k < ms.length; k++) if (!this.match(ms[k])) return false;
    return true;
  }

  private match(m: Match): boolean {
    switch (m.op) {
      case M_DADDR:
        return ((this.dst & m.b) === m.a) !== m.neg;
      case M_SADDR:
        return ((this.src & m.b) === m.a) !== m.neg;
      case M_DADDR_ANON:
        return this.inCidrs(m, this.dst) !== m.neg;
      case M_SADDR_ANON:
        return this.inCidrs(m, this.src) !== m.neg;
      case M_DADDR_SET:
        this.lookups++;
        return (m.set as NftSet).elements.has(this.dst, this.nowMs);
      case M_SADDR_SET:
        this.lookups++;
        return !this.explore && (m.set as NftSet).elements.has(this.src, this.nowMs);
      case M_FIB_DADDR_LOCAL:
        return this.isLocal(this.dst);
      case M_FIB_SADDR_LOCAL:
        return this.isLocal(this.src);
      case M_DPORT:
        return this.proto === m.a && this.dport === m.b;
      case M_L4PROTO:
        return this.proto === m.a;
      case M_CT_NEW:
        // Only a connection's first packet is walked.
        return true;
      case M_MARK_ZERO:
        return (this.mark & m.a) === 0;
      default:
        throw new Error(`nftables: match ${m.op} not modelled`);
    }
  }

  /** An anonymous set of two or more prefixes is one set lookup; one prefix is a compare. */
  private inCidrs(m: Match, ip: number): boolean {
    const cidrs = m.cidrs!;
    if (cidrs.length > 1) this.lookups++;
    for (let k = 0; k < cidrs.length; k++) if ((ip & cidrs[k].mask) === (cidrs[k].addr | 0)) return true;
    return false;
  }

  private step(c: Chain, i: number, rule: Rule, note: string | null): void {
    if (this.path) this.path.push(`${c.name} #${i + 1} ${ruleText(rule)}${note ? ` (${note})` : ''}`);
  }
}
