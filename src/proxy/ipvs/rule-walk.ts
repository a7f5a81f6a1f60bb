// Walking kube-proxy's IPVS-mode (and userspace-mode) rules. The netfilter model parses
// `-m set` and `-m physdev` but cannot evaluate them (they need the IP sets and the bridge),
// so this file compiles the chains itself, evaluating those two matches here and the others
// the way the netfilter walker does. Verdicts and rule counts follow ipt_do_table: every
// rule tested counts, RETURN or falling off a user chain resumes the caller, ACCEPT/DROP/
// REJECT/MASQUERADE/DNAT/REDIRECT end the table. Walks never allocate unless a path is
// being recorded.
import type { IpSet } from '../../ipset/index.ts';
import type { Chain, Match, Table } from '../../netfilter/index.ts';
import { type Cidr, cidrContains } from '../../util/ipv4.ts';
import type { Packet, PacketOrigin } from '../types.ts';

/** The packet as the rules see it; one instance is reused for every walk. */
export interface WalkEnv {
  src: number;
  dst: number;
  proto: number;
  sport: number;
  dport: number;
  mark: number;
  /** Arrived through a bridge port (`-m physdev --physdev-is-in`). */
  bridged: boolean;
  isLocal: (ip: number) => boolean;
  /** Rules tested so far (accumulates across walks until reset). */
  rules: number;
  /** Matched rules as "table CHAIN #n: text" when recording, else null. */
  path: string[] | null;
  /** Port of the DNAT/REDIRECT target that ended the last walk (0 for none). */
  natPort: number;
}

/**
 * Loads a packet into the reused walk state. A packet from a pod on this node (`'forwarded'`
 * from the node's pod CIDR) crossed the CNI bridge, which `-m physdev` sees.
 */
export function resetWalkEnv(e: WalkEnv, p: Packet, origin: PacketOrigin, podCIDR: Cidr | null, path: string[] | null): WalkEnv {
  e.src = p.src >>> 0;
  e.dst = p.dst >>> 0;
  e.proto = p.proto;
  e.sport = p.sport;
  e.dport = p.dport;
  e.mark = 0;
  e.bridged = origin === 'forwarded' && podCIDR !== null && cidrContains(podCIDR, e.src);
  e.rules = 0;
  e.path = path;
  e.natPort = 0;
  return e;
}

export const V_NONE = 0,
  V_ACCEPT = 1,
  V_DROP = 2,
  V_REJECT = 3,
  V_MASQUERADE = 4,
  V_DNAT = 5,
  V_REDIRECT = 6;
const T_NONE = 0,
  T_JUMP = 1,
  T_RETURN = 2,
  T_MARK = 3,
  T_TERMINAL = 4;

type Pred = (e: WalkEnv) => boolean;

interface CompiledRule {
  preds: Pred[];
  kind: number;
  jump: CompiledChain | null;
  verdict: number;
  markXor: number;
  markClear: number;
  natPort: number;
  label: string;
}

interface CompiledChain {
  name: string;
  rules: CompiledRule[];
}

export class CompiledTable {
  private readonly chains = new Map<string, CompiledChain>();

  constructor(
    readonly table: Table,
    sets: ReadonlyMap<string, IpSet>,
  ) {
    for (const c of table.chains) this.chains.set(c.name, { name: c.name, rules: [] });
    for (const c of table.chains) this.chains.get(c.name)!.rules = c.rules.map((r, i) => this.compileRule(c, i, sets));
  }

  /** Walks `chain`; returns a V_* verdict (V_NONE when it falls off the end or the chain is absent). */
  walk(chain: string, env: WalkEnv): number {
    const c = this.chains.get(chain);
    return c ? runChain(c, env) : V_NONE;
  }

  ruleCount(chain: string): number {
    return this.chains.get(chain)?.rules.length ?? 0;
  }

  /** Whether rule `index` (0-based) of `chain` matches, without counting or acting on it. */
  ruleMatches(chain: string, index: number, env: WalkEnv): boolean {
    return matches(this.chains.get(chain)!.rules[index], env);
  }

  private compileRule(chain: Chain, index: number, sets: ReadonlyMap<string, IpSet>): CompiledRule {
    const r = chain.rules[index];
    const preds: Pred[] = [];
    for (const m of r.matches) {
      const p = compileMatch(m, sets, r.text);
      if (p) preds.push(p);
    }
    const out: CompiledRule = {
      preds,
      kind: T_NONE,
      jump: null,
      verdict: V_NONE,
      markXor: 0,
      markClear: 0,
      natPort: 0,
      label: `${this.table.name} ${chain.name} #${index + 1}: ${r.text}`,
    };
    const t = r.target;
    switch (t.kind) {
      case 'jump':
      case 'goto':
        out.kind = T_JUMP;
        out.jump = this.chains.get(t.chain) ?? null;
        if (!out.jump) throw new Error(`rule jumps to missing chain ${t.chain}: ${r.text}`);
        break;
      case 'RETURN':
        out.kind = T_RETURN;
        break;
      case 'MARK':
        out.kind = T_MARK;
        out.markXor = t.xor;
        out.markClear = t.clear;
        break;
      case 'ACCEPT':
      case 'DROP':
      case 'REJECT':
      case 'MASQUERADE':
        out.kind = T_TERMINAL;
        out.verdict = t.kind === 'ACCEPT' ? V_ACCEPT : t.kind === 'DROP' ? V_DROP : t.kind === 'REJECT' ? V_REJECT : V_MASQUERADE;
        break;
      case 'DNAT':
        out.kind = T_TERMINAL;
        out.verdict = V_DNAT;
        out.natPort = t.port;
        break;
      case 'REDIRECT':
        out.kind = T_TERMINAL;
        out.verdict = V_REDIRECT;
        out.natPort = Number(t.toPorts ?? 0);
        break;
      case 'none':
        break;
      default:
        throw new Error(`target ${t.kind} not expected in kube-proxy's rules: ${r.text}`);
    }
    return out;
  }
}

