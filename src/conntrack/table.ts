// The connection-tracking table of one node, as nf_conntrack keeps it.
//
// Every entry (a "slot") holds two tuples, ORIGINAL (the first packet as it arrived) and
// REPLY (what an answer looks like after NAT), and both are linked into one chained hash
// table, so a packet in either direction finds its entry with one lookup, as in the kernel
// (nf_conntrack_core.c hashes tuplehash[IP_CT_DIR_ORIGINAL] and [IP_CT_DIR_REPLY]).
// DNAT and SNAT are not stored separately: the reply tuple *is* the mapping, and a packet
// seen in direction d is rewritten to the inverse of the tuple of the other direction
// (how nf_nat_packet works).
//
// Storage is typed arrays only. A tuple node n (n = slot*2 + direction) is one 32-byte record
// in a single ArrayBuffer seen through Uint32/Int32/Float64 views: hash, next, src, dst,
// ports, proto and the entry's expiry time (kept in both nodes), so a chain walk touches one
// cache line per node, as the kernel's walk touches one nf_conn. Per-slot state (flags,
// first-packet time, free list) lives in separate arrays. Lookups allocate nothing. Expiry is lazy (an expired entry met during a chain walk is removed) plus an
// incremental sweep(), the stand-in for the kernel's gc worker. Time is the simulated clock
// in integer ns, passed in by the caller.
//
// See docs/conntrack.md for what is modelled and what is not.

import type { Packet } from '../proxy/types.ts';
import { hashTuple, packPorts } from './hash.ts';
import {
  KUBE_PROXY_TIMEOUTS,
  kubeProxyBuckets,
  kubeProxyConntrackMax,
  KUBE_PROXY_MAX_PER_CORE,
  KUBE_PROXY_MIN,
  type ConntrackTimeouts,
} from './timeouts.ts';
import { PROTO_SCTP, PROTO_TCP, PROTO_UDP } from '../util/proto.ts';

export const DIR_ORIGINAL = 0;
export const DIR_REPLY = 1;
export type Direction = typeof DIR_ORIGINAL | typeof DIR_REPLY;

/** First packet seen, no reply yet (TCP SYN_SENT, UDP unreplied, SCTP COOKIE_WAIT). */
export const CT_NEW = 0;
/** A reply was seen (for TCP and SCTP: the handshake is taken as done). */
export const CT_ESTABLISHED = 1;
/** TCP after close(): TIME_WAIT. SCTP after close(): CLOSED. */
export const CT_CLOSING = 2;
export type ConntrackState = typeof CT_NEW | typeof CT_ESTABLISHED | typeof CT_CLOSING;
export const STATE_NAMES = ['NEW', 'ESTABLISHED', 'CLOSING'] as const;

/** insert(): the table was full and early drop found nothing to evict (kernel stat `drop`). */
export const INSERT_DROPPED = -1;
/** insert(): the original or reply tuple is already tracked (kernel stat `insert_failed`). */
export const INSERT_CLASH = -2;
/** Pass as a NAT address or port to insert() to leave that field untranslated. */
export const KEEP = -1;

/** Kernel NF_CT_EVICTION_RANGE: buckets early drop looks at, starting at the new tuple's. */
export const EVICTION_RANGE = 8;

// Node record layout, in 32-bit words (8 per node = 32 bytes).
const NODE_WORDS = 8;
const W_HASH = 0;
const W_NEXT = 1;
const W_SRC = 2;
const W_DST = 3;
const W_PORTS = 4;
const W_PROTO = 5;
/** Index of the expiry in the Float64 view: node*4 + 3 (bytes 24..31 of the record). */
const F64_EXPIRES = 3;

const F_LIVE = 1;
const F_ASSURED = 2;
const F_SEEN_REPLY = 4;

/** UDP becomes a "stream" (120 s timeout) for packets more than 2 s after the first one. */
const UDP_STREAM_AFTER_NS = 2e9;

