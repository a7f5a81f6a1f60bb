// The readable packet walker: follows one table's chains the way ipt_do_table does.
//
// Kernel semantics (iptables(8) "TARGETS", iptables-extensions(8)):
// - rules are tested in order; a rule with no target only counts and the walk goes on;
// - `-j CHAIN` enters the chain; RETURN or falling off its end resumes after the jump;
// - `-g CHAIN` enters the chain without a return address: its RETURN resumes after the
//   last `-j` (or ends the walk in the built-in chain, whose policy then applies);
// - ACCEPT, DROP, REJECT, DNAT, SNAT, MASQUERADE, REDIRECT end the walk of this table;
// - MARK and LOG act and the walk goes on;
// - falling off the end of the built-in chain applies its policy.
//
// Explore mode mirrors kube-proxy's test tracer (pkg/proxy/iptables/proxier_test.go):
// a rule whose `-m statistic` (or, with exploreRecent 'both', `-m recent --rcheck`) is
// what makes it probabilistic is followed as if it matched (its jump is walked and any
// DNAT destination or verdict found there is collected) and then the walk continues
// with the next rule as if it had not matched. A terminal target reached anywhere else
// ends the walk up to the nearest such branch point. So `outputs` lists every endpoint
// a packet can be DNATed to, in rule order.

import { impureResult, isImpure, pureMatches, IMPURE_BRANCH, IMPURE_FAIL, IMPURE_MATCH, type MatchEnv } from './match-eval.ts';
import type { RecentStore } from './recent.ts';
import type { Chain, Packet, Rule, Table, WalkContext } from './types.ts';
import { CT_STATES } from './values.ts';

export type Verdict = 'ACCEPT' | 'DROP' | 'REJECT' | 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT' | 'NONE';

export interface WalkOptions {
  /** 'deterministic' (default) draws random numbers; 'explore' follows probabilistic rules both ways. */
  mode?: 'deterministic' | 'explore';
  /** Uniform [0,1) source for `-m statistic` in deterministic mode (default Math.random). */
  random?: () => number;
  /**
   * Instead of `random`: a uniform integer in [0, 2^31), compared with probability x 2^31 (hot
   * paths: no double crosses the call, so a draw allocates nothing).
   */
  random31?: () => number;
  /** Lists for `-m recent`; without it `--rcheck` never matches and `--set` records nothing. */
  recent?: RecentStore;
  /** Record the rules that matched (default true). */
  recordPath?: boolean;
  /** Explore mode: 'never' (default, like kube-proxy's tracer) or 'both' for `recent --rcheck`. */
  exploreRecent?: 'never' | 'both';
  /**
   * 'evaluate' (default) tests `-m mark` and `-m conntrack` against the packet; 'never'
   * makes them never match, exactly as kube-proxy's tracer does ("any rule that checks for
   * past state/history does not match").
   */
  history?: 'evaluate' | 'never';
}

export interface PathStep {
  table: string;
  chain: string;
  /** 1-based, as `iptables -L --line-numbers` shows. */
  index: number;
  text: string;
}

export interface WalkResult {
  /**
   * The first terminal target reached ('DNAT', 'ACCEPT', ...). When none was reached the
   * walk fell off the start chain: 'DROP' if it is a built-in chain with policy DROP,
   * otherwise 'NONE' (policy ACCEPT, or a user chain walked directly, as the tracer does).
   */
  verdict: Verdict;
  /** True when the walk ended by falling off the end of the start chain. */
  byPolicy: boolean;
  /** Terminal outcomes in order: the `--to-destination` text for DNAT, else the target name. */
  outputs: string[];
  /** The DNAT destinations among `outputs` (`--to-destination` text). */
  dnat: string[];
  /** The SNAT sources reached (`--to-source` text), in order. */
  snat: string[];
  /** Packet mark after the walk. */
  mark: number;
  /** Rules whose matches were tested, once per test, including those that matched. */
  rulesEvaluated: number;
  /** Rule tests that failed only because the rule has unsupported/unknown matches. */
  unsupportedSkipped: number;
  /** Matched rules whose target is unknown (or a jump to a missing chain): treated as no-ops. */
  unknownTargets: number;
  /** Rules that matched, in order (empty when recordPath is false). */
  path: PathStep[];
}

