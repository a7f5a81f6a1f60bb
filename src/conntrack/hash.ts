// Tuple hashing for the conntrack table.
//
// The kernel hashes a tuple with siphash keyed by a per-boot random value
// (hash_conntrack_raw in net/netfilter/nf_conntrack_core.c). We need the same
// properties (a keyed, well-mixed 32-bit value from the 5-tuple, cheap, no
// allocation) but determinism instead of a boot-time secret, so the key is a
// seed the caller chooses. The mixing is MurmurHash3's 32-bit block step and
// finaliser (public domain, A. Appleby), written out here for integers.

import { fmix32 } from '../util/fmix32.ts';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Packs two 16-bit ports into one uint32 word: sport in the high half. */
export function packPorts(sport: number, dport: number): number {
  return ((sport << 16) | (dport & 0xffff)) >>> 0;
}

/**
 * Keyed 32-bit hash of (proto, src, dst, ports) where `ports` is packPorts(sport, dport).
 * Allocation-free; the same inputs and key always give the same value.
 */
export function hashTuple(key: number, proto: number, src: number, dst: number, ports: number): number {
  let h = (key ^ Math.imul(proto + 1, 0x9e3779b9)) | 0;
  h = mixBlock(h, src | 0);
  h = mixBlock(h, dst | 0);
  h = mixBlock(h, ports | 0);
  return fmix32(h ^ 12);
}

/** Keyed hash of three words (used by SNAT for its per-destination start offset). */
export function hash3(key: number, a: number, b: number, c: number): number {
  let h = key | 0;
  h = mixBlock(h, a | 0);
  h = mixBlock(h, b | 0);
  h = mixBlock(h, c | 0);
  return fmix32(h ^ 12);
}
