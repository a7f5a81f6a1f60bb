// Small helpers on packet tuples, shared by the walk and the DNS path.
import type { Packet } from '../proxy/types.ts';
import type { Tuple } from './types.ts';
import type { NodeState } from './network.ts';
import type { Verdict } from '../proxy/types.ts';

export function tupleOf(p: Packet): Tuple {
  return { src: p.src >>> 0, sport: p.sport, dst: p.dst >>> 0, dport: p.dport };
}

export function sameTuple(a: Tuple, b: Tuple): boolean {
  return a.src === b.src && a.sport === b.sport && a.dst === b.dst && a.dport === b.dport;
}

/** The answer's addresses: source and destination swapped. */
export function reverse(t: Tuple): Tuple {
  return { src: t.dst, sport: t.dport, dst: t.src, dport: t.sport };
}

/** What a walk learned on the way, for the caller to keep. */
export interface WalkInfo {
  /** Verdict of the rules on the first node, if they were consulted there. */
  firstVerdict: Verdict | null;
  /** The first node masqueraded the packet. */
  masqueraded: boolean;
  /** The first node DNATed the packet (rules or an existing conntrack entry). */
  dnat: boolean;
  /** (node, packet as it arrived) for every conntrack entry the walk created or refreshed. */
  tracked: { node: NodeState; tuple: Tuple }[];
}

export const newWalkInfo = (): WalkInfo => ({ firstVerdict: null, masqueraded: false, dnat: false, tracked: [] });
