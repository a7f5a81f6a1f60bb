// A BPF hash map (BPF_MAP_TYPE_HASH, or LRU_HASH with `lru`) over integer keys of up to four
// 32-bit words and integer values, in typed arrays. Like the kernel's htab it holds at most
// `maxEntries` elements: an update beyond that fails (E2BIG, which cilium-agent reports as "the
// map is full"), or in an LRU map evicts the least recently used element. Keys are placed with
// the kernel's jhash mixing (jhash_3words over three words, the fourth folded into the seed; the
// kernel's htab runs jhash2 over the whole key into chained buckets); kpsim's own table is open
// addressing with linear probing at load <= 1/2 (backward-shift deletion, no tombstones), so
// every operation is O(1).
//
// The key of an operation is written into `key` first: on the packet path nothing but small
// integers crosses a call, so lookups allocate nothing.
import { jhashIndex } from './jhash.ts';

const KEY_WORDS = 4;
const HASH_BITS = 0x3fffffff;

export class BpfHashMap {
  /** The key of the next lookup, update or delete (unused words must be 0). */
  readonly key = new Int32Array(KEY_WORDS);
  /** Values, `valueWords` per element: read vals[e * valueWords + i] after a lookup returned e. */
  vals: Int32Array;
  size = 0;
  private keys: Int32Array;
  private hashes: Int32Array;
  private live: Uint8Array;
  private prev: Int32Array;
  private next: Int32Array;
  private head = -1;
  private tail = -1;
  private index: Int32Array;
  private mask: number;
  private capacity: number;
  /** Elements ever allocated (the free list holds the deleted ones below it). */
  private used = 0;
  private free: Int32Array;
  private freeTop = 0;
  private readonly scratch = new Int32Array(KEY_WORDS);

  constructor(
    readonly name: string,
    readonly valueWords: number,
    readonly maxEntries: number,
    readonly lru = false,
    private readonly seed = 0,
  ) {
    this.capacity = Math.min(maxEntries, 64);
    this.keys = new Int32Array(this.capacity * KEY_WORDS);
    this.vals = new Int32Array(this.capacity * valueWords);
    this.hashes = new Int32Array(this.capacity);
    this.live = new Uint8Array(this.capacity);
    this.prev = new Int32Array(lru ? this.capacity : 0);
    this.next = new Int32Array(lru ? this.capacity : 0);
    this.free = new Int32Array(this.capacity);
    this.index = new Int32Array(indexSize(this.capacity));
    this.mask = this.index.length - 1;
  }

  /** The element holding `key`, or -1. An LRU map marks it used. */
  lookup(): number {
    const s = this.slotOf(this.key);
    if (s < 0) return -1;
    const e = this.index[s] - 1;
    if (this.lru) this.touch(e);
    return e;
  }

  /**
   * The element for `key`, created (values zeroed) if absent: -1 when the map is full (a plain
   * hash map); an LRU map evicts its least recently used element instead.
   */
  update(): number {
    const found = this.lookup();
    if (found >= 0) return found;
    if (this.size >= this.maxEntries) {
      if (!this.lru || this.head < 0) return -1;
      this.deleteElement(this.head);
    }
    if (this.size >= this.capacity) this.grow();
    const e = this.freeTop > 0 ? this.free[--this.freeTop] : this.used++;
    const k = this.key;
    const base = e * KEY_WORDS;
    for (let w = 0; w < KEY_WORDS; w++) this.keys[base + w] = k[w];
    const h = this.hashOf(k);
    this.hashes[e] = h;
    this.live[e] = 1;
    this.vals.fill(0, e * this.valueWords, (e + 1) * this.valueWords);
    let s = h & this.mask;
    while (this.index[s] !== 0) s = (s + 1) & this.mask;
    this.index[s] = e + 1;
    this.size++;
    if (this.lru) this.append(e);
    return e;
  }

