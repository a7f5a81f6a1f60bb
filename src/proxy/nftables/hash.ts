// The two element stores kube-proxy's table needs, as open-addressing hash tables over typed
// arrays (linear probing, backward-shift deletion, so no tombstones): a set of IPv4 addresses
// with optional expiry times (cluster-ips, nodeport-ips, the ClientIP affinity sets), and a
// verdict map keyed by (address, protocol, port) (service-ips and the other vmaps). A lookup
// hashes two integers and compares them: no strings and no allocation on the packet path.
// Addresses are kept as signed int32 (`ip | 0`): V8 passes those as small integers, while an
// unsigned address above 2^31 would be boxed into a heap number at every call.
// The kernel keeps such sets in an rhashtable (nft_set_hash); only the O(1) lookup is modelled.
import { fmix32 } from '../../util/fmix32.ts';

const EMPTY = -1;

function slotOf(a: number, b: number, mask: number): number {
  return fmix32((a ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b)) >>> 0) & mask;
}

/**
 * (address, protoPort) -> int32 value; protoPort is proto << 16 | port (never -1). A slot is
 * four int32s [address, protoPort, value, -] in one array, so a probe is one cache line.
 */
export class PairHashMap {
  private slots = new Int32Array(16 * 4).fill(EMPTY);
  private mask = 15;
  size = 0;

  get(a: number, b: number): number | undefined {
    const slots = this.slots;
    a |= 0;
    for (let i = slotOf(a, b, this.mask); ; i = (i + 1) & this.mask) {
      const k = i << 2;
      const kb = slots[k + 1];
      if (kb === EMPTY) return undefined;
      if (kb === b && slots[k] === a) return slots[k + 2];
    }
  }

  /** The slot holding the key, or -1. */
  find(a: number, b: number): number {
    a |= 0;
    for (let i = slotOf(a, b, this.mask); ; i = (i + 1) & this.mask) {
      const kb = this.slots[(i << 2) + 1];
      if (kb === EMPTY) return -1;
      if (kb === b && this.slots[i << 2] === a) return i;
    }
  }

  set(a: number, b: number, v: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    a |= 0;
    const slots = this.slots;
    for (let i = slotOf(a, b, this.mask); ; i = (i + 1) & this.mask) {
      const k = i << 2;
      const kb = slots[k + 1];
      if (kb === EMPTY) {
        slots[k] = a;
        slots[k + 1] = b;
        slots[k + 2] = v;
        this.size++;
        return;
      }
      if (kb === b && slots[k] === a) {
        slots[k + 2] = v;
        return;
      }
    }
  }

  delete(a: number, b: number): boolean {
    let i = this.find(a, b);
    if (i < 0) return false;
    // Backward-shift: move later entries of the probe run into the hole.
    const mask = this.mask;
    const slots = this.slots;
    for (let j = (i + 1) & mask; slots[(j << 2) + 1] !== EMPTY; j = (j + 1) & mask) {
      const home = slotOf(slots[j << 2], slots[(j << 2) + 1], mask);
      // Entry j may fill hole i when its home slot is not in (i, j] (cyclically).
      if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
        slots.copyWithin(i << 2, j << 2, (j << 2) + 3);
        i = j;
      }
    }
    slots[(i << 2) + 1] = EMPTY;
    this.size--;
    return true;
  }

  clear(): void {
    this.slots.fill(EMPTY);
    this.size = 0;
  }

  /** Calls fn for every entry (slot order; addresses as int32). */
  forEach(fn: (a: number, b: number, v: number) => void): void {
    const slots = this.slots;
    for (let k = 0; k < slots.length; k += 4) if (slots[k + 1] !== EMPTY) fn(slots[k], slots[k + 1], slots[k + 2]);
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    this.slots = new Int32Array(cap * 4).fill(EMPTY);
    this.mask = cap - 1;
    this.size = 0;
    for (let k = 0; k < old.length; k += 4) if (old[k + 1] !== EMPTY) this.set(old[k], old[k + 1], old[k + 2]);
  }
}

/**
 * A set of IPv4 addresses; with a timeout, each element expires (nft `flags timeout`). Times
 * are simulated milliseconds as int32: 24 days of simulated time, plenty for a 3 h timeout.
 */
export class AddressSet {
  /** address -> 1, or its expiry for a set with a timeout. */
  private readonly map = new PairHashMap();

  constructor(readonly timeoutSeconds = 0) {}

  get size(): number {
    return this.map.size;
  }

  has(ip: number, nowMs: number): boolean {
    const exp = this.map.get(ip, 0);
    return exp !== undefined && (this.timeoutSeconds === 0 || exp > nowMs);
  }

  /** nft `add`/`update`: insert, or refresh the timeout of an existing element. */
  add(ip: number, nowMs: number): void {
    this.map.set(ip, 0, this.timeoutSeconds === 0 ? 1 : Math.min(0x7fffffff, nowMs + this.timeoutSeconds * 1000));
  }

  delete(ip: number): boolean {
    return this.map.delete(ip, 0);
  }

  clear(): void {
    this.map.clear();
  }

  forEach(fn: (ip: number) => void): void {
    this.map.forEach((a) => fn(a));
  }
}