function matches(r: CompiledRule, env: WalkEnv): boolean {
  const preds = r.preds;
  for (let k = 0; k < preds.length; k++) if (!preds[k](env)) return false;
  return true;
}

function runChain(c: CompiledChain, env: WalkEnv): number {
  const rules = c.rules;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    env.rules++;
    if (!matches(r, env)) continue;
    if (env.path) env.path.push(r.label);
    switch (r.kind) {
      case T_JUMP: {
        const v = runChain(r.jump!, env);
        if (v !== V_NONE) return v;
        break;
      }
      case T_RETURN:
        return V_NONE;
      case T_MARK:
        env.mark = ((env.mark & ~r.markClear) ^ r.markXor) >>> 0;
        break;
      case T_TERMINAL:
        env.natPort = r.natPort;
        return r.verdict;
    }
  }
  return V_NONE;
}

function compileMatch(m: Match, sets: ReadonlyMap<string, IpSet>, text: string): Pred | null {
  switch (m.kind) {
    case 'comment':
      return null;
    case 'addr': {
      const { addr, mask, negate } = m;
      return m.dir === 'src' ? (e) => ((e.src & mask) >>> 0 === addr) !== negate : (e) => ((e.dst & mask) >>> 0 === addr) !== negate;
    }
    case 'proto': {
      const { code, negate } = m;
      return (e) => (code === 0 || e.proto === code) !== negate;
    }
    case 'addrtype': {
      const { negate } = m;
      return m.dir === 'src' ? (e) => e.isLocal(e.src) !== negate : (e) => e.isLocal(e.dst) !== negate;
    }
    case 'mark': {
      const { value, mask, negate } = m;
      return (e) => ((e.mark & mask) >>> 0 === value) !== negate;
    }
    case 'port': {
      // -m tcp/udp --dport/--sport: only packets of the module's protocol match.
      const { lo, hi, negate } = m;
      const code = m.proto === 'tcp' ? 6 : m.proto === 'udp' ? 17 : 132;
      return m.dir === 'src'
        ? (e) => e.proto === code && (e.sport >= lo && e.sport <= hi) !== negate
        : (e) => e.proto === code && (e.dport >= lo && e.dport <= hi) !== negate;
    }
    case 'ctstate': {
      // First packets only: state NEW (the nat table sees nothing else).
      const isNew = m.states.includes('NEW');
      return () => isNew !== m.negate;
    }
    case 'unknown':
      if (m.module === 'set') return compileSetMatch(m.args, sets, text);
      if (m.module === 'physdev' && m.args.join(' ') === '! --physdev-is-in') return (e) => !e.bridged;
      break;
  }
  throw new Error(`match ${m.kind} not modelled in IPVS-mode rules: ${text}`);
}

/**
 * xt_set `[!] --match-set NAME FLAGS`: each comma-separated flag says whether a dimension of
 * the set comes from the packet's source or destination (address for the IP dimensions, port
 * for the port dimension; the port dimension also needs the packet's protocol).
 */
function compileSetMatch(args: string[], sets: ReadonlyMap<string, IpSet>, text: string): Pred {
  const negate = args[0] === '!';
  const a = negate ? args.slice(1) : args;
  if (a[0] !== '--match-set' || a.length !== 3) throw new Error(`unsupported -m set options: ${text}`);
  const set = sets.get(a[1]);
  if (!set) throw new Error(`rule references unknown set ${a[1]}`);
  const dirs = a[2].split(',').map((d) => d === 'src');
  const addr = (i: number) => (dirs[i] ? (e: WalkEnv) => e.src : (e: WalkEnv) => e.dst);
  const port = (i: number) => (dirs[i] ? (e: WalkEnv) => e.sport : (e: WalkEnv) => e.dport);
  let p: Pred;
  switch (set.type) {
    case 'bitmap:port': {
      const pt = port(0);
      p = (e) => set.testPort(pt(e));
      break;
    }
    case 'hash:ip': {
      const ip = addr(0);
      p = (e) => set.testIp(ip(e));
      break;
    }
    case 'hash:ip,port': {
      if (dirs.length < 2) return () => negate; // a missing dimension never matches
      const ip = addr(0),
        pt = port(1);
      p = (e) => set.testIpPort(ip(e), e.proto, pt(e));
      break;
    }
    case 'hash:ip,port,ip':
    case 'hash:ip,port,net': {
      if (dirs.length < 3) return () => negate;
      const ip = addr(0),
        pt = port(1),
        ip2 = addr(2);
      p =
        set.type === 'hash:ip,port,ip'
          ? (e) => set.testIpPortIp(ip(e), e.proto, pt(e), ip2(e))
          : (e) => set.testIpPortNet(ip(e), e.proto, pt(e), ip2(e));
      break;
    }
  }
  return negate ? (e) => !p(e) : p;
}
