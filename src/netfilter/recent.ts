// State for `-m recent` (xt_recent): per list name, when each address was last seen.

export interface RecentStore {
  /** Whether `addr` is in list `name`, seen within `seconds` (any age when null). */
  check(name: string, addr: number, seconds: number | null): boolean;
  /** Adds `addr` to list `name` or refreshes its timestamp. */
  set(name: string, addr: number): void;
  remove(name: string, addr: number): void;
}

/** In-memory recent lists; `now` returns seconds (simulated time). */
export class MemoryRecentStore implements RecentStore {
  private readonly lists = new Map<string, Map<number, number>>();

  constructor(private readonly now: () => number = () => 0) {}

  check(name: string, addr: number, seconds: number | null): boolean {
    const seen = this.lists.get(name)?.get(addr);
    if (seen === undefined) return false;
    return seconds === null || this.now() - seen <= seconds;
  }

  set(name: string, addr: number): void {
    let list = this.lists.get(name);
    if (!list) this.lists.set(name, (list = new Map()));
    list.set(addr, this.now());
  }

  remove(name: string, addr: number): void {
    this.lists.get(name)?.delete(addr);
  }
}
