// Walks the first packet of a connection through a node's nat and filter tables in kernel
// hook order, over the compiled (typed-array) walker:
//   from a pod or the network: nat PREROUTING, then filter INPUT + nat INPUT when the
//     (DNATed) destination is local, else filter FORWARD + nat POSTROUTING;
//   from the node itself: nat OUTPUT, filter OUTPUT, nat POSTROUTING, then filter INPUT when
//     the destination is local (loopback delivery).
// This is kube-proxy's test tracer (proxier_test.go, tracePacket) made kernel-faithful: it runs
// nat PREROUTING, applies the first DNAT, then the filter chains; here the filter chains are
// reached through the built-in chains' jump rules instead of being called directly.
// rulesEvaluated counts the rules tested in the DNAT hook, the part that grows with the number
// of services (the rules before the service's in KUBE-SERVICES, then its own chains); each
// hook's own count is in the trace's hook list.
import {
  type CompiledRuleset,
  type CompiledTable,
  CompiledWalker,
  CompiledWalkResult,
  describeRule,
  type Packet as NfPacket,
  type PathStep,
  verdictName,
} from '../../netfilter/index.ts';
import { T_ACCEPT, T_DNAT, T_DROP, T_MASQUERADE, T_REJECT, T_SNAT } from '../../netfilter/compiled.ts';
import { CT_STATES } from '../../netfilter/values.ts';
import type { Packet, PacketOrigin, Verdict } from '../types.ts';

/** One hook walked, for trace output. */
export interface HookTrace {
  table: string;
  chain: string;
  /** Rules that matched, in order. */
  matched: PathStep[];
  /** Terminal target reached ('NONE' when the walk fell off the chain). */
  verdict: string;
  byPolicy: boolean;
  rulesEvaluated: number;
}

/** Reusable outcome of one walk (no allocation on the lookup path). */
export class WalkState {
  verdict: Verdict = 'NONE';
  dnat = false;
  endpointIP = 0;
  endpointPort = 0;
  masquerade = false;
  /** Rules tested in the DNAT hook (nat PREROUTING or OUTPUT): the service lookup. */
  rulesEvaluated = 0;
  /** Rules reached that the model cannot evaluate (unknown matches or targets): the answer is uncertain. */
  notModelled = 0;
  /** Trace only: every DNAT destination reached ("ip:port"), and the hooks walked. */
  endpoints: string[] | null = null;
  hooks: HookTrace[] | null = null;

  reset(detail: boolean): void {
    this.verdict = 'NONE';
    this.notModelled = 0;
    this.dnat = false;
    this.endpointIP = this.endpointPort = 0;
    this.masquerade = false;
    this.rulesEvaluated = 0;
    this.endpoints = detail ? [] : null;
    this.hooks = detail ? [] : null;
  }
}

export class HookWalker {
  private readonly nat: CompiledTable | undefined;
  private readonly filter: CompiledTable | undefined;
  private readonly natPrerouting: number;
  private readonly natInput: number;
  private readonly natOutput: number;
  private readonly natPostrouting: number;
  private readonly filterInput: number;
  private readonly filterForward: number;
  private readonly filterOutput: number;
  private readonly nf: NfPacket = { src: 0, dst: 0, proto: 0, sport: 0, dport: 0, mark: 0, ctBits: CT_STATES.NEW };
  private readonly res = new CompiledWalkResult();

  /**
   * @param masqueradeMark mark bits that request masquerading (kube-proxy: 0x4000); a packet
   *   carrying them after the first nat hook counts as masqueraded, as the tracer counts a
   *   jump to KUBE-MARK-MASQ. 0 to rely on MASQUERADE/SNAT in POSTROUTING only.
   */
  constructor(
    compiled: CompiledRuleset,
    private readonly isLocal: (ip: number) => boolean,
    private readonly masqueradeMark: number,
  ) {
    this.nat = compiled.tables.get('nat');
    this.filter = compiled.tables.get('filter');
    const idx = (t: CompiledTable | undefined, c: string) => t?.chainId(c) ?? -1;
    this.natPrerouting = idx(this.nat, 'PREROUTING');
    this.natInput = idx(this.nat, 'INPUT');
    this.natOutput = idx(this.nat, 'OUTPUT');
    this.natPostrouting = idx(this.nat, 'POSTROUTING');
    this.filterInput = idx(this.filter, 'INPUT');
    this.filterForward = idx(this.filter, 'FORWARD');
    this.filterOutput = idx(this.filter, 'OUTPUT');
  }

