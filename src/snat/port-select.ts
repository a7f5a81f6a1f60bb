// Source-port selection for SNAT/MASQUERADE, after nf_nat_core.c (get_unique_tuple and
// nf_nat_l4proto_unique_tuple). The new source address is fixed (MASQUERADE: the node's
// address); the port is chosen so that the connection's reply tuple
//   destination ip:port → natIP:port
// is not tracked yet. Uniqueness is asked of the conntrack table (tupleInUse), as
// nf_nat_used_tuple asks nf_conntrack_tuple_taken.
//
// 1. Unless --random or --random-fully: keep the original source port if that is unique.
// 2. Otherwise search the range from a start offset, one port at a time, wrapping:
//    - range: --to-ports if given, else by the original port's class, as the kernel does
//      without an explicit range: [1,511] for ports < 512, [600,1023] for 512..1023,
//      [1024,65535] otherwise. (net.ipv4.ip_local_port_range does not apply to NAT.)
//    - start offset and search length depend on the kernel:
//      'current' (since "netfilter: nat: remove l4 protocol port rovers" and "netfilter: nat:
//      limit port clash resolution attempts", 2021, backported to the stable kernels in 2022):
//      a random offset for every flag combination; try 128 ports, then 64, 32, 16 and 8
//      from fresh random offsets, then give up.
//      'legacy' (before): no flag: the per-protocol "rover" (the offset the previous search
//      ended on); --random: a keyed hash of (natIP, dstIP, dport), the same for every
//      connection to one destination; --random-fully: a random offset; try every port.
//    - `offset` overrides the no-flag start: 'hash' (per-destination hash), 'rover', 'random'.
// When nothing is free the kernel goes on with a clashing tuple and the packet is dropped
// when the entry is confirmed (insert_failed); here selectPort returns -1 and counts a failure.
//
// See docs/snat.md.

import type { ConntrackTable } from '../conntrack/table.ts';
import { hash3 } from '../conntrack/hash.ts';
import type { Rng } from '../engine/rng.ts';

export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/** Kernel implicit NAT range for original ports 1..511. */
export const NAT_RANGE_LOW: PortRange = Object.freeze({ min: 1, max: 511 });
/** Kernel implicit NAT range for original ports 512..1023 ("loose convention: >> 512 is credential passing"). */
export const NAT_RANGE_MID: PortRange = Object.freeze({ min: 600, max: 1023 });
/** Kernel implicit NAT range for original ports >= 1024. */
export const NAT_RANGE_HIGH: PortRange = Object.freeze({ min: 1024, max: 65535 });
/** net.ipv4.ip_local_port_range default: where clients' own ephemeral ports come from (not NAT). */
export const EPHEMERAL_PORT_RANGE: PortRange = Object.freeze({ min: 32768, max: 60999 });

/** The range the kernel searches when the NAT rule gives no --to-ports. */
export function natPortRange(origPort: number): PortRange {
  if (origPort < 512) return NAT_RANGE_LOW;
  if (origPort < 1024) return NAT_RANGE_MID;
  return NAT_RANGE_HIGH;
}

export type SnatOffsetMode = 'hash' | 'rover' | 'random';
export type SnatSearch = 'exhaustive' | 'capped';

export type SnatKernel = 'current' | 'legacy';

export interface SnatOptions {
  /** MASQUERADE --random-fully (NF_NAT_RANGE_PROTO_RANDOM_FULLY): skip step 1, random start per connection. */
  randomFully?: boolean;
  /** MASQUERADE --random (NF_NAT_RANGE_PROTO_RANDOM): skip step 1; start: random ('current') or hash ('legacy'). */
  random?: boolean;
  /** Which nf_nat behaviour to follow. Default 'current'. */
  kernel?: SnatKernel;
  /** Start of the search without --random/--random-fully. Default: 'random' ('current'), 'rover' ('legacy'). */
  offset?: SnatOffsetMode;
  /** Search length. Default: 'capped' ('current'), 'exhaustive' ('legacy'). */
  search?: SnatSearch;
  /** --to-ports; absent: the kernel's port-class ranges. */
  toPorts?: PortRange;
  /** Key of the offset hash (the kernel's per-boot secret). Default 0. */
  hashKey?: number;
}

export interface SnatStats {
  /** selectPort() calls. */
  selections: number;
  /** Connections that kept their original source port. */
  keptOriginal: number;
  /** Connections whose port came from the search (step 2). */
  searched: number;
  /** Candidate ports found in use, over all calls (the original port included). */
  collisions: number;
  /** Calls that found no free port (the kernel then fails the insert: insert_failed). */
  failures: number;
  /** Most candidates one call tried. */
  maxCandidates: number;
}

/** Attempts per round in 'capped' mode (kernel max_attempts). */
export const MAX_ATTEMPTS = 128;
/** 'capped' mode gives up once a round would be shorter than this. */
export const MIN_ROUND = 16;

export class SnatPortAllocator {
  readonly stats: SnatStats = { selections: 0, keptOriginal: 0, searched: 0, collisions: 0, failures: 0, maxCandidates: 0 };
  /** Candidates the last selectPort() call tried (1 = the first one was free). */
  lastCandidates = 0;

