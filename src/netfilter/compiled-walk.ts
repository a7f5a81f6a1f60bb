// The walker over a compiled table (compiled.ts). Same semantics as trace.ts, rule for
// rule; the property test in test/netfilter checks they agree on random rulesets.

import {
  describeRule,
  verdictName,
  T_DNAT,
  T_DROP,
  T_GOTO,
  T_JUMP,
  T_LOG,
  T_MARK,
  T_NONE,
  T_RETURN,
  T_SNAT,
  T_UNKNOWN,
  F_CT,
  F_CT_NEG,
  F_DPORT,
  F_DPORT_NEG,
  F_DSTLOCAL,
  F_DSTLOCAL_NEG,
  F_DST_NEG,
  F_EXTRAS,
  F_IN,
  F_IN_NEG,
  F_IN_WILD,
  F_MARK,
  F_MARK_NEG,
  F_NEVER,
  F_OUT,
  F_OUT_NEG,
  F_OUT_WILD,
  F_PROTO,
  F_PROTO_NEG,
  F_SLOW_IMPURE,
  F_SLOW_PURE,
  F_SPORT,
  F_SPORT_NEG,
  F_SRC,
  F_SRCLOCAL,
  F_SRCLOCAL_NEG,
  F_SRC_NEG,
  F_STAT,
  F_STAT_NEG,
  type CompiledTable,
  type RuleExtras,
} from './compiled.ts';
import { impureResult, pureMatches, IMPURE_BRANCH, IMPURE_FAIL, IMPURE_MATCH, type ImpureMatch, type MatchEnv } from './match-eval.ts';
import { makeEnv, type PathStep, type WalkOptions, type WalkResult } from './trace.ts';
import type { Match, Packet, WalkContext } from './types.ts';
import { CT_STATES } from './values.ts';

/** Reusable walk result: numbers and rule ids only. */
export class CompiledWalkResult {
  /** Verdict code (see verdictName): the first terminal target, else 0 / T_DROP by policy. */
  verdict = 0;
  byPolicy = false;
  mark = 0;
  rulesEvaluated = 0;
  unsupportedSkipped = 0;
  unknownTargets = 0;
  /** Rule ids of the terminal targets reached, in order (first outputCount entries). */
  outputs: Int32Array = new Int32Array(4);
  outputCount = 0;
  /** Rule ids that matched, in order (first pathLength entries; 0 when paths are off). */
  path: Int32Array = new Int32Array(16);
  pathLength = 0;

  reset(): void {
    this.verdict = 0;
    this.byPolicy = false;
    this.mark = 0;
    this.rulesEvaluated = this.unsupportedSkipped = this.unknownTargets = 0;
    this.outputCount = this.pathLength = 0;
  }

  pushOutput(r: number): void {
    if (this.outputCount === this.outputs.length) this.outputs = grow(this.outputs);
    this.outputs[this.outputCount++] = r;
  }

  pushPath(r: number): void {
    if (this.pathLength === this.path.length) this.path = grow(this.path);
    this.path[this.pathLength++] = r;
  }
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/**
 * Walks compiled tables. Create one per simulation (options and context are fixed), then
 * call walk() per packet with a reused CompiledWalkResult: no allocation per packet.
 */
export class CompiledWalker {
  private readonly env: MatchEnv;
  private readonly recordPath: boolean;
  private ct!: CompiledTable;
  private out!: CompiledWalkResult;

  constructor(ctx: WalkContext, opts: WalkOptions = {}) {
    this.env = makeEnv({ src: 0, dst: 0, proto: 0, sport: 0, dport: 0, mark: 0 }, ctx, opts);
    this.recordPath = opts.recordPath ?? true;
  }

  /** Walks chain `chain` (index or name) of `ct` with `pkt`, filling and returning `out`. */
  walk(ct: CompiledTable, chain: number | string, pkt: Packet, out: CompiledWalkResult = new CompiledWalkResult()): CompiledWalkResult {
    const c = typeof chain === 'number' ? chain : ct.chainId(chain);
    if (c < 0 || c >= ct.chainCount) throw new Error(`no chain "${chain}" in table ${ct.name}`);
    const env = this.env;
    env.src = pkt.src >>> 0;
    env.dst = pkt.dst >>> 0;
    env.proto = pkt.proto;
    env.sport = pkt.sport;
    env.dport = pkt.dport;
    env.mark = pkt.mark >>> 0;
    env.ctBits = pkt.ctBits ?? CT_STATES.NEW;
    env.inIface = pkt.inIface ?? '';
    env.outIface = pkt.outIface ?? '';
    env.bridged = pkt.bridged === true;
    return this.walkEnv(ct, c, out);
  }

