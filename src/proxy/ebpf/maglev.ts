// Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network
// Load Balancer", NSDI '16, section 3.4), as Cilium uses it for north-south traffic when
// loadBalancer.algorithm=maglev (kubeproxy-free.rst, "Maglev Consistent Hashing"): every
// backend has a preference list over the M table slots (offset + j * skip mod M, M prime),
// and backends take turns claiming their next free preferred slot until the table is full.
// Each backend ends with floor(M/N) or ceil(M/N) slots, and removing one backend moves only
// the slots it held (plus a few displaced by the refill). Cilium hashes backends with
// murmur3 and a configurable seed; kpsim hashes the backend's address, port and protocol
// with jhash and maglev.hashSeed, so tables have the same properties but not Cilium's bytes.
import { jhashReduce } from './jhash.ts';

const words = new Int32Array(3);

/** One backend's place in the preference order: offset and skip (paper: h1, h2 of the name). */
function offsetSkip(addr: number, port: number, proto: number, m: number, seed: number, out: Int32Array, i: number): void {
  words[0] = addr | 0;
  words[1] = port | 0;
  words[2] = proto | 0;
  out[2 * i] = jhashReduce(words, 0, seed & 0x3fffffff, m);
  out[2 * i + 1] = jhashReduce(words, 0, (seed + 0x9e3779b) & 0x3fffffff, m - 1) + 1;
}

/**
 * Fills `table` (length M, a prime) with indexes into the backend list (0..n-1), -1 when there
 * are no backends. Backends are given as parallel arrays (address, port, protocol); their order
 * does not change which backend a slot gets only if callers pass them in a canonical order
 * (kpsim passes them sorted by "ip:port"). O(M log M) expected, O(M * N) worst case.
 */
export function populateMaglev(
  table: Int32Array,
  addrs: ArrayLike<number>,
  ports: ArrayLike<number>,
  protos: ArrayLike<number>,
  seed: number,
): void {
  const m = table.length;
  const n = addrs.length;
  table.fill(-1);
  if (n === 0) return;
  const perm = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) offsetSkip(addrs[i], ports[i], protos[i], m, seed, perm, i);
  const next = new Float64Array(n);
  let filled = 0;
  for (;;) {
    for (let i = 0; i < n; i++) {
      const off = perm[2 * i];
      const skip = perm[2 * i + 1];
      let c = (off + ((next[i] * skip) % m)) % m;
      while (table[c] >= 0) {
        next[i]++;
        c = (off + ((next[i] * skip) % m)) % m;
      }
      table[c] = i;
      next[i]++;
      if (++filled === m) return;
    }
  }
}

/** Whether n is prime (Maglev needs a prime M so that every skip visits every slot). */
export function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}
