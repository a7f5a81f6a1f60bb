// Round robin (net/netfilter/ipvs/ip_vs_rr.c, ip_vs_rr_schedule): starting after the
// cursor, take the next dest with weight > 0, wrapping around once; the cursor moves to it.
import { available, type Scheduler, type VirtualService } from '../types.ts';
import { cursorAfterAdd, cursorAfterDelete } from './cursor.ts';

export const rr: Scheduler = {
  name: 'rr',
  init(svc) {
    svc.sched.cursor = -1;
  },
  destsChanged(svc, change, index) {
    if (change === 'add') svc.sched.cursor = cursorAfterAdd(svc.sched.cursor);
    else if (change === 'del') svc.sched.cursor = cursorAfterDelete(svc.sched.cursor, index);
  },
  schedule(svc: VirtualService) {
    const dests = svc.dests;
    const n = dests.length;
    const start = svc.sched.cursor + 1;
    for (let j = 0; j < n; j++) {
      const i = (start + j) % n;
      if (available(dests[i])) {
        svc.sched.cursor = i;
        return i;
      }
    }
    return -1;
  },
};
