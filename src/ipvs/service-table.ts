// The virtual-service table: buckets chained through flat typed arrays, hashed like
// ip_vs_svc_hashkey. New entries go to the head of their chain (hlist_add_head_rcu in
// ip_vs_svc_hash), so lookups walk newest-first, as __ip_vs_service_find does.
import { IP_VS_SVC_TAB_BITS, svcHashKey } from './hash.ts';

export interface ServiceTableOptions {
  /** log2 of the bucket count; the kernel's IP_VS_SVC_TAB_BITS is 8. */
  bits?: number;
  /** Stand-in for the kernel's per-netns hash salt. */
  salt?: number;
  initialCapacity?: number;
}

export class ServiceTable {
  readonly bits: number;
  readonly salt: number;
  private heads: Int32Array;
  private next: Int32Array;
  private addrs: Uint32Array;
  private ports: Uint16Array;
  private protos: Uint8Array;
  /** 1 while the slot holds an entry. */
  private used: Uint8Array;
  private freeList: number[] = [];
  private top = 0;
  private count = 0;
  /** Chain entries compared by the last find() (at least 1: the bucket head read). */
  lastProbes = 0;
  /** Sum of probes over all finds, for averages. */
  totalProbes = 0;
  lookups = 0;

  constructor(opts: ServiceTableOptions = {}) {
    this.bits = opts.bits ?? IP_VS_SVC_TAB_BITS;
    if (!Number.isInteger(this.bits) || this.bits < 1 || this.bits > 24) throw new RangeError(`table bits must be 1..24, got ${this.bits}`);
    this.salt = (opts.salt ?? 0) >>> 0;
    this.heads = new Int32Array(1 << this.bits).fill(-1);
    const cap = Math.max(16, opts.initialCapacity ?? 64);
    this.next = new Int32Array(cap);
    this.addrs = new Uint32Array(cap);
    this.ports = new Uint16Array(cap);
    this.protos = new Uint8Array(cap);
    this.used = new Uint8Array(cap);
  }

  get size(): number {
    return this.count;
  }

  get buckets(): number {
    return this.heads.length;
  }

  bucketOf(proto: number, addr: number, port: number): number {
    return svcHashKey(proto, addr >>> 0, port, this.bits, this.salt);
  }

  /** Slot of the entry, or -1. Records the probes made in lastProbes; never allocates. */
  find(proto: number, addr: number, port: number): number {
    const a = addr >>> 0;
    let i = this.heads[this.bucketOf(proto, a, port)];
    let probes = 0;
    while (i !== -1) {
      probes++;
      if (this.addrs[i] === a && this.ports[i] === port && this.protos[i] === proto) break;
      i = this.next[i];
    }
    const p = probes === 0 ? 1 : probes;
    this.lastProbes = p;
    this.totalProbes += p;
    this.lookups++;
    return i;
  }

  /** Inserts a new entry and returns its slot; throws if the key is present. */
  insert(proto: number, addr: number, port: number): number {
    const a = addr >>> 0;
    if (this.findQuiet(proto, a, port) !== -1) throw new Error(`service ${proto}/${a}:${port} already in table`);
    const slot = this.freeList.length > 0 ? this.freeList.pop()! : this.top++;
    if (slot >= this.next.length) this.grow();
    const b = this.bucketOf(proto, a, port);
    this.addrs[slot] = a;
    this.ports[slot] = port;
    this.protos[slot] = proto;
    this.used[slot] = 1;
    this.next[slot] = this.heads[b];
    this.heads[b] = slot;
    this.count++;
    return slot;
  }

  /** Removes the entry in `slot`; its slot is reused by later inserts. */
  remove(slot: number): void {
    if (!this.used[slot]) throw new Error(`slot ${slot} is empty`);
    const b = this.bucketOf(this.protos[slot], this.addrs[slot], this.ports[slot]);
    let i = this.heads[b];
    let prev = -1;
    while (i !== -1 && i !== slot) {
      prev = i;
      i = this.next[i];
    }
    if (prev === -1) this.heads[b] = this.next[slot];
    else this.next[prev] = this.next[slot];
    this.used[slot] = 0;
    this.freeList.push(slot);
    this.count--;
  }

  /** Occupied slots in dump order: bucket 0..n-1, each chain from its head (ip_vs_genl_dump_services). */
  slotsInTableOrder(): number[] {
    const out: number[] = [];
    for (let b = 0; b < this.heads.length; b++) for (let i = this.heads[b]; i !== -1; i = this.next[i]) out.push(i);
    return out;
  }

  /** Entries in the chain of `bucket` (for distribution statistics). */
  chainLength(bucket: number): number {
    let n = 0;
    for (let i = this.heads[bucket]; i !== -1; i = this.next[i]) n++;
    return n;
  }

  maxChainLength(): number {
    let m = 0;
    for (let b = 0; b < this.heads.length; b++) m = Math.max(m, this.chainLength(b));
    return m;
  }

  /** find() without touching the probe statistics. */
  findQuiet(proto: number, addr: number, port: number): number {
    for (let i = this.heads[this.bucketOf(proto, addr, port)]; i !== -1; i = this.next[i]) {
      if (this.addrs[i] === addr && this.ports[i] === port && this.protos[i] === proto) return i;
    }
    return -1;
  }

  private grow(): void {
    const cap = this.next.length * 2;
    const copy = <T extends Int32Array | Uint32Array | Uint16Array | Uint8Array>(src: T, make: (n: number) => T): T => {
      const dst = make(cap);
      dst.set(src);
      return dst;
    };
    this.next = copy(this.next, (n) => new Int32Array(n));
    this.addrs = copy(this.addrs, (n) => new Uint32Array(n));
    this.ports = copy(this.ports, (n) => new Uint16Array(n));
    this.protos = copy(this.protos, (n) => new Uint8Array(n));
    this.used = copy(this.used, (n) => new Uint8Array(n));
  }
}
