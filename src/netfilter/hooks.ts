// Walking a packet through several (table, chain) hooks in kernel order.
//
// Netfilter hook order for IPv4 (priorities from include/uapi/linux/netfilter_ipv4.h:
// NAT_DST -100 < FILTER 0 < NAT_SRC 100):
//   from the network: nat PREROUTING -> routing -> filter INPUT -> nat INPUT       (to this host)
//                                               -> filter FORWARD -> nat POSTROUTING (forwarded)
//   generated locally: nat OUTPUT -> filter OUTPUT -> nat POSTROUTING
// The nat table only sees the first packet of a connection (ctstate NEW): iptables(8),
// "nat: This table is consulted when a packet that creates a new connection is encountered".
// DNAT in a nat chain rewrites the destination that later hooks (and routing) see, as both
// the kernel and kube-proxy's tracer do.

import { parseNatRange } from './target-parse.ts';
import { makeEnv, walkChainEnv, type WalkOptions, type WalkResult } from './trace.ts';
import type { Packet, Ruleset, TableName, WalkContext } from './types.ts';
import type { MatchEnv } from './match-eval.ts';
import { CT_STATES } from './values.ts';

export interface HookStep {
  table: TableName;
  chain: string;
}

export interface HooksOptions extends WalkOptions {
  /**
   * Mark bits that request masquerading (kube-proxy: 0x4000). When set, the result reports
   * `masquerade` as soon as the packet mark carries all these bits after some hook, like
   * kube-proxy's tracer reports a jump to KUBE-MARK-MASQ.
   */
  masqueradeMark?: number;
}

export interface HookStepResult extends HookStep {
  result: WalkResult;
}

export interface HooksResult {
  /** 'DROP' or 'REJECT' when a hook dropped the packet (later hooks are not walked), else 'ACCEPT'. */
  verdict: 'ACCEPT' | 'DROP' | 'REJECT';
  /** The packet after all hooks: destination rewritten by DNAT, source by SNAT, final mark. */
  packet: Packet;
  /** The DNAT destination applied (the first one found in a nat hook), or null. */
  dnat: string | null;
  /** Every DNAT destination found in nat hooks (explore mode: every reachable endpoint). */
  dnatCandidates: string[];
  /** MASQUERADE was hit, or the masquerade mark was seen. */
  masquerade: boolean;
  /** Hooks that were walked (missing tables/chains and skipped nat hooks are absent). */
  steps: HookStepResult[];
  rulesEvaluated: number;
}

export function inboundHooks(toLocalHost: boolean): HookStep[] {
  return toLocalHost
    ? [
        { table: 'nat', chain: 'PREROUTING' },
        { table: 'filter', chain: 'INPUT' },
        { table: 'nat', chain: 'INPUT' },
      ]
    : [
        { table: 'nat', chain: 'PREROUTING' },
        { table: 'filter', chain: 'FORWARD' },
        { table: 'nat', chain: 'POSTROUTING' },
      ];
}

export function localOutputHooks(): HookStep[] {
  return [
    { table: 'nat', chain: 'OUTPUT' },
    { table: 'filter', chain: 'OUTPUT' },
    { table: 'nat', chain: 'POSTROUTING' },
  ];
}

/** Walks the hooks in the given order. */
export function walkHooks(rs: Ruleset, pkt: Packet, ctx: WalkContext, hooks: readonly HookStep[], opts: HooksOptions = {}): HooksResult {
  const run = new HookRun(rs, pkt, ctx, opts);
  run.steps(hooks);
  return run.finish();
}

/** A packet from the network: nat PREROUTING, then INPUT or FORWARD by the (DNATed) destination. */
export function walkInbound(rs: Ruleset, pkt: Packet, ctx: WalkContext, opts: HooksOptions = {}): HooksResult {
  const run = new HookRun(rs, pkt, ctx, opts);
  const hooks = inboundHooks(false);
  run.steps(hooks.slice(0, 1));
  if (!run.stopped) run.steps(inboundHooks(ctx.isLocal(run.env.dst)).slice(1));
  return run.finish();
}

/** A locally generated packet: nat OUTPUT, filter OUTPUT, nat POSTROUTING. */
export function walkLocalOutput(rs: Ruleset, pkt: Packet, ctx: WalkContext, opts: HooksOptions = {}): HooksResult {
  return walkHooks(rs, pkt, ctx, localOutputHooks(), opts);
}

class HookRun {
  readonly env: MatchEnv;
  stopped = false;
  private verdict: HooksResult['verdict'] = 'ACCEPT';
  private dnat: string | null = null;
  private readonly candidates: string[] = [];
  private masquerade = false;
  private readonly stepResults: HookStepResult[] = [];
  private rulesEvaluated = 0;

  constructor(
    private readonly rs: Ruleset,
    private readonly pkt: Packet,
    ctx: WalkContext,
    private readonly opts: HooksOptions,
  ) {
    this.env = makeEnv(pkt, ctx, opts);
  }

  steps(hooks: readonly HookStep[]): void {
    const env = this.env;
    for (const h of hooks) {
      if (this.stopped) return;
      if (h.table === 'nat' && (env.ctBits & CT_STATES.NEW) === 0) continue;
      const table = this.rs.tables.find((t) => t.name === h.table);
      if (!table || !table.byName.has(h.chain)) continue;
      const result = walkChainEnv(table, h.chain, env, this.opts.recordPath ?? true);
      this.stepResults.push({ ...h, result });
      this.rulesEvaluated += result.rulesEvaluated;
      const mm = this.opts.masqueradeMark;
      if (mm !== undefined && mm !== 0 && (env.mark & mm) >>> 0 === mm >>> 0) this.masquerade = true;
      if (result.outputs.includes('MASQUERADE')) this.masquerade = true;
      if (result.verdict === 'DROP' || result.verdict === 'REJECT') {
        this.verdict = result.verdict;
        this.stopped = true;
        return;
      }
      if (h.table !== 'nat') continue;
      this.candidates.push(...result.dnat);
      if (result.dnat.length > 0 && this.dnat === null) {
        this.dnat = result.dnat[0];
        const { ip, port } = parseNatRange(this.dnat, '--to-destination');
        env.dst = ip;
        if (port !== 0) env.dport = port;
        env.ctBits |= CT_STATES.DNAT;
      }
      if (result.verdict === 'SNAT' && result.snat.length > 0) env.src = parseNatRange(result.snat[0], '--to-source').ip;
    }
  }

  finish(): HooksResult {
    const env = this.env;
    return {
      verdict: this.verdict,
      packet: { ...this.pkt, src: env.src, dst: env.dst, sport: env.sport, dport: env.dport, mark: env.mark },
      dnat: this.dnat,
      dnatCandidates: this.candidates,
      masquerade: this.masquerade,
      steps: this.stepResults,
      rulesEvaluated: this.rulesEvaluated,
    };
  }
}
