// MASQUERADE as a decision on one packet, independent of how the rules asked for it
// (kube-proxy's KUBE-POSTROUTING mark check, or anything else): the caller says whether
// masquerade is required; this picks the source port and rewrites the packet, and
// trackNewFlow() puts the whole first-packet NAT path (DNAT done by the caller's lookup,
// SNAT here, conntrack insert) in one place.

import { INSERT_CLASH, INSERT_DROPPED, KEEP, type ConntrackTable } from '../conntrack/table.ts';
import type { Packet } from '../proxy/types.ts';
import type { SnatPortAllocator } from './port-select.ts';

/** The packet leaves untranslated (masquerade not required, or source 0.0.0.0). */
export const MASQ_UNCHANGED = 0;
/** Source rewritten to nodeIP:port. */
export const MASQ_TRANSLATED = 1;
/** No unique source port: the kernel drops the packet (counted as insert_failed). */
export const MASQ_DROPPED = 2;
export type MasqueradeOutcome = typeof MASQ_UNCHANGED | typeof MASQ_TRANSLATED | typeof MASQ_DROPPED;

/** trackNewFlow(): SNAT found no free source port (the kernel's insert_failed). */
export const FLOW_SNAT_EXHAUSTED = -3;

function copyPacket(from: Packet, to: Packet): void {
  to.src = from.src;
  to.dst = from.dst;
  to.proto = from.proto;
  to.sport = from.sport;
  to.dport = from.dport;
}

/**
 * POSTROUTING MASQUERADE of a connection's first packet. `pkt` is the packet as POSTROUTING
 * sees it, i.e. after any DNAT (its destination is the endpoint). Fills `out` with the packet
 * as it leaves and returns what happened. Allocation-free.
 */
export function masquerade(
  pkt: Packet,
  nodeIP: number,
  required: boolean,
  snat: SnatPortAllocator,
  nowNs: number,
  out: Packet,
): MasqueradeOutcome {
  copyPacket(pkt, out);
  // nf_nat_masquerade_ipv4: a 0.0.0.0 source is a local packet not meant to be masqueraded.
  if (!required || pkt.src === 0) return MASQ_UNCHANGED;
  const port = snat.selectPort(pkt.proto, nodeIP >>> 0, pkt.sport, pkt.dst, pkt.dport, nowNs);
  if (port < 0) return MASQ_DROPPED;
  out.src = nodeIP >>> 0;
  out.sport = port;
  return MASQ_TRANSLATED;
}

/**
 * The first packet of a new connection through the node: DNAT to dnatIP:dnatPort (KEEP for
 * none, e.g. traffic to an outside address), MASQUERADE to nodeIP when `masq`, then the
 * conntrack entry with both mappings. Returns the slot, or INSERT_DROPPED (table full),
 * INSERT_CLASH (tuple already tracked) or FLOW_SNAT_EXHAUSTED (no free source port; also
 * counted in table.stats.insertFailed, as the kernel counts it).
 *
 * Order differs from the kernel in one corner: the kernel checks the table limit before NAT,
 * here SNAT picks its port first (only the SNAT counters differ when the table is full).
 */
export function trackNewFlow(
  table: ConntrackTable,
  snat: SnatPortAllocator | null,
  pkt: Packet,
  dnatIP: number,
  dnatPort: number,
  masq: boolean,
  nodeIP: number,
  nowNs: number,
): number {
  let snatIP = KEEP;
  let snatPort = KEEP;
  if (masq && pkt.src !== 0) {
    if (snat === null) throw new Error('trackNewFlow: masquerade requested without a SNAT port allocator');
    const dst = dnatIP === KEEP ? pkt.dst : dnatIP;
    const dport = dnatPort === KEEP ? pkt.dport : dnatPort;
    const port = snat.selectPort(pkt.proto, nodeIP >>> 0, pkt.sport, dst >>> 0, dport, nowNs);
    if (port < 0) {
      table.stats.insertFailed++;
      return FLOW_SNAT_EXHAUSTED;
    }
    snatIP = nodeIP >>> 0;
    snatPort = port;
  }
  return table.insert(pkt, dnatIP, dnatPort, snatIP, snatPort, nowNs);
}

export { INSERT_CLASH, INSERT_DROPPED };