export interface ConntrackStats {
  /** Entries created. */
  inserts: number;
  /** New connections refused because the table was full (kernel `drop`). */
  drops: number;
  /** Non-assured entries evicted to make room (kernel `early_drop`). */
  earlyDrops: number;
  /** Entries removed because their timeout passed (lazily, by sweep or during early drop). */
  expired: number;
  /** Chain nodes compared during tuple searches (kernel `searched`, roughly). */
  searches: number;
  /** lookup() calls. */
  lookups: number;
  /** lookup() calls that found an entry (kernel `found`). */
  found: number;
  /** insert() refused because a tuple was already tracked (kernel `insert_failed`). */
  insertFailed: number;
  /** Entries removed by delete(). */
  deletes: number;
}

export interface ConntrackOptions {
  /** nf_conntrack_max. Default: kube-proxy's max(min, maxPerCore × cores). */
  max?: number;
  /** CPU cores for the kube-proxy formula (default 1). */
  cores?: number;
  /** kube-proxy conntrack.maxPerCore (default 32768). */
  maxPerCore?: number;
  /** kube-proxy conntrack.min (default 131072). */
  min?: number;
  /** Hash buckets (the nf_conntrack hashsize). Default max/4, as kube-proxy sets it. */
  buckets?: number;
  /** Timeouts (ns) overriding the kube-proxy defaults. */
  timeouts?: Partial<ConntrackTimeouts>;
  /** Key of the tuple hash (the kernel uses a random boot-time key). Default 0. */
  hashKey?: number;
  /** Slots allocated up front; the arrays double on demand up to `max`. */
  initialCapacity?: number;
}

/** A tuple as plain numbers, for snapshots and tests (not used on the hot path). */
export interface TupleView {
  src: number;
  sport: number;
  dst: number;
  dport: number;
}

export interface EntryView {
  slot: number;
  proto: number;
  state: (typeof STATE_NAMES)[number];
  assured: boolean;
  seenReply: boolean;
  expiresAtNs: number;
  original: TupleView;
  reply: TupleView;
}

export class ConntrackTable {
  /** nf_conntrack_max: entries the table may hold. */
  readonly max: number;
  /** Number of hash buckets. */
  readonly buckets: number;
  readonly timeouts: Readonly<ConntrackTimeouts>;
  readonly stats: ConntrackStats = {
    inserts: 0,
    drops: 0,
    earlyDrops: 0,
    expired: 0,
    searches: 0,
    lookups: 0,
    found: 0,
    insertFailed: 0,
    deletes: 0,
  };
  /** Direction of the tuple the last successful lookup() matched (DIR_ORIGINAL or DIR_REPLY). */
  lastDirection: Direction = DIR_ORIGINAL;

  private readonly hashKey: number;
  private readonly head: Int32Array;
  private cap: number;
  // Tuple node records (index slot*2 + direction), three views of one buffer.
  private nU32: Uint32Array;
  private nI32: Int32Array;
  private nF64: Float64Array;
  // Per slot.
  private sState: Uint8Array;
  private sFlags: Uint8Array;
  private sStart: Float64Array;
  private sNextFree: Int32Array;
  private freeHead = -1;
  /** Slots [0, highWater) have been handed out at least once. */
  private highWater = 0;
  private count = 0;
  private sweepCursor = 0;