  /** Deletes `key`; false when it was absent. */
  delete(): boolean {
    const s = this.slotOf(this.key);
    if (s < 0) return false;
    this.removeAt(s);
    return true;
  }

  /** Deletes element e (one a lookup or update returned). */
  deleteElement(e: number): void {
    const base = e * KEY_WORDS;
    for (let w = 0; w < KEY_WORDS; w++) this.scratch[w] = this.keys[base + w];
    const s = this.slotOf(this.scratch);
    if (s >= 0) this.removeAt(s);
  }

  /** Word w of element e's key. */
  keyWord(e: number, w: number): number {
    return this.keys[e * KEY_WORDS + w];
  }

  /** The live elements (for dumps and tests; allocates). */
  elements(): number[] {
    const out: number[] = [];
    for (let e = 0; e < this.used; e++) if (this.live[e]) out.push(e);
    return out;
  }

  clear(): void {
    this.index.fill(0);
    this.live.fill(0);
    this.size = 0;
    this.used = 0;
    this.freeTop = 0;
    this.head = this.tail = -1;
  }

  private hashOf(k: Int32Array): number {
    return jhashIndex(k, 0, (this.seed + k[3]) & HASH_BITS, HASH_BITS);
  }

  private slotOf(k: Int32Array): number {
    const keys = this.keys;
    const index = this.index;
    const mask = this.mask;
    let s = this.hashOf(k) & mask;
    for (;;) {
      const x = index[s];
      if (x === 0) return -1;
      const b = (x - 1) * KEY_WORDS;
      if (keys[b] === k[0] && keys[b + 1] === k[1] && keys[b + 2] === k[2] && keys[b + 3] === k[3]) return s;
      s = (s + 1) & mask;
    }
  }

  /** Removes the element at index slot s, shifting its probe run back (no tombstones). */
  private removeAt(s: number): void {
    const index = this.index;
    const mask = this.mask;
    const e = index[s] - 1;
    this.live[e] = 0;
    this.free[this.freeTop++] = e;
    this.size--;
    if (this.lru) this.unlink(e);
    let i = s;
    let j = s;
    for (;;) {
      j = (j + 1) & mask;
      const x = index[j];
      if (x === 0) break;
      const home = this.hashes[x - 1] & mask;
      // Move x back to i unless its home lies cyclically in (i, j].
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        index[i] = x;
        i = j;
      }
    }
    index[i] = 0;
  }

  private grow(): void {
    const cap = Math.min(this.maxEntries, this.capacity * 2);
    const copy = <T extends Int32Array | Uint8Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.keys = copy(this.keys, cap * KEY_WORDS);
    this.vals = copy(this.vals, cap * this.valueWords);
    this.hashes = copy(this.hashes, cap);
    this.live = copy(this.live, cap);
    this.free = copy(this.free, cap);
    if (this.lru) {
      this.prev = copy(this.prev, cap);
      this.next = copy(this.next, cap);
    }
    this.capacity = cap;
    this.index = new Int32Array(indexSize(cap));
    this.mask = this.index.length - 1;
    for (let e = 0; e < this.used; e++) {
      if (!this.live[e]) continue;
      let s = this.hashes[e] & this.mask;
      while (this.index[s] !== 0) s = (s + 1) & this.mask;
      this.index[s] = e + 1;
    }
  }

  private append(e: number): void {
    this.prev[e] = this.tail;
    this.next[e] = -1;
    if (this.tail >= 0) this.next[this.tail] = e;
    else this.head = e;
    this.tail = e;
  }

  private unlink(e: number): void {
    const p = this.prev[e];
    const n = this.next[e];
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }

  private touch(e: number): void {
    if (this.tail === e) return;
    this.unlink(e);
    this.append(e);
  }
}

/** Index slots for `cap` elements: a power of two at least twice as large. */
function indexSize(cap: number): number {
  let n = 16;
  while (n < cap * 2) n *= 2;
  return n;
}
