// A parsed ruleset made ready for packets: compiled once, then traced (explore mode: every
// endpoint, like kube-proxy's test tracer) or sampled (one endpoint drawn with the caller's
// random source, as the kernel's `-m statistic` would). Used for kube-proxy's generated rules
// and for real `iptables-save` dumps alike.
import {
  compileRuleset,
  type CompiledRuleset,
  CompiledWalker,
  MemoryRecentStore,
  type RecentStore,
  releaseRuleObjects,
  type Ruleset,
} from '../../netfilter/index.ts';
import type { Rng } from '../../engine/rng.ts';
import type { LookupResult, Packet, PacketOrigin, TraceResult } from '../types.ts';
import { HookWalker, type HookTrace, WalkState } from './hook-walk.ts';
import { treatNfacctAsAlwaysMatching } from './nfacct-adapter.ts';

export interface RulesetPlaneOptions {
  /** Addresses `-m addrtype LOCAL` matches (the node's addresses and 127.0.0.1). */
  localIPs: Set<number>;
  /** Mark bits requesting masquerade (0x4000 for kube-proxy's default masqueradeBit 14). */
  masqueradeMark: number;
  /** `-m recent` lists (ClientIP affinity); shared across syncs as the kernel keeps them. */
  recent?: RecentStore;
}

/** A renderer's ruleset, already compiled (no jump-loop check: its chains are a DAG) and with no rule objects kept. */
export interface GeneratedRuleset {
  compiled: CompiledRuleset;
  /** Builds the same ruleset again (for `ruleset`). */
  rebuild: () => Ruleset;
  /** Each table's rule texts in row order (for trace paths), made without the whole ruleset. */
  texts: () => Map<string, string[]>;
}

export interface DetailedTrace {
  result: TraceResult;
  hooks: HookTrace[];
}

export class RulesetPlane {
  readonly compiled: CompiledRuleset;
  private readonly hooks: HookWalker;
  private readonly explorer: CompiledWalker;
  private readonly sampler: CompiledWalker;
  private readonly state = new WalkState();
  private readonly traceState = new WalkState();
  private rng: Rng | null = null;
  private kept: Ruleset | null;
  private readonly rebuild: (() => Ruleset) | null;
  private readonly makeTexts: (() => Map<string, string[]>) | null;
  /** Rule texts per table of a generated ruleset, made on the first trace that needs them. */
  private texts: Map<string, string[]> | null = null;

  constructor(source: Ruleset | GeneratedRuleset, opts: RulesetPlaneOptions) {
    if ('rebuild' in source) {
      this.compiled = source.compiled;
      this.kept = null;
      this.rebuild = source.rebuild;
      this.makeTexts = source.texts;
      for (const [name, ct] of this.compiled.tables) releaseRuleObjects(ct, (r) => this.ruleText(name, r));
    } else {
      treatNfacctAsAlwaysMatching(source);
      this.compiled = compileRuleset(source);
      this.kept = source;
      this.rebuild = null;
      this.makeTexts = null;
    }
    const local = opts.localIPs;
    const ctx = { isLocal: (ip: number) => local.has(ip) };
    this.hooks = new HookWalker(this.compiled, ctx.isLocal, opts.masqueradeMark);
    // Explore: statistic rules are followed both ways; `recent --rcheck` never matches (no history).
    this.explorer = new CompiledWalker(ctx, { mode: 'explore', recordPath: true });
    this.sampler = new CompiledWalker(ctx, {
      mode: 'deterministic',
      recordPath: false,
      random31: () => this.rng!.nextU31(),
      recent: opts.recent ?? new MemoryRecentStore(),
    });
  }

  trace(packet: Packet, origin: PacketOrigin): TraceResult {
    return this.traceDetailed(packet, origin).result;
  }

  traceDetailed(packet: Packet, origin: PacketOrigin): DetailedTrace {
    const st = this.hooks.run(this.explorer, packet, origin, this.traceState, true);
    const hooks = st.hooks!;
    const path: string[] = [];
    for (const h of hooks) {
      path.push(`hook ${h.table} ${h.chain}`);
      for (const m of h.matched) path.push(`${m.table} ${m.chain} #${m.index} ${targetPart(m.text)}`);
    }
    return {
      result: {
        verdict: st.verdict,
        endpoints: st.endpoints!,
        masquerade: st.masquerade,
        rulesEvaluated: st.rulesEvaluated,
        path,
        ...(st.notModelled > 0 ? { uncertain: true as const } : {}),
      },
      hooks,
    };
  }

  lookup(packet: Packet, origin: PacketOrigin, rng: Rng, out: LookupResult): LookupResult {
    this.rng = rng;
    const st = this.hooks.run(this.sampler, packet, origin, this.state, false);
    out.verdict = st.verdict;
    out.endpointIP = st.endpointIP;
    out.endpointPort = st.endpointPort;
    out.masquerade = st.masquerade;
    out.rulesEvaluated = st.rulesEvaluated;
    out.hashProbes = 0;
    return out;
  }

  /** The ruleset the packets walk (built again each time when the plane keeps only its compiled form). */
  get ruleset(): Ruleset {
    if (this.kept) return this.kept;
    const rs = this.rebuild!();
    treatNfacctAsAlwaysMatching(rs);
    return rs;
  }

  /** Rules and chains in every table of the ruleset. */
  counts(): { rules: number; chains: number } {
    let rules = 0;
    let chains = 0;
    for (const ct of this.compiled.tables.values()) {
      chains += ct.chainCount;
      rules += ct.ruleCount;
    }
    return { rules, chains };
  }

  private ruleText(table: string, r: number): string {
    this.texts ??= this.makeTexts!();
    return this.texts.get(table)![r];
  }
}

/** "-j TARGET [options]" of a rule's text (the part that says where the packet went). */
function targetPart(text: string): string {
  const j = Math.max(text.lastIndexOf(' -j '), text.lastIndexOf(' -g '));
  if (j >= 0) return text.slice(j + 1);
  return text.startsWith('-j ') || text.startsWith('-g ') ? text : '(no target)';
}
