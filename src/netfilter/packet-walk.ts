// One packet walked through several chains of compiled tables, hook after hook, by the one
// interpreter (compiled-walk.ts): the mark carries over from walk to walk, the rules tested add
// up, and the matched rules are recorded when a path is asked for. Modes that compose the
// kernel's hooks themselves (IPVS at LOCAL_IN, the userspace proxy's portals) walk with it.
import { describeRule, T_DNAT, T_REDIRECT, type CompiledTable } from './compiled.ts';
import { CompiledWalker, CompiledWalkResult } from './compiled-walk.ts';
import type { WalkOptions } from './trace.ts';
import type { Packet, WalkContext } from './types.ts';

export class PacketWalk {
  /** The packet as the rules see it (reused; set with load()). */
  readonly pkt: Packet = { src: 0, dst: 0, proto: 0, sport: 0, dport: 0, mark: 0 };
  /** Rules tested since load(). */
  rules = 0;
  /** Port of the DNAT or REDIRECT that ended the last walk (0: none, or keep the port). */
  natPort = 0;
  private path: string[] | null = null;
  private readonly walker: CompiledWalker;
  private readonly res = new CompiledWalkResult();

  constructor(ctx: WalkContext, opts: WalkOptions = {}) {
    this.walker = new CompiledWalker(ctx, { ...opts, recordPath: true });
  }

  /** Loads a packet (protocol number, as in the IP header); `path` collects "table CHAIN #n: rule" lines. */
  load(src: number, dst: number, proto: number, sport: number, dport: number, bridged: boolean, path: string[] | null): this {
    const p = this.pkt;
    p.src = src >>> 0;
    p.dst = dst >>> 0;
    p.proto = proto;
    p.sport = sport;
    p.dport = dport;
    p.mark = 0;
    p.bridged = bridged;
    this.rules = 0;
    this.natPort = 0;
    this.path = path;
    return this;
  }

  /** Walks `chain` of `ct` (no-op when the chain is absent); returns the verdict code (compiled.ts T_*; 0: fell off the chain). */
  walk(ct: CompiledTable, chain: string): number {
    const c = ct.chainId(chain);
    if (c < 0) return 0;
    const r = this.walker.walk(ct, c, this.pkt, this.res);
    this.pkt.mark = r.mark;
    this.rules += r.rulesEvaluated;
    if (this.path) {
      for (let k = 0; k < r.pathLength; k++) {
        const step = describeRule(ct, r.path[k]);
        this.path.push(`${step.table} ${step.chain} #${step.index}: ${step.text}`);
      }
    }
    const first = r.outputCount > 0 ? r.outputs[0] : -1;
    const kind = first >= 0 ? ct.targetKind[first] : 0;
    this.natPort = kind === T_DNAT || kind === T_REDIRECT ? ct.targetB[first] : 0;
    return r.verdict;
  }
}