  constructor(opts: ConntrackOptions = {}) {
    const max = opts.max ?? kubeProxyConntrackMax(opts.cores ?? 1, opts.maxPerCore ?? KUBE_PROXY_MAX_PER_CORE, opts.min ?? KUBE_PROXY_MIN);
    if (!Number.isInteger(max) || max < 1 || max > 2 ** 30) throw new Error(`conntrack max must be an integer in [1, 2^30], got ${max}`);
    const buckets = opts.buckets ?? kubeProxyBuckets(max);
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 2 ** 30)
      throw new Error(`conntrack buckets must be a positive integer, got ${buckets}`);
    this.max = max;
    this.buckets = buckets;
    this.timeouts = Object.freeze({ ...KUBE_PROXY_TIMEOUTS, ...opts.timeouts });
    for (const [k, v] of Object.entries(this.timeouts)) {
      if (!(typeof v === 'number' && v > 0 && Number.isFinite(v)))
        throw new Error(`conntrack timeout ${k} must be a positive number of ns, got ${v}`);
    }
    this.hashKey = (opts.hashKey ?? 0) | 0;
    this.head = new Int32Array(buckets).fill(-1);
    this.cap = Math.max(1, Math.min(max, opts.initialCapacity ?? 1024));
    const buf = new ArrayBuffer(this.cap * 2 * NODE_WORDS * 4);
    this.nU32 = new Uint32Array(buf);
    this.nI32 = new Int32Array(buf);
    this.nF64 = new Float64Array(buf);
    this.sState = new Uint8Array(this.cap);
    this.sFlags = new Uint8Array(this.cap);
    this.sStart = new Float64Array(this.cap);
    this.sNextFree = new Int32Array(this.cap);
  }

  /** Live entries, including expired ones not yet reaped (as the kernel's count). */
  get size(): number {
    return this.count;
  }

  /** Slots currently allocated in the typed arrays (grows by doubling up to max). */
  get capacity(): number {
    return this.cap;
  }

  // ---------------------------------------------------------------- lookups (hot path)

  /**
   * Finds the entry a packet belongs to, in either direction. Returns the slot (and sets
   * lastDirection) or -1. An expired entry counts as absent and is removed on the way.
   * Does not refresh the timeout: call refresh() for that. Allocation-free.
   */
  lookup(pkt: Packet, nowNs: number): number {
    this.stats.lookups++;
    const node = this.findNode(pkt.proto, pkt.src, pkt.dst, packPorts(pkt.sport, pkt.dport), nowNs);
    if (node < 0) return -1;
    this.stats.found++;
    this.lastDirection = (node & 1) as Direction;
    return node >>> 1;
  }

  /**
   * Whether the tuple ip:port → peerIP:peerPort (protocol `proto`) is tracked by a live entry
   * in either direction: nf_conntrack_tuple_taken. NAT passes the reply tuple a candidate
   * mapping would create (endpoint → natIP:candidatePort). Allocation-free.
   */
  tupleInUse(proto: number, ip: number, port: number, peerIP: number, peerPort: number, nowNs: number): boolean {
    return this.findNode(proto, ip >>> 0, peerIP >>> 0, packPorts(port, peerPort), nowNs) >= 0;
  }

  private findNode(proto: number, src: number, dst: number, ports: number, nowNs: number): number {
    const h = hashTuple(this.hashKey, proto, src, dst, ports);
    const b = h % this.buckets;
    const head = this.head;
    const u32 = this.nU32;
    let n = head[b];
    let searched = 0;
    while (n !== -1) {
      const w = n * NODE_WORDS;
      if (this.nF64[n * 4 + F64_EXPIRES] <= nowNs) {
        // Lazy expiry: reap and rescan the (now shorter) chain.
        this.removeSlot(n >>> 1);
        this.stats.expired++;
        n = head[b];
        continue;
      }
      searched++;
      if (
        u32[w + W_HASH] === h &&
        u32[w + W_SRC] === src &&
        u32[w + W_DST] === dst &&
        u32[w + W_PORTS] === ports &&
        u32[w + W_PROTO] === proto
      ) {
        this.stats.searches += searched;
        return n;
      }
      n = this.nI32[w + W_NEXT];
    }
    this.stats.searches += searched;
    return -1;
  }

  // ---------------------------------------------------------------- insert

  /**
   * Tracks a new connection whose first packet is `pkt` (as it arrived, before NAT).
   * dnatIP/dnatPort: where DNAT sent it (the endpoint), snatIP/snatPort: the source it left
   * with after SNAT/MASQUERADE; KEEP for an untranslated field. Returns the new slot, or
   * INSERT_DROPPED (table full, nothing early-droppable: counted in stats.drops) or
   * INSERT_CLASH (either tuple already tracked: counted in stats.insertFailed).
   */
  insert(pkt: Packet, dnatIP: number, dnatPort: number, snatIP: number, snatPort: number, nowNs: number): number {
    const proto = pkt.proto;
    const oSrc = pkt.src >>> 0;
    const oDst = pkt.dst >>> 0;
    const oPorts = packPorts(pkt.sport, pkt.dport);
    // Reply tuple: from the (possibly DNATed) destination back to the (possibly SNATed) source.
    const rSrc = dnatIP === KEEP ? oDst : dnatIP >>> 0;
    const rSport = dnatPort === KEEP ? pkt.dport : dnatPort;
    const rDst = snatIP === KEEP ? oSrc : snatIP >>> 0;
    const rDport = snatPort === KEEP ? pkt.sport : snatPort;
    const rPorts = packPorts(rSport, rDport);
    const oHash = hashTuple(this.hashKey, proto, oSrc, oDst, oPorts);

    // The kernel checks the limit when it allocates the entry for the first packet
    // (__nf_conntrack_alloc) and only then, at confirm time, checks for a clash.
    if (this.count >= this.max && !this.earlyDrop(oHash % this.buckets, nowNs)) {
      this.stats.drops++;
      return INSERT_DROPPED;
    }
    if (this.findNode(proto, oSrc, oDst, oPorts, nowNs) >= 0 || this.findNode(proto, rSrc, rDst, rPorts, nowNs) >= 0) {
      this.stats.insertFailed++;
      return INSERT_CLASH;
    }

    const slot = this.allocSlot();
    const o = slot << 1;
    const r = o | 1;
    const u32 = this.nU32;
    const wo = o * NODE_WORDS;
    u32[wo + W_HASH] = oHash;
    u32[wo + W_SRC] = oSrc;
    u32[wo + W_DST] = oDst;
    u32[wo + W_PORTS] = oPorts;
    u32[wo + W_PROTO] = proto;
    const wr = r * NODE_WORDS;
    u32[wr + W_HASH] = hashTuple(this.hashKey, proto, rSrc, rDst, rPorts);
    u32[wr + W_SRC] = rSrc;
    u32[wr + W_DST] = rDst;
    u32[wr + W_PORTS] = rPorts;
    u32[wr + W_PROTO] = proto;
    this.link(o);
    this.link(r);
    this.sState[slot] = CT_NEW;
    this.sFlags[slot] = F_LIVE;
    this.sStart[slot] = nowNs;
    this.setExpires(slot, nowNs + this.newTimeout(proto));
    this.count++;
    this.stats.inserts++;
    return slot;
  }

  /**
   * Kernel early_drop(): look at up to EVICTION_RANGE buckets from the new tuple's bucket and
   * evict every non-assured entry of the first bucket that has any. Expired entries met on
   * the way are reaped; if that alone made room we also succeed (a stand-in for the kernel's
   * gc worker, which would have removed them already; see docs/conntrack.md).
   */
  private earlyDrop(startBucket: number, nowNs: number): boolean {
    const head = this.head;
    for (let i = 0; i < EVICTION_RANGE; i++) {
      const b = (startBucket + i) % this.buckets;
      let dropped = 0;
      let n = head[b];
      while (n !== -1) {
        const slot = n >>> 1;
        if (this.nF64[n * 4 + F64_EXPIRES] <= nowNs) {
          this.removeSlot(slot);
          this.stats.expired++;
          n = head[b];
        } else if ((this.sFlags[slot] & F_ASSURED) === 0) {
          this.removeSlot(slot);
          dropped++;
          n = head[b];
        } else {
          n = this.nI32[n * NODE_WORDS + W_NEXT];
        }
      }
      if (dropped > 0) {
        this.stats.earlyDrops += dropped;
        return true;
      }
      if (this.count < this.max) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- state changes

  /**
   * A reply was seen. TCP and SCTP: the handshake is taken as complete (ESTABLISHED,
   * assured). UDP: ESTABLISHED, still 30 s and not yet assured (the kernel sets ASSURED
   * and the 120 s stream timeout only on later packets: see refresh()).
   */
  confirmReply(slot: number, nowNs: number): void {
    this.checkLive(slot);
    const flags = this.sFlags[slot];
    if ((flags & F_SEEN_REPLY) !== 0) {
      this.refreshSeen(slot, nowNs);
      return;
    }
    this.sFlags[slot] = flags | F_SEEN_REPLY;
    this.sState[slot] = CT_ESTABLISHED;
    const t = this.timeouts;
    switch (this.protoAt(slot)) {
      case PROTO_TCP:
        this.sFlags[slot] |= F_ASSURED;
        this.setExpires(slot, nowNs + t.tcpEstablished);
        break;
      case PROTO_UDP:
        this.setExpires(slot, nowNs + t.udpUnreplied);
        break;
      case PROTO_SCTP:
        this.sFlags[slot] |= F_ASSURED;
        this.setExpires(slot, nowNs + t.sctpEstablished);
        break;
      default:
        this.setExpires(slot, nowNs + t.generic);
    }
  }

  /**
   * Another packet of a tracked flow in direction `dir`: re-arms the timeout for the current
   * state. The first packet in the reply direction is confirmReply().
   */
  refresh(slot: number, dir: Direction, nowNs: number): void {
    this.checkLive(slot);
    if ((this.sFlags[slot] & F_SEEN_REPLY) === 0) {
      if (dir === DIR_REPLY) {
        this.confirmReply(slot, nowNs);
        return;
      }
      this.setExpires(slot, nowNs + this.newTimeout(this.protoAt(slot)));
      return;
    }
    this.refreshSeen(slot, nowNs);
  }

  private refreshSeen(slot: number, nowNs: number): void {
    const t = this.timeouts;
    const state = this.sState[slot];
    switch (this.protoAt(slot)) {
      case PROTO_TCP:
        this.setExpires(slot, nowNs + (state === CT_CLOSING ? t.tcpTimeWait : t.tcpEstablished));
        break;
      case PROTO_UDP:
        // nf_conntrack_udp_packet: traffic both ways → ASSURED; the stream timeout once the
        // flow is older than 2 s, else the unreplied one.
        this.sFlags[slot] |= F_ASSURED;
        this.setExpires(slot, nowNs + (nowNs > this.sStart[slot] + UDP_STREAM_AFTER_NS ? t.udpStream : t.udpUnreplied));
        break;
      case PROTO_SCTP:
        this.setExpires(slot, nowNs + (state === CT_CLOSING ? t.sctpClosed : t.sctpEstablished));
        break;
      default:
        this.setExpires(slot, nowNs + t.generic);
    }
  }

  /**
   * The connection was closed (FIN exchange / SHUTDOWN_COMPLETE): TCP goes to TIME_WAIT (2 min),
   * SCTP to CLOSED (10 s); the entry stays until then, so its tuples stay in use. UDP and
   * other protocols have no close: no-op.
   */
  close(slot: number, nowNs: number): void {
    this.checkLive(slot);
    switch (this.protoAt(slot)) {
      case PROTO_TCP:
        this.sState[slot] = CT_CLOSING;
        this.setExpires(slot, nowNs + this.timeouts.tcpTimeWait);
        break;
      case PROTO_SCTP:
        this.sState[slot] = CT_CLOSING;
        this.setExpires(slot, nowNs + this.timeouts.sctpClosed);
        break;
      default:
        break;
    }
  }

  /** Removes an entry now (conntrack -D, as kube-proxy does for stale UDP flows). */
  delete(slot: number): void {
    this.checkLive(slot);
    this.removeSlot(slot);
    this.stats.deletes++;
  }

  // ---------------------------------------------------------------- NAT

  /**
   * Rewrites a packet that matched `slot` in direction `dir` the way NAT does: its new header
   * is the inverse of the other direction's tuple. An ORIGINAL packet gets the DNAT
   * destination and the SNAT source; a REPLY packet gets its source restored to the address
   * the client used (the service) and its destination to the client. Fills and returns `out`.
   */
  translate(slot: number, dir: Direction, out: Packet): Packet {
    this.checkLive(slot);
    const w = ((slot << 1) | (dir ^ 1)) * NODE_WORDS;
    const ports = this.nU32[w + W_PORTS];
    out.proto = this.protoAt(slot) as Packet['proto'];
    out.src = this.nU32[w + W_DST];
    out.sport = ports & 0xffff;
    out.dst = this.nU32[w + W_SRC];
    out.dport = ports >>> 16;
    return out;
  }

  /** The tuple stored for direction `dir` of `slot`, into `out`. */
  tuple(slot: number, dir: Direction, out: Packet): Packet {
    this.checkLive(slot);
    const w = ((slot << 1) | dir) * NODE_WORDS;
    const ports = this.nU32[w + W_PORTS];
    out.proto = this.protoAt(slot) as Packet['proto'];
    out.src = this.nU32[w + W_SRC];
    out.sport = ports >>> 16;
    out.dst = this.nU32[w + W_DST];
    out.dport = ports & 0xffff;
    return out;
  }

  // ---------------------------------------------------------------- accessors

  isLive(slot: number): boolean {
    return slot >= 0 && slot < this.highWater && (this.sFlags[slot] & F_LIVE) !== 0;
  }
  stateOf(slot: number): ConntrackState {
    this.checkLive(slot);
    return this.sState[slot] as ConntrackState;
  }
  isAssured(slot: number): boolean {
    this.checkLive(slot);
    return (this.sFlags[slot] & F_ASSURED) !== 0;
  }
  hasSeenReply(slot: number): boolean {
    this.checkLive(slot);
    return (this.sFlags[slot] & F_SEEN_REPLY) !== 0;
  }
  expiresAt(slot: number): number {
    this.checkLive(slot);
    return this.nF64[slot * 8 + F64_EXPIRES];
  }
  protoOf(slot: number): number {
    this.checkLive(slot);
    return this.protoAt(slot);
  }

  // ---------------------------------------------------------------- expiry

  /**
   * Removes expired entries, scanning at most `budget` slots from where the last sweep
   * stopped (the kernel's gc worker also works through the table in steps). Returns how
   * many entries it removed.
   */
  sweep(nowNs: number, budget = Infinity): number {
    const total = this.highWater;
    if (total === 0) return 0;
    const steps = Math.min(total, budget);
    let removed = 0;
    let i = this.sweepCursor % total;
    for (let k = 0; k < steps; k++) {
      if ((this.sFlags[i] & F_LIVE) !== 0 && this.nF64[i * 8 + F64_EXPIRES] <= nowNs) {
        this.removeSlot(i);
        removed++;
      }
      i = i + 1 === total ? 0 : i + 1;
    }
    this.sweepCursor = i;
    this.stats.expired += removed;
    return removed;
  }

  /** Every live, unexpired entry as plain objects (allocates: for tests and debugging). */
  snapshot(nowNs: number): EntryView[] {
    const out: EntryView[] = [];
    const tmp: Packet = { src: 0, dst: 0, proto: PROTO_TCP, sport: 0, dport: 0 };
    for (let s = 0; s < this.highWater; s++) {
      if ((this.sFlags[s] & F_LIVE) === 0 || this.nF64[s * 8 + F64_EXPIRES] <= nowNs) continue;
      this.tuple(s, DIR_ORIGINAL, tmp);
      const original = { src: tmp.src, sport: tmp.sport, dst: tmp.dst, dport: tmp.dport };
      this.tuple(s, DIR_REPLY, tmp);
      const reply = { src: tmp.src, sport: tmp.sport, dst: tmp.dst, dport: tmp.dport };
      out.push({
        slot: s,
        proto: this.protoAt(s),
        state: STATE_NAMES[this.sState[s]],
        assured: (this.sFlags[s] & F_ASSURED) !== 0,
        seenReply: (this.sFlags[s] & F_SEEN_REPLY) !== 0,
        expiresAtNs: this.nF64[s * 8 + F64_EXPIRES],
        original,
        reply,
      });
    }
    return out;
  }

  /** Longest hash chain, in tuple nodes (two per entry). For tests and diagnostics. */
  longestChain(): number {
    let longest = 0;
    for (let b = 0; b < this.buckets; b++) {
      let len = 0;
      for (let n = this.head[b]; n !== -1; n = this.nI32[n * NODE_WORDS + W_NEXT]) len++;
      if (len > longest) longest = len;
    }
    return longest;
  }

  // ---------------------------------------------------------------- internals

  private newTimeout(proto: number): number {
    switch (proto) {
      case PROTO_TCP:
        return this.timeouts.tcpSynSent;
      case PROTO_UDP:
        return this.timeouts.udpUnreplied;
      case PROTO_SCTP:
        return this.timeouts.sctpCookieWait;
      default:
        return this.timeouts.generic;
    }
  }

  private checkLive(slot: number): void {
    if (!(slot >= 0 && slot < this.highWater && (this.sFlags[slot] & F_LIVE) !== 0)) {
      throw new Error(`conntrack slot ${slot} is not a live entry`);
    }
  }

  /** Protocol number of a slot (stored in its original node). */
  private protoAt(slot: number): number {
    return this.nU32[slot * 16 + W_PROTO];
  }

  /** Sets the expiry of a slot, kept in both of its nodes. */
  private setExpires(slot: number, t: number): void {
    this.nF64[slot * 8 + F64_EXPIRES] = t;
    this.nF64[slot * 8 + 4 + F64_EXPIRES] = t;
  }

  private link(n: number): void {
    const w = n * NODE_WORDS;
    const b = this.nU32[w + W_HASH] % this.buckets;
    this.nI32[w + W_NEXT] = this.head[b];
    this.head[b] = n;
  }

  private unlink(n: number): void {
    const i32 = this.nI32;
    const b = this.nU32[n * NODE_WORDS + W_HASH] % this.buckets;
    const after = i32[n * NODE_WORDS + W_NEXT];
    let p = this.head[b];
    if (p === n) {
      this.head[b] = after;
      return;
    }
    while (p !== -1) {
      const q = i32[p * NODE_WORDS + W_NEXT];
      if (q === n) {
        i32[p * NODE_WORDS + W_NEXT] = after;
        return;
      }
      p = q;
    }
    throw new Error(`conntrack internal error: node ${n} not in its bucket`);
  }

  private removeSlot(slot: number): void {
    this.unlink(slot << 1);
    this.unlink((slot << 1) | 1);
    this.sFlags[slot] = 0;
    this.sNextFree[slot] = this.freeHead;
    this.freeHead = slot;
    this.count--;
  }

  private allocSlot(): number {
    if (this.freeHead !== -1) {
      const s = this.freeHead;
      this.freeHead = this.sNextFree[s];
      return s;
    }
    if (this.highWater === this.cap) this.grow();
    return this.highWater++;
  }

  private grow(): void {
    const cap = Math.min(this.max, this.cap * 2);
    if (cap === this.cap) throw new Error('conntrack internal error: no free slot below max');
    const buf = new ArrayBuffer(cap * 2 * NODE_WORDS * 4);
    const u32 = new Uint32Array(buf);
    u32.set(this.nU32);
    this.nU32 = u32;
    this.nI32 = new Int32Array(buf);
    this.nF64 = new Float64Array(buf);
    this.sState = growU8(this.sState, cap);
    this.sFlags = growU8(this.sFlags, cap);
    this.sStart = growF64(this.sStart, cap);
    const free = new Int32Array(cap);
    free.set(this.sNextFree);
    this.sNextFree = free;
    this.cap = cap;
  }
}

function growU8(a: Uint8Array, n: number): Uint8Array {
  const b = new Uint8Array(n);
  b.set(a);
  return b;
}
function growF64(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}
