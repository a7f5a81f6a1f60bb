// A DNS answer cache with TTL and capacity, like CoreDNS's cache plugin: positive answers
// ("success") and negative ones (NXDOMAIN and NODATA: "denial") live in separate pools, each
// entry for its TTL clamped to [minTtl, maxTtl] (plugin defaults MINTTL 5 s; `cache 30` in the
// stock Corefile makes the max 30 s). Eviction when a pool is full:
//   - 'lru' (default): the least recently used entry, deterministic;
//   - 'coredns': CoreDNS's scheme, 256 shards of capacity/256 entries (at least 4) each, a full
//     shard dropping a random entry of its own (seeded, so runs repeat).
// Time is the caller's simulated clock in integer ns.
import type { DnsQuestion, DnsResponse, DnsTransport, QueryContext } from './types.ts';
import { canonicalName } from './names.ts';
import { Rng } from '../engine/rng.ts';

/** cache plugin: 256 shards × 39 = 9984 entries per pool by default. */
export const CACHE_DEFAULT_CAPACITY = 9984;
/** `cache 30` in kubeadm's Corefile (the plugin's own max is 3600 s success, 1800 s denial). */
export const CACHE_DEFAULT_MAX_TTL = 30;
/** cache plugin MINTTL default. */
export const CACHE_DEFAULT_MIN_TTL = 5;
const SHARDS = 256;
const NS_PER_S = 1_000_000_000;

export type EvictionPolicy = 'lru' | 'coredns';

export interface DnsCacheOptions {
  /** Entries per pool (success and denial each). Default 9984. */
  capacity?: number;
  /** Max TTL for positive answers, s. Default 30. */
  maxTtl?: number;
  /** Max TTL for negative answers, s. Default: maxTtl. */
  denialMaxTtl?: number;
  /** Min TTL, s (both pools). Default 5. */
  minTtl?: number;
  eviction?: EvictionPolicy;
  /** Seed for 'coredns' random eviction. */
  seed?: number | string;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Lookups that found an entry past its TTL (counted in misses too). */
  expired: number;
  evictions: number;
  entries: number;
}

interface Entry {
  response: DnsResponse;
  storedNs: number;
  expiresNs: number;
}

/** One pool: a Map used as an LRU list, or 256 shards with random eviction. */
class Pool {
  private readonly lru?: Map<string, Entry>;
  private readonly shards?: Map<string, Entry>[];
  private readonly shardSize: number;
  evictions = 0;

  constructor(
    readonly capacity: number,
    policy: EvictionPolicy,
    private readonly rng: Rng,
  ) {
    if (policy === 'lru') {
      this.lru = new Map();
      this.shardSize = capacity;
    } else {
      this.shardSize = Math.max(4, Math.floor(capacity / SHARDS));
      this.shards = Array.from({ length: SHARDS }, () => new Map());
    }
  }

  private mapFor(key: string): Map<string, Entry> {
    return this.lru ?? this.shards![fnv1a(key) & (SHARDS - 1)];
  }

  get(key: string): Entry | undefined {
    const m = this.mapFor(key);
    const e = m.get(key);
    if (e !== undefined && this.lru) {
      m.delete(key); // move to the most-recent end
      m.set(key, e);
    }
    return e;
  }

  delete(key: string): void {
    this.mapFor(key).delete(key);
  }

  set(key: string, e: Entry): void {
    const m = this.mapFor(key);
    if (m.has(key)) m.delete(key);
    else if (m.size >= this.shardSize) {
      let victim: string;
      if (this.lru) victim = m.keys().next().value as string;
      else {
        let k = this.rng.int(0, m.size);
        victim = '';
        for (const key of m.keys())
          if (k-- === 0) {
            victim = key;
            break;
          }
      }
      m.delete(victim);
      this.evictions++;
    }
    m.set(key, e);
  }

  get size(): number {
    if (this.lru) return this.lru.size;
    let n = 0;
    for (const s of this.shards!) n += s.size;
    return n;
  }
}

export class DnsCache {
  readonly maxTtl: number;
  readonly denialMaxTtl: number;
  readonly minTtl: number;
  private readonly success: Pool;
  private readonly denial: Pool;
  hits = 0;
  misses = 0;
  expired = 0;

  constructor(opts: DnsCacheOptions = {}) {
    const capacity = opts.capacity ?? CACHE_DEFAULT_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`DnsCache: capacity must be a positive integer, got ${capacity}`);
    this.maxTtl = opts.maxTtl ?? CACHE_DEFAULT_MAX_TTL;
    this.denialMaxTtl = opts.denialMaxTtl ?? this.maxTtl;
    this.minTtl = Math.min(opts.minTtl ?? CACHE_DEFAULT_MIN_TTL, this.maxTtl, this.denialMaxTtl);
    const rng = new Rng(opts.seed ?? 'dns-cache');
    const policy = opts.eviction ?? 'lru';
    this.success = new Pool(capacity, policy, rng);
    this.denial = new Pool(capacity, policy, rng);
  }

  static key(q: DnsQuestion): string {
    return `${canonicalName(q.name)}|${q.type}`;
  }

  /** The cached response with TTLs counted down, or undefined (a miss). */
  get(q: DnsQuestion, nowNs: number): DnsResponse | undefined {
    const key = DnsCache.key(q);
    for (const pool of [this.success, this.denial]) {
      const e = pool.get(key);
      if (e === undefined) continue;
      if (nowNs >= e.expiresNs) {
        pool.delete(key);
        this.expired++;
        break;
      }
      this.hits++;
      const left = Math.floor((e.expiresNs - nowNs) / NS_PER_S);
      return { ...e.response, answers: e.response.answers.map((a) => ({ ...a, ttl: left })), work: 0, cache: 'hit' };
    }
    this.misses++;
    return undefined;
  }

  /** Stores a response for min(TTL) clamped to [minTtl, maxTtl] (negative: the SOA negative TTL). */
  put(q: DnsQuestion, r: DnsResponse, nowNs: number): void {
    const positive = r.answers.length > 0;
    const seconds = this.ttlFor(r);
    const key = DnsCache.key(q);
    (positive ? this.denial : this.success).delete(key);
    (positive ? this.success : this.denial).set(key, { response: r, storedNs: nowNs, expiresNs: nowNs + seconds * NS_PER_S });
  }

  /** How long a response would be cached, s. */
  ttlFor(r: DnsResponse): number {
    const positive = r.answers.length > 0;
    const ttl = positive ? Math.min(...r.answers.map((a) => a.ttl)) : r.negativeTtl;
    return Math.min(Math.max(ttl, this.minTtl), positive ? this.maxTtl : this.denialMaxTtl);
  }

  stats(): CacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      expired: this.expired,
      evictions: this.success.evictions + this.denial.evictions,
      entries: this.success.size + this.denial.size,
    };
  }
}

/** A cache in front of a transport: CoreDNS's `cache` plugin in front of its backends. */
export class CachedTransport implements DnsTransport {
  constructor(
    readonly inner: DnsTransport,
    readonly cache: DnsCache = new DnsCache(),
  ) {}

  query(q: DnsQuestion, ctx: QueryContext = {}): DnsResponse {
    const now = ctx.nowNs ?? 0;
    const hit = this.cache.get(q, now);
    if (hit) return hit;
    const r = this.inner.query(q, ctx);
    this.cache.put(q, r, now);
    return { ...r, cache: 'miss' };
  }
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
