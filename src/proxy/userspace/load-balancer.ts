// The userspace proxy's backend choice (roundrobin.go, LoadBalancerRR): per service port a
// list of endpoints, shuffled whenever the set changes, taken in turn; with ClientIP affinity
// a client that came within the timeout gets its previous endpoint again (NextEndpoint).
import type { Rng } from '../../engine/rng.ts';

export interface Backend {
  ip: number;
  port: number;
  /** "ip:port", the balancer's endpoint string. */
  key: string;
}

interface Affinity {
  backend: Backend;
  lastUsedS: number;
}

export class BalancerState {
  backends: Backend[] = [];
  index = 0;
  /** Client IP -> last endpoint. */
  readonly affinity = new Map<number, Affinity>();

  constructor(
    public sticky: boolean,
    public ttlSeconds: number,
  ) {}

  /**
   * OnEndpointsUpdate: when the endpoint set changed, drop affinity to removed endpoints,
   * shuffle the new list (util.ShuffleStrings) and restart the round robin.
   */
  setBackends(next: Backend[], rng: Rng): boolean {
    const cur = new Set(this.backends.map((b) => b.key));
    if (next.length === cur.size && next.every((b) => cur.has(b.key))) return false;
    const keep = new Set(next.map((b) => b.key));
    for (const [client, a] of this.affinity) if (!keep.has(a.backend.key)) this.affinity.delete(client);
    const list = next.slice();
    for (let i = list.length - 1; i > 0; i--) {
      const j = rng.int(0, i + 1);
      [list[i], list[j]] = [list[j], list[i]];
    }
    this.backends = list;
    this.index = 0;
    return true;
  }

  /** NextEndpoint; null when there are no endpoints (the proxy then closes the connection). */
  next(clientIP: number, nowS: number): Backend | null {
    if (this.backends.length === 0) return null;
    if (this.sticky) {
      const a = this.affinity.get(clientIP);
      // Go: int(time.Since(lastUsed).Seconds()) < ttlSeconds.
      if (a && Math.trunc(nowS - a.lastUsedS) < this.ttlSeconds) {
        a.lastUsedS = nowS;
        return a.backend;
      }
    }
    const b = this.backends[this.index];
    this.index = (this.index + 1) % this.backends.length;
    if (this.sticky) {
      const a = this.affinity.get(clientIP);
      if (a) {
        a.backend = b;
        a.lastUsedS = nowS;
      } else this.affinity.set(clientIP, { backend: b, lastUsedS: nowS });
    }
    return b;
  }

  /** CleanupStaleStickySessions. */
  cleanup(nowS: number): void {
    for (const [client, a] of this.affinity) if (Math.trunc(nowS - a.lastUsedS) >= this.ttlSeconds) this.affinity.delete(client);
  }
}
