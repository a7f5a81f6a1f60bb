// Prices operations on the simulated clock with the cost model. Pure functions of counts the
// data planes report (rules walked, probes, lines written), never of wall time. What is
// particular to a mode is priced by the mode itself (descriptor.pricing); this file adds the
// packet path around it.
import type { IptablesProfile } from '../netfilter/costs.ts';
import type { ProxyModeDescriptor } from '../proxy/mode.ts';
import { getMode } from '../proxy/modes.ts';
import type { LookupResult, SyncWork } from '../proxy/types.ts';
import type { CostModel } from './cost-model.ts';

type ModeRef = string | ProxyModeDescriptor;
const modeOf = (m: ModeRef): ProxyModeDescriptor => (typeof m === 'string' ? getMode(m) : m);

/** Simulated ns one first packet spends in the proxy's lookup (rule walk, hash probes, scheduling). */
export function lookupCostNs(cm: CostModel, mode: ModeRef, r: LookupResult): number {
  return modeOf(mode).pricing.lookupNs(cm, r);
}

/** Kernel/user crossing for one packet through the userspace proxy: two switches, two copies. */
export function userspaceCrossingNs(cm: CostModel): number {
  return 2 * cm.contextSwitchNs + (2 * cm.packetBytes) / cm.copyBytesPerNs;
}

/** Simulated CPU ns of a connection's first packet (lookup, conntrack entry, forwarding). */
export function firstPacketCpuNs(cm: CostModel, mode: ModeRef, lookupNs: number): number {
  const m = modeOf(mode);
  if (m.pricing.packetNs) return m.pricing.packetNs(cm, lookupNs, true);
  return cm.packetBaseNs + lookupNs + cm.conntrackInsertNs + (m.capabilities.perPacketUserspace ? userspaceCrossingNs(cm) : 0);
}

/** Simulated CPU ns of every later packet: a conntrack hit, plus the userspace crossing. */
export function laterPacketCpuNs(cm: CostModel, mode: ModeRef): number {
  const m = modeOf(mode);
  if (m.pricing.packetNs) return m.pricing.packetNs(cm, 0, false);
  return cm.packetBaseNs + cm.conntrackLookupNs + (m.capabilities.perPacketUserspace ? userspaceCrossingNs(cm) : 0);
}

/** Simulated ns to program what a sync wrote (the mode prices its own work). */
export function syncCostNs(cm: CostModel, mode: ModeRef, w: SyncWork, profile: IptablesProfile = 'modern'): number {
  return modeOf(mode).pricing.syncNs(cm, w, { iptablesProfile: profile });
}

/** Packet journey: what a VXLAN overlay adds to one node-to-node hop (encap, decap, header bytes on the wire). */
export function vxlanOverheadNs(cm: CostModel): number {
  return cm.vxlanEncapNs + cm.vxlanDecapNs + cm.vxlanOverheadBytes / cm.linkBytesPerNs;
}

/** Packet journey: SNAT port selection that tried `candidates` ports (each a conntrack tuple lookup). */
export function snatSearchNs(cm: CostModel, candidates: number): number {
  return candidates * cm.conntrackLookupNs;
}