/** Fills the reusable MatchEnv from a packet and options. */
export function makeEnv(pkt: Packet, ctx: WalkContext, opts: WalkOptions): MatchEnv {
  return {
    src: pkt.src >>> 0,
    dst: pkt.dst >>> 0,
    proto: pkt.proto,
    sport: pkt.sport,
    dport: pkt.dport,
    mark: pkt.mark >>> 0,
    ctBits: pkt.ctBits ?? CT_STATES.NEW,
    inIface: pkt.inIface ?? '',
    outIface: pkt.outIface ?? '',
    bridged: pkt.bridged === true,
    ctx,
    historyNever: opts.history === 'never',
    explore: opts.mode === 'explore',
    exploreRecent: opts.exploreRecent ?? 'never',
    random: opts.random ?? Math.random,
    random31: opts.random31 ?? null,
    recent: opts.recent,
  };
}

/** Walks `chain` of `table` with `pkt`. Throws on a jump loop. */
export function walkChain(table: Table, chain: string, pkt: Packet, ctx: WalkContext, opts: WalkOptions = {}): WalkResult {
  return walkChainEnv(table, chain, makeEnv(pkt, ctx, opts), opts.recordPath ?? true);
}

/** As walkChain, with a caller-owned MatchEnv (its mark is updated in place). */
export function walkChainEnv(table: Table, chain: string, env: MatchEnv, recordPath: boolean): WalkResult {
  const res: WalkResult = {
    verdict: 'NONE',
    byPolicy: false,
    outputs: [],
    dnat: [],
    snat: [],
    mark: env.mark,
    rulesEvaluated: 0,
    unsupportedSkipped: 0,
    unknownTargets: 0,
    path: [],
  };
  const start = table.byName.get(chain);
  if (!start) throw new Error(`no chain "${chain}" in table ${table.name}`);
  const stack: string[] = [];

  const runChain = (c: Chain): boolean => {
    // Re-entering a chain that is still on the stack can only happen through a loop (the
    // kernel refuses such tables at load time: mark_source_chains, ELOOP).
    const at = stack.indexOf(c.name);
    if (at >= 0) throw new Error(`jump loop in table ${table.name}: ${[...stack.slice(at), c.name].join(' -> ')}`);
    stack.push(c.name);
    const rules = c.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      res.rulesEvaluated++;
      if (r.unsupported.length > 0) {
        res.unsupportedSkipped++;
        continue;
      }
      const m = ruleMatches(r, env);
      if (m === IMPURE_FAIL) continue;
      const branch = m === IMPURE_BRANCH;
      if (recordPath) res.path.push({ table: table.name, chain: c.name, index: i + 1, text: r.text });
      const t = r.target;
      switch (t.kind) {
        case 'none':
        case 'LOG':
          break;
        case 'unknown':
          res.unknownTargets++;
          break;
        case 'MARK':
          env.mark = ((env.mark & ~t.clear) ^ t.xor) >>> 0;
          break;
        case 'jump':
        case 'goto': {
          const next = table.byName.get(t.chain);
          if (!next) {
            res.unknownTargets++;
            break;
          }
          const terminal = runChain(next);
          // Explore mode treats a probabilistic goto like a jump: continue with the next rule.
          if (branch) break;
          if (terminal || t.kind === 'goto') {
            stack.pop();
            return terminal;
          }
          break;
        }
        case 'RETURN':
          if (branch) break;
          stack.pop();
          return false;
        default:
          // ACCEPT, DROP, REJECT, DNAT, SNAT, MASQUERADE, REDIRECT.
          res.outputs.push(t.kind === 'DNAT' ? t.toDestination : t.kind);
          if (t.kind === 'DNAT') res.dnat.push(t.toDestination);
          else if (t.kind === 'SNAT') res.snat.push(t.toSource);
          if (res.verdict === 'NONE') res.verdict = t.kind;
          if (branch) break;
          stack.pop();
          return true;
      }
    }
    stack.pop();
    return false;
  };

  const terminal = runChain(start);
  if (!terminal) {
    res.byPolicy = true;
    if (res.verdict === 'NONE' && start.builtin && start.policy === 'DROP') res.verdict = 'DROP';
  }
  res.mark = env.mark;
  return res;
}

/** IMPURE_FAIL, IMPURE_MATCH or IMPURE_BRANCH: pure matches first, then impure in rule order. */
export function ruleMatches(r: Rule, env: MatchEnv): number {
  const ms = r.matches;
  let hasImpure = false;
  for (let k = 0; k < ms.length; k++) {
    const m = ms[k];
    if (isImpure(m)) hasImpure = true;
    else if (!pureMatches(m, env)) return IMPURE_FAIL;
  }
  if (!hasImpure) return IMPURE_MATCH;
  let result = IMPURE_MATCH;
  for (let k = 0; k < ms.length; k++) {
    const m = ms[k];
    if (!isImpure(m)) continue;
    const v = impureResult(m, env);
    if (v === IMPURE_FAIL) return IMPURE_FAIL;
    if (v === IMPURE_BRANCH) result = IMPURE_BRANCH;
  }
  return result;
}
