// kube-proxy's nftElementStorage (pkg/proxy/nftables/proxier.go): its own record of one set's
// or map's elements, so a partial sync writes only the difference. ensure() adds an element
// that is new, deletes and re-adds one whose value changed, and leaves an equal one alone;
// cleanup() deletes what no service ensured this sync. (kube-proxy tracks "leftover" keys in a
// set; a sync number stamped on each element says the same without building a set per sync.)
import type { Chain, NftSet, VerdictMap } from './table.ts';
import type { Transaction } from './tx.ts';

export class Entry {
  /** The sync that last ensured this element. */
  seen = 0;
  /** False once the element left the storage (a record holding it must not keep it). */
  live = true;
  constructor(
    readonly store: ElementStorage,
    readonly ip: number,
    readonly pp: number,
    public value: number,
  ) {}
}

/**
 * What one service port ensured in its last sync: its chains, affinity sets and elements. An
 * unchanged service ensures exactly these again in a partial sync, so kpsim re-marks them
 * instead of rebuilding every name and key (kube-proxy rebuilds them; the price counts that
 * work per service port).
 */
export class ServiceRecord {
  chains: Chain[] = [];
  affinitySets: NftSet[] = [];
  entries: Entry[] = [];
  values: number[] = [];

  /** Marks every element seen again; false when one changed under it (another service took its key). */
  keepElements(): boolean {
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (!e.live || e.value !== this.values[i]) return false;
      e.seen = e.store.sync;
    }
    return true;
  }

  /** Done: the arrays are kept at their length (push leaves up to 16 spare slots each, ~0.9 KB a service). */
  seal(): void {
    this.chains = exact(this.chains);
    this.affinitySets = exact(this.affinitySets);
    this.entries = exact(this.entries);
    this.values = exact(this.values);
  }
}

const NONE: never[] = [];
const exact = <T>(a: T[]): T[] => (a.length === 0 ? NONE : a.slice());

export class ElementStorage {
  private readonly entries = new Map<string, Entry>();
  /** The current sync's number. */
  sync = 0;

  beginSync(): void {
    this.sync++;
  }

  /** Flushes the container (a full sync) and forgets every element. */
  reset(tx: Transaction, container: NftSet | VerdictMap): void {
    tx.flushSet(container);
    for (const e of this.entries.values()) e.live = false;
    this.entries.clear();
  }

  ensureAddress(tx: Transaction, set: NftSet, ip: number, rec: ServiceRecord): void {
    const key = String(ip);
    let e = this.entries.get(key);
    if (!e) {
      tx.addAddress(set, ip);
      this.entries.set(key, (e = new Entry(this, ip, 0, 0)));
    }
    this.note(rec, e);
  }

  ensureMapElement(
    tx: Transaction,
    map: VerdictMap,
    ip: number,
    pp: number,
    value: number,
    rec: ServiceRecord,
    comment: string | null = null,
  ): void {
    const key = `${ip},${pp}`;
    let e = this.entries.get(key);
    if (!e) {
      tx.addMapElement(map, ip, pp, value, comment);
      this.entries.set(key, (e = new Entry(this, ip, pp, value)));
    } else if (e.value !== value) {
      tx.deleteMapElement(map, ip, pp);
      tx.addMapElement(map, ip, pp, value, comment);
      e.value = value;
    }
    this.note(rec, e);
  }

  cleanup(tx: Transaction, container: NftSet | VerdictMap): void {
    for (const [key, e] of this.entries) {
      if (e.seen === this.sync) continue;
      if (container.kind === 'set') tx.deleteAddress(container, e.ip);
      else tx.deleteMapElement(container, e.ip, e.pp);
      e.live = false;
      this.entries.delete(key);
    }
  }

  private note(rec: ServiceRecord, e: Entry): void {
    e.seen = this.sync;
    rec.entries.push(e);
    rec.values.push(e.value);
  }
}
