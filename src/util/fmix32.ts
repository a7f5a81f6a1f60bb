// MurmurHash3's fmix32 finaliser (public domain, Austin Appleby): a bijective avalanche on
// 32-bit words. Shared by the PRNG's seeding and conntrack's bucket hash.

export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