  /** Walks `pkt` with `walker` (explore or sampling), filling `st`; detail records hooks and endpoints. */
  run(walker: CompiledWalker, pkt: Packet, origin: PacketOrigin, st: WalkState, detail: boolean): WalkState {
    st.reset(detail);
    const nf = this.nf;
    nf.src = pkt.src >>> 0;
    nf.dst = pkt.dst >>> 0;
    nf.proto = pkt.proto;
    nf.sport = pkt.sport;
    nf.dport = pkt.dport;
    nf.mark = 0;
    nf.ctBits = CT_STATES.NEW;
    let accepted = false;

    // Destination NAT: nat PREROUTING or OUTPUT.
    const natHook = origin === 'local' ? this.natOutput : this.natPrerouting;
    if (natHook >= 0) {
      const r = this.hook(walker, this.nat!, natHook, st);
      // rulesEvaluated is the cost of the service lookup: the rules tested in this hook.
      st.rulesEvaluated = r.rulesEvaluated;
      if (this.dropped(r, st)) return st;
      const ct = this.nat!;
      for (let k = 0; k < r.outputCount; k++) {
        const rid = r.outputs[k];
        if (ct.targetKind[rid] !== T_DNAT) continue;
        if (st.endpoints) st.endpoints.push(ct.outputText(rid));
        if (!st.dnat) {
          st.dnat = true;
          st.endpointIP = ct.targetA[rid] >>> 0;
          st.endpointPort = ct.targetB[rid] === 0 ? nf.dport : ct.targetB[rid];
        }
      }
      if (st.dnat) {
        nf.dst = st.endpointIP;
        nf.dport = st.endpointPort;
        nf.ctBits = CT_STATES.NEW | CT_STATES.DNAT;
      }
      const mm = this.masqueradeMark;
      if (mm !== 0 && (nf.mark & mm) >>> 0 === mm) st.masquerade = true;
    }

    const toLocal = this.isLocal(nf.dst);
    if (origin === 'local') {
      if (this.filterOutput >= 0) {
        const r = this.hook(walker, this.filter!, this.filterOutput, st);
        if (this.dropped(r, st)) return st;
        accepted ||= r.verdict === T_ACCEPT && !r.byPolicy;
      }
      this.postrouting(walker, st);
      if (toLocal && this.filterInput >= 0) {
        const r = this.hook(walker, this.filter!, this.filterInput, st);
        if (this.dropped(r, st)) return st;
        accepted ||= r.verdict === T_ACCEPT && !r.byPolicy;
      }
    } else if (toLocal) {
      if (this.filterInput >= 0) {
        const r = this.hook(walker, this.filter!, this.filterInput, st);
        if (this.dropped(r, st)) return st;
        accepted ||= r.verdict === T_ACCEPT && !r.byPolicy;
      }
      if (this.natInput >= 0) this.hook(walker, this.nat!, this.natInput, st);
    } else {
      if (this.filterForward >= 0) {
        const r = this.hook(walker, this.filter!, this.filterForward, st);
        if (this.dropped(r, st)) return st;
        accepted ||= r.verdict === T_ACCEPT && !r.byPolicy;
      }
      this.postrouting(walker, st);
    }
    st.verdict = st.dnat ? 'DNAT' : accepted ? 'ACCEPT' : 'NONE';
    return st;
  }

  private postrouting(walker: CompiledWalker, st: WalkState): void {
    if (this.natPostrouting < 0) return;
    const r = this.hook(walker, this.nat!, this.natPostrouting, st);
    const ct = this.nat!;
    for (let k = 0; k < r.outputCount; k++) {
      const kind = ct.targetKind[r.outputs[k]];
      if (kind === T_MASQUERADE || kind === T_SNAT) st.masquerade = true;
    }
  }

  private hook(walker: CompiledWalker, ct: CompiledTable, chain: number, st: WalkState): CompiledWalkResult {
    const r = walker.walk(ct, chain, this.nf, this.res);
    this.nf.mark = r.mark;
    st.notModelled += r.unsupportedSkipped + r.unknownTargets;
    if (st.hooks) {
      const matched: PathStep[] = [];
      for (let k = 0; k < r.pathLength; k++) matched.push(describeRule(ct, r.path[k]));
      st.hooks.push({
        table: ct.name,
        chain: ct.chainName(chain),
        matched,
        verdict: verdictName(r.verdict),
        byPolicy: r.byPolicy,
        rulesEvaluated: r.rulesEvaluated,
      });
    }
    return r;
  }

  private dropped(r: CompiledWalkResult, st: WalkState): boolean {
    if (r.verdict !== T_DROP && r.verdict !== T_REJECT) return false;
    st.verdict = r.verdict === T_DROP ? 'DROP' : 'REJECT';
    return true;
  }
}
