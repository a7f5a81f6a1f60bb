// Keeps an rr/wrr list cursor pointing at the same dest when the dest array changes: new
// dests go to index 0 (the kernel's list_add_rcu at the head), so indexes after it shift.

/** Cursor after an insertion at index 0. */
export function cursorAfterAdd(cursor: number): number {
  return cursor >= 0 ? cursor + 1 : cursor;
}

/**
 * Cursor after removing index `k`. A cursor on the removed dest moves to the previous list
 * entry, as ip_vs_rr_del_dest does (p->next->prev after the unlink), -1 being the head.
 */
export function cursorAfterDelete(cursor: number, k: number): number {
  if (cursor === k) return k - 1;
  return cursor > k ? cursor - 1 : cursor;
}