  /** As walk(), continuing from the walker's current packet state (used across hooks). */
  walkEnv(ct: CompiledTable, c: number, out: CompiledWalkResult): CompiledWalkResult {
    this.ct = ct;
    this.out = out;
    out.reset();
    const terminal = this.runChain(c);
    if (!terminal) {
      out.byPolicy = true;
      if (out.verdict === 0 && ct.chainDrop[c] === 1) out.verdict = T_DROP;
    }
    out.mark = this.env.mark;
    return out;
  }

  // The hot loop. Its first test needs no flag: a rule without a positive -d has mask and
  // address 0, which every destination passes, so the common miss in a long chain such as
  // KUBE-SERVICES (another service's cluster IP) costs two array reads and a compare. Every
  // rule reached counts as evaluated, added up where the chain is left.
  private runChain(c: number): boolean {
    const ct = this.ct;
    const out = this.out;
    const env = this.env;
    const flags = ct.flags;
    const dstAddr = ct.dstAddr;
    const dstMask = ct.dstMask;
    const src = env.src | 0,
      dst = env.dst | 0,
      proto = env.proto,
      dport = env.dport,
      ctBits = env.ctBits;
    const historyNever = env.historyNever,
      explore = env.explore;
    const start = ct.chainStart[c];
    const end = ct.chainEnd[c];
    for (let r = start; r < end; r++) {
      if ((dst & dstMask[r]) !== dstAddr[r]) continue;
      const f = flags[r];
      if (f !== 0) {
        if (f & F_NEVER) {
          out.unsupportedSkipped++;
          continue;
        }
        if (f & F_PROTO && (proto === ct.proto[r]) === ((f & F_PROTO_NEG) !== 0)) continue;
        if (f & F_DPORT) {
          if (proto !== ct.dportProto[r]) continue;
          if ((dport >= ct.dportLo[r] && dport <= ct.dportHi[r]) === ((f & F_DPORT_NEG) !== 0)) continue;
        }
        if (f & F_SRC && ((src & ct.srcMask[r]) === ct.srcAddr[r]) === ((f & F_SRC_NEG) !== 0)) continue;
        if (f & F_SRCLOCAL && env.ctx.isLocal(src >>> 0) === ((f & F_SRCLOCAL_NEG) !== 0)) continue;
        if (f & F_DSTLOCAL && env.ctx.isLocal(dst >>> 0) === ((f & F_DSTLOCAL_NEG) !== 0)) continue;
        if (f & F_CT) {
          if (historyNever) continue;
          if (((ctBits & ct.ctBits[r]) !== 0) === ((f & F_CT_NEG) !== 0)) continue;
        }
        if (f & F_EXTRAS && !extrasMatch(ct.extras[ct.aux[r]], f, env)) continue;
      }
      let branch = false;
      if (f & F_STAT) {
        if (explore) branch = true;
        else {
          // Inline, not statisticDraw(): a double passed to a call that is not inlined is boxed
          // (a heap allocation per draw); here it stays in a register.
          const r31 = env.random31;
          const hit = r31 !== null ? r31() < ct.statProb[r] * 2147483648 : env.random() < ct.statProb[r];
          if (hit === ((f & F_STAT_NEG) !== 0)) continue;
        }
      } else if (f & F_SLOW_IMPURE) {
        const v = impure(ct.extras[ct.aux[r]].slowImpure!, env);
        if (v === IMPURE_FAIL) continue;
        branch = v === IMPURE_BRANCH;
      }
      if (this.recordPath) out.pushPath(r);
      const kind = ct.targetKind[r];
      switch (kind) {
        case T_NONE:
        case T_LOG:
          break;
        case T_UNKNOWN:
          out.unknownTargets++;
          break;
        case T_MARK:
          env.mark = ((env.mark & ~ct.targetB[r]) ^ ct.targetA[r]) >>> 0;
          break;
        case T_JUMP:
        case T_GOTO: {
          const next = ct.targetA[r];
          if (next < 0) {
            out.unknownTargets++;
            break;
          }
          const terminal = this.runChain(next);
          if (branch) break;
          if (terminal || kind === T_GOTO) {
            out.rulesEvaluated += r - start + 1;
            return terminal;
          }
          break;
        }
        case T_RETURN:
          if (branch) break;
          out.rulesEvaluated += r - start + 1;
          return false;
        default:
          out.pushOutput(r);
          if (out.verdict === 0) out.verdict = kind;
          if (branch) break;
          out.rulesEvaluated += r - start + 1;
          return true;
      }
    }
    out.rulesEvaluated += end - start;
    return false;
  }
}

/** The tests whose operands are in the rule's extras object (rare in kube-proxy's rules). */
function extrasMatch(x: RuleExtras, f: number, env: MatchEnv): boolean {
  if (f & F_DST_NEG && (env.dst & x.dstNegMask) >>> 0 === x.dstNegAddr >>> 0) return false;
  if (f & F_IN) {
    const hit = f & F_IN_WILD ? env.inIface.startsWith(x.inIface) : env.inIface === x.inIface;
    if (hit === ((f & F_IN_NEG) !== 0)) return false;
  }
  if (f & F_OUT) {
    const hit = f & F_OUT_WILD ? env.outIface.startsWith(x.outIface) : env.outIface === x.outIface;
    if (hit === ((f & F_OUT_NEG) !== 0)) return false;
  }
  if (f & F_SPORT) {
    if (env.proto !== x.sportProto) return false;
    if ((env.sport >= x.sportLo && env.sport <= x.sportHi) === ((f & F_SPORT_NEG) !== 0)) return false;
  }
  if (f & F_MARK) {
    if (env.historyNever) return false;
    if (((env.mark & x.markMask) >>> 0 === x.markValue) === ((f & F_MARK_NEG) !== 0)) return false;
  }
  if (f & F_SLOW_PURE && !allPure(x.slowPure!, env)) return false;
  return true;
}

function allPure(ms: Match[], env: MatchEnv): boolean {
  for (let k = 0; k < ms.length; k++) if (!pureMatches(ms[k], env)) return false;
  return true;
}

function impure(ms: ImpureMatch[], env: MatchEnv): number {
  let result = IMPURE_MATCH;
  for (let k = 0; k < ms.length; k++) {
    const v = impureResult(ms[k], env);
    if (v === IMPURE_FAIL) return IMPURE_FAIL;
    if (v === IMPURE_BRANCH) result = IMPURE_BRANCH;
  }
  return result;
}

/** One-off convenience walk (allocates a walker and a result). */
export function walkCompiled(
  ct: CompiledTable,
  chain: number | string,
  pkt: Packet,
  ctx: WalkContext,
  opts: WalkOptions = {},
): CompiledWalkResult {
  return new CompiledWalker(ctx, opts).walk(ct, chain, pkt);
}

/** Converts a compiled result to the readable walker's shape (for reports and tests). */
export function toWalkResult(ct: CompiledTable, out: CompiledWalkResult): WalkResult {
  const outputs: string[] = [];
  const dnat: string[] = [];
  const snat: string[] = [];
  for (let k = 0; k < out.outputCount; k++) {
    const r = out.outputs[k];
    outputs.push(ct.outputText(r));
    if (ct.targetKind[r] === T_DNAT) dnat.push(ct.natText(r));
    else if (ct.targetKind[r] === T_SNAT) snat.push(ct.natText(r));
  }
  const path: PathStep[] = [];
  for (let k = 0; k < out.pathLength; k++) path.push(describeRule(ct, out.path[k]));
  return {
    verdict: verdictName(out.verdict),
    byPolicy: out.byPolicy,
    outputs,
    dnat,
    snat,
    mark: out.mark,
    rulesEvaluated: out.rulesEvaluated,
    unsupportedSkipped: out.unsupportedSkipped,
    unknownTargets: out.unknownTargets,
    path,
  };
}
