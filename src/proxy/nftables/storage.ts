// kube-proxy's nftElementStorage (pkg/proxy/nftables/proxier.go): its own record of one set's
// or map's elements, so a partial sync writes only the difference. ensure() adds an element
// that is new, deletes and re-adds one whose value changed, and leaves an equal one alone;
// cleanup() deletes what no service ensured since the last reset() or cleanup().
import type { Transaction } from './tx.ts';
import type { NftSet, VerdictMap } from './table.ts';

interface Entry {
  ip: number;
  pp: number;
  value: number;
}

export class ElementStorage {
  private readonly entries = new Map<string, Entry>();
  private leftover = new Set<string>();

  /** Flushes the container (a full sync) and forgets every element. */
  reset(tx: Transaction, container: NftSet | VerdictMap): void {
    tx.flushSet(container);
    this.entries.clear();
    this.leftover.clear();
  }

  ensureAddress(tx: Transaction, set: NftSet, ip: number): void {
    const key = String(ip);
    if (this.entries.has(key)) this.leftover.delete(key);
    else {
      tx.addAddress(set, ip);
      this.entries.set(key, { ip, pp: 0, value: 0 });
    }
  }

  ensureMapElement(tx: Transaction, map: VerdictMap, ip: number, pp: number, value: number, comment: string | null = null): void {
    const key = `${ip},${pp}`;
    const e = this.entries.get(key);
    if (!e) {
      tx.addMapElement(map, ip, pp, value, comment);
      this.entries.set(key, { ip, pp, value });
      return;
    }
    if (e.value !== value) {
      tx.deleteMapElement(map, ip, pp);
      tx.addMapElement(map, ip, pp, value, comment);
      e.value = value;
    }
    this.leftover.delete(key);
  }

  cleanup(tx: Transaction, container: NftSet | VerdictMap): void {
    for (const key of this.leftover) {
      const e = this.entries.get(key)!;
      if (container.kind === 'set') tx.deleteAddress(container, e.ip);
      else tx.deleteMapElement(container, e.ip, e.pp);
      this.entries.delete(key);
    }
    this.leftover = new Set(this.entries.keys());
  }
}