  readonly kernel: SnatKernel;
  private readonly randomFully: boolean;
  private readonly random: boolean;
  /** Start of the search with --random (hash in 'legacy', random in 'current'). */
  private readonly randomFlagOffset: SnatOffsetMode;
  private readonly offsetMode: SnatOffsetMode;
  private readonly search: SnatSearch;
  private readonly toPorts: PortRange | null;
  private readonly hashKey: number;
  /** Legacy per-protocol rovers (tcp_port_rover, udp_port_rover, ...), by protocol number. */
  private readonly rover = new Uint16Array(256);

  constructor(
    readonly table: ConntrackTable,
    private readonly rng: Rng,
    opts: SnatOptions = {},
  ) {
    this.randomFully = opts.randomFully ?? false;
    this.random = opts.random ?? false;
    this.kernel = opts.kernel ?? 'current';
    if (this.kernel !== 'current' && this.kernel !== 'legacy') throw new Error(`unknown SNAT kernel "${this.kernel}"`);
    const legacy = this.kernel === 'legacy';
    this.randomFlagOffset = legacy ? 'hash' : 'random';
    this.offsetMode = opts.offset ?? (legacy ? 'rover' : 'random');
    this.search = opts.search ?? (legacy ? 'exhaustive' : 'capped');
    this.hashKey = (opts.hashKey ?? 0) | 0;
    const r = opts.toPorts;
    if (r) {
      if (!(Number.isInteger(r.min) && Number.isInteger(r.max) && r.min >= 1 && r.max <= 65535 && r.min <= r.max)) {
        throw new Error(`SNAT toPorts must be integers with 1 <= min <= max <= 65535, got ${r.min}-${r.max}`);
      }
      this.toPorts = Object.freeze({ min: r.min, max: r.max });
    } else {
      this.toPorts = null;
    }
    if (!['hash', 'rover', 'random'].includes(this.offsetMode)) throw new Error(`unknown SNAT offset mode "${this.offsetMode}"`);
    if (!['exhaustive', 'capped'].includes(this.search)) throw new Error(`unknown SNAT search "${this.search}"`);
  }

  /**
   * Picks the source port for a new connection leaving as natIP. origSport: the port it had;
   * dstIP/dport: its destination after DNAT (the reply's source). Returns the port, or -1
   * when every candidate is in use. Allocation-free.
   */
  selectPort(proto: number, natIP: number, origSport: number, dstIP: number, dport: number, nowNs: number): number {
    this.stats.selections++;
    const range = this.toPorts ?? natPortRange(origSport);
    const min = range.min;
    const size = range.max - range.min + 1;
    const table = this.table;
    const randomAll = this.randomFully || this.random;
    let tried = 0;

    // Step 1: the original port, if in range and unique (a single-port range is taken as is).
    if (!randomAll && origSport >= min && origSport <= range.max) {
      tried = 1;
      if (size === 1 || !table.tupleInUse(proto, dstIP, dport, natIP, origSport, nowNs)) {
        this.stats.keptOriginal++;
        return this.done(origSport, tried);
      }
    }

    // Step 2: search.
    this.stats.searched++;
    const mode: SnatOffsetMode = this.randomFully ? 'random' : this.random ? this.randomFlagOffset : this.offsetMode;
    let off: number;
    if (mode === 'random') off = this.rng.nextU32();
    else if (mode === 'hash') off = hash3(this.hashKey, natIP, dstIP, dport);
    else off = this.rover[proto & 255];
    off %= size;

    if (this.search === 'exhaustive') {
      for (let i = 0; i < size; i++) {
        const port = min + off;
        tried++;
        if (!table.tupleInUse(proto, dstIP, dport, natIP, port, nowNs)) {
          if (mode === 'rover') this.rover[proto & 255] = off;
          return this.done(port, tried);
        }
        off = off + 1 === size ? 0 : off + 1;
      }
      return this.fail(tried);
    }

    let attempts = Math.min(size, MAX_ATTEMPTS);
    for (;;) {
      for (let i = 0; i < attempts; i++) {
        const port = min + off;
        tried++;
        if (!table.tupleInUse(proto, dstIP, dport, natIP, port, nowNs)) return this.done(port, tried);
        off = off + 1 === size ? 0 : off + 1;
      }
      if (attempts >= size || attempts < MIN_ROUND) return this.fail(tried);
      attempts >>>= 1;
      off = (this.rng.nextU32() & 0xffff) % size;
    }
  }

  private done(port: number, tried: number): number {
    this.lastCandidates = tried;
    this.stats.collisions += tried - 1;
    if (tried > this.stats.maxCandidates) this.stats.maxCandidates = tried;
    return port;
  }

  private fail(tried: number): number {
    this.lastCandidates = tried;
    this.stats.collisions += tried;
    if (tried > this.stats.maxCandidates) this.stats.maxCandidates = tried;
    this.stats.failures++;
    return -1;
  }
}
