// Prices operations on the simulated clock with the cost model. Pure functions of counts the
// data planes report (rules walked, probes, lines written), never of wall time.
import type { CostModel } from './cost-model.ts';
import type { DataPlane, LookupResult, ProxyModeName, SyncWork } from '../proxy/types.ts';

/** Simulated ns one first packet spends in the proxy's lookup (rule walk or hash probes). */
export function lookupCostNs(cm: CostModel, mode: ProxyModeName, r: LookupResult): number {
  // iptables rules tested, plus IPVS service-table probes (counted apart: a probe is a compare
  // of one hash-chain entry, not a rule's matches).
  let ns = r.rulesEvaluated * cm.iptablesRuleNs + r.hashProbes * cm.ipvsProbeNs;
  if (mode === 'ipvs' && r.verdict === 'DNAT') ns += cm.ipvsScheduleNs;
  return ns;
}

/** Kernel/user crossing for one packet through the userspace proxy: two switches, two copies. */
export function userspaceCrossingNs(cm: CostModel): number {
  return 2 * cm.contextSwitchNs + (2 * cm.packetBytes) / cm.copyBytesPerNs;
}

/** Simulated CPU ns of a connection's first packet (lookup, conntrack entry, forwarding). */
export function firstPacketCpuNs(cm: CostModel, dp: DataPlane, lookupNs: number): number {
  return cm.packetBaseNs + lookupNs + cm.conntrackInsertNs + (dp.perPacketUserspace ? userspaceCrossingNs(cm) : 0);
}

/** Simulated CPU ns of every later packet: a conntrack hit, plus the userspace crossing. */
export function laterPacketCpuNs(cm: CostModel, dp: DataPlane): number {
  return cm.packetBaseNs + cm.conntrackLookupNs + (dp.perPacketUserspace ? userspaceCrossingNs(cm) : 0);
}

export type IptablesProfile = 'modern' | 'legacy';

/**
 * Simulated ns to program what a sync wrote. iptables-restore rewrites whole tables: its cost
 * follows the lines written (modern) or, on legacy xtables, the square of the table size.
 * IPVS pays per netlink operation; userspace per proxy port and per `iptables` invocation,
 * each of which copies the whole table in and out of the kernel.
 */
export function syncCostNs(cm: CostModel, mode: ProxyModeName, w: SyncWork, profile: IptablesProfile = 'modern'): number {
  const restore =
    w.restoreLines * cm.iptablesRestoreLineNs +
    (profile === 'legacy' && w.restoreLines > 0 ? w.totalRules ** 2 * cm.iptablesLegacyRuleSquaredNs : 0);
  switch (mode) {
    case 'iptables':
      return restore;
    case 'ipvs':
      return restore + w.netlinkOps * cm.ipvsNetlinkOpNs + w.ipsetOps * cm.ipsetOpNs;
    case 'userspace':
      return (
        w.portOps * cm.proxyPortOpNs + (w.iptablesInvocations ?? 0) * (cm.iptablesInvocationNs + w.totalRules * cm.iptablesRuleNs) + restore
      );
  }
}

/** Packet journey: what a VXLAN overlay adds to one node-to-node hop (encap, decap, header bytes on the wire). */
export function vxlanOverheadNs(cm: CostModel): number {
  return cm.vxlanEncapNs + cm.vxlanDecapNs + cm.vxlanOverheadBytes / cm.linkBytesPerNs;
}

/** Packet journey: SNAT port selection that tried `candidates` ports (each a conntrack tuple lookup). */
export function snatSearchNs(cm: CostModel, candidates: number): number {
  return candidates * cm.conntrackLookupNs;
}
