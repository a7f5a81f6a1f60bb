// Bob Jenkins' lookup3 hash of three 32-bit words (public domain), as the kernel computes it in
// jhash_3words() (include/linux/jhash.h): BPF hash maps place their keys with it, and Cilium
// hashes a flow's tuple with it to pick a Maglev slot (hash_from_tuple_v4, bpf/lib/hash.h).
// The words are read from a typed array and the result leaves as a small integer (masked or
// reduced), so nothing crosses a call boxed: the packet path calls these per lookup.

/** The kernel's JHASH_INITVAL. */
const JHASH_INITVAL = 0xdeadbeef | 0;
const OUT = new Int32Array(1);

/** jhash_3words(words[off], words[off+1], words[off+2], initval) into OUT[0]. */
function mix(words: Int32Array, off: number, initval: number): void {
  const iv = (initval + JHASH_INITVAL + (3 << 2)) | 0;
  let a = (words[off] + iv) | 0;
  let b = (words[off + 1] + iv) | 0;
  let c = (words[off + 2] + iv) | 0;
  // __jhash_final
  c ^= b;
  c = (c - ((b << 14) | (b >>> 18))) | 0;
  a ^= c;
  a = (a - ((c << 11) | (c >>> 21))) | 0;
  b ^= a;
  b = (b - ((a << 25) | (a >>> 7))) | 0;
  c ^= b;
  c = (c - ((b << 16) | (b >>> 16))) | 0;
  a ^= c;
  a = (a - ((c << 4) | (c >>> 28))) | 0;
  b ^= a;
  b = (b - ((a << 14) | (a >>> 18))) | 0;
  c ^= b;
  OUT[0] = (c - ((b << 24) | (b >>> 8))) | 0;
}

/** The hash's low bits: `mask` is 2^k - 1 with k <= 30. `initval` must be a small integer. */
export function jhashIndex(words: Int32Array, off: number, initval: number, mask: number): number {
  mix(words, off, initval);
  return OUT[0] & mask;
}

/** The hash, as an unsigned 32-bit number, modulo m (1 <= m < 2^30). */
export function jhashReduce(words: Int32Array, off: number, initval: number, m: number): number {
  mix(words, off, initval);
  return (OUT[0] >>> 0) % m;
}
