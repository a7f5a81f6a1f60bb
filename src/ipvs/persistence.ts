// Persistence templates (ip_vs_sched_persist in ip_vs_core.c): a persistent service
// remembers, per client (address & netmask), the dest its first connection went to. Later
// connections reuse it while the template lives; each use re-arms the template's timer
// (ip_vs_conn_put). A template whose dest has weight 0 is expired at once, because
// kube-proxy sets net.ipv4.vs.expire_quiescent_template=1 (ip_vs_check_template).
import type { RealServer } from './types.ts';

interface Template {
  dest: RealServer;
  expiresNs: number;
}

export class PersistenceTable {
  /** Per service slot: client key -> template. */
  private readonly bySlot = new Map<number, Map<number, Template>>();

  /** The dest of a live template for this client, refreshing it; null when there is none. */
  lookup(slot: number, client: number, nowNs: number, timeoutNs: number): RealServer | null {
    const t = this.bySlot.get(slot)?.get(client);
    if (!t) return null;
    if (t.expiresNs <= nowNs || t.dest.weight <= 0) {
      this.drop(slot, client, t);
      return null;
    }
    t.expiresNs = nowNs + timeoutNs;
    return t.dest;
  }

  create(slot: number, client: number, dest: RealServer, nowNs: number, timeoutNs: number): void {
    let m = this.bySlot.get(slot);
    if (!m) this.bySlot.set(slot, (m = new Map()));
    const old = m.get(client);
    if (old) old.dest.persistConns--;
    m.set(client, { dest, expiresNs: nowNs + timeoutNs });
    dest.persistConns++;
  }

  /** Forget a service's templates (service deleted). */
  clearService(slot: number): void {
    const m = this.bySlot.get(slot);
    if (!m) return;
    for (const t of m.values()) t.dest.persistConns--;
    this.bySlot.delete(slot);
  }

  /** Forget templates that point at a removed dest. */
  clearDest(slot: number, dest: RealServer): void {
    const m = this.bySlot.get(slot);
    if (!m) return;
    for (const [k, t] of m) if (t.dest === dest) this.drop(slot, k, t);
  }

  /** Live templates of a service (for tests and stats). */
  count(slot: number): number {
    return this.bySlot.get(slot)?.size ?? 0;
  }

  private drop(slot: number, client: number, t: Template): void {
    t.dest.persistConns--;
    this.bySlot.get(slot)!.delete(client);
  }
}
