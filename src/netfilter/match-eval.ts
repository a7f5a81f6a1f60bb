// Evaluating one match against a packet. Shared by the readable walker and by the
// compiled walker's slow path so both give the same answer by construction.
//
// Matches are either pure (depend only on the packet: addresses, ports, marks, ...) or
// impure (statistic draws a random number; recent reads and writes its lists). Walkers test
// all pure matches of a rule first, then the impure ones in rule order. The kernel tests the
// IP header part (-s/-d/-i/-o/-p) first and then `-m` matches in rule order; testing pure
// matches early only changes which random draws are consumed and, for a `--set` written
// before a failing pure match, whether the address is recorded.

import type { RecentStore } from './recent.ts';
import type { Match, RecentMatch, StatisticMatch, WalkContext } from './types.ts';
import { protoCode } from './values.ts';

/** The mutable view of a packet a walker keeps while walking (reused, never reallocated). */
export interface MatchEnv {
  src: number;
  dst: number;
  proto: number;
  sport: number;
  dport: number;
  mark: number;
  ctBits: number;
  inIface: string;
  outIface: string;
  bridged: boolean;
  ctx: WalkContext;
  /** kube-proxy tracer compatibility: `-m mark` and `-m conntrack` never match. */
  historyNever: boolean;
  explore: boolean;
  /** Explore mode: 'both' follows `recent --rcheck` both ways, 'never' treats it as not matching. */
  exploreRecent: 'never' | 'both';
  random: () => number;
  random31: (() => number) | null;
  recent: RecentStore | undefined;
}

export type ImpureMatch = StatisticMatch | RecentMatch;

export function isImpure(m: Match): m is ImpureMatch {
  return m.kind === 'statistic' || m.kind === 'recent';
}

export function ifaceMatches(iface: string, name: string, wildcard: boolean): boolean {
  return wildcard ? iface.startsWith(name) : iface === name;
}

/** Whether a pure match accepts the packet (impure matches must not be passed here). */
export function pureMatches(m: Match, env: MatchEnv): boolean {
  switch (m.kind) {
    case 'addr':
      return (((m.dir === 'src' ? env.src : env.dst) & m.mask) >>> 0 === m.addr) !== m.negate;
    case 'proto':
      return m.code === 0 ? !m.negate : (env.proto === m.code) !== m.negate;
    case 'iface':
      return ifaceMatches(m.dir === 'in' ? env.inIface : env.outIface, m.name, m.wildcard) !== m.negate;
    case 'port': {
      // The tcp/udp/sctp match only ever sees packets of its own protocol.
      if (env.proto !== protoCode(m.proto)) return false;
      const p = m.dir === 'src' ? env.sport : env.dport;
      return (p >= m.lo && p <= m.hi) !== m.negate;
    }
    case 'addrtype':
      return env.ctx.isLocal(m.dir === 'src' ? env.src : env.dst) !== m.negate;
    case 'mark':
      return !env.historyNever && ((env.mark & m.mask) >>> 0 === m.value) !== m.negate;
    case 'ctstate':
      return !env.historyNever && ((env.ctBits & m.bits) !== 0) !== m.negate;
    case 'set':
      return env.ctx.matchSet !== undefined && env.ctx.matchSet(m.name, m.dirs, env) !== m.negate;
    case 'physdev':
      return env.bridged !== m.negate;
    case 'comment':
      return true;
    case 'unknown':
    case 'statistic':
    case 'recent':
      return false;
  }
}

/** One `-m statistic --mode random` draw: does it fall below the probability? */
export function statisticDraw(env: MatchEnv, probability: number): boolean {
  const r31 = env.random31;
  return r31 !== null ? r31() < probability * 2147483648 : env.random() < probability;
}

export const IMPURE_FAIL = 0;
export const IMPURE_MATCH = 1;
/** Explore mode: follow the rule as matched, then continue as if it had not matched. */
export const IMPURE_BRANCH = 2;

export function impureResult(m: ImpureMatch, env: MatchEnv): number {
  if (m.kind === 'statistic') {
    if (env.explore) return IMPURE_BRANCH;
    // xt_statistic: matches when a uniform draw falls below the probability.
    return statisticDraw(env, m.probability) !== m.negate ? IMPURE_MATCH : IMPURE_FAIL;
  }
  const addr = ((m.side === 'src' ? env.src : env.dst) & m.mask) >>> 0;
  if (m.command === 'set') {
    // xt_recent --set always matches (unless negated) after recording the address.
    if (!env.explore) env.recent?.set(m.name, addr);
    return m.negate ? IMPURE_FAIL : IMPURE_MATCH;
  }
  if (env.explore) return env.exploreRecent === 'both' ? IMPURE_BRANCH : IMPURE_FAIL;
  const store = env.recent;
  const found = store !== undefined && store.check(m.name, addr, m.seconds);
  if (found && store) {
    if (m.command === 'update') store.set(m.name, addr);
    else if (m.command === 'remove') store.remove(m.name, addr);
  }
  return found !== m.negate ? IMPURE_MATCH : IMPURE_FAIL;
}
