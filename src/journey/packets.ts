// Small helpers on packet tuples, shared by the walk and the DNS path.
import type { Packet } from '../proxy/types.ts';
import type { Tuple } from './types.ts';
import type { WalkInfo } from './walk-types.ts';

export type { WalkInfo } from './walk-types.ts';

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

export const newWalkInfo = (): WalkInfo => ({ firstVerdict: null, masqueraded: false, dnat: false, tracked: [] });
