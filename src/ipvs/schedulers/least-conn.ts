// The connection-counting schedulers. All skip dests with weight 0 (quiesced) and keep the
// first dest on ties, scanning the list in order as the kernel does.
//   lc  (ip_vs_lc.c):  least overhead = active*256 + inactive.
//   wlc (ip_vs_wlc.c): least overhead/weight, compared as loh*w > doh*lw (no division).
//   sed (ip_vs_sed.c): least (active+1)/weight.
//   nq  (ip_vs_nq.c):  an idle dest (no active connections) at once, else as sed.
import { connOverhead, type Scheduler, type VirtualService } from '../types.ts';

function noop(): void {}

export const lc: Scheduler = {
  name: 'lc',
  init: noop,
  destsChanged: noop,
  schedule(svc) {
    let least = -1;
    let loh = 0;
    const dests = svc.dests;
    for (let i = 0; i < dests.length; i++) {
      const d = dests[i];
      if (d.weight === 0) continue;
      const doh = connOverhead(d);
      if (least === -1 || doh < loh) {
        least = i;
        loh = doh;
      }
    }
    return least;
  },
};

/** Weighted least-overhead scan shared by wlc and sed: only the overhead function differs. */
function weightedLeast(svc: VirtualService, overhead: (i: number) => number): number {
  const dests = svc.dests;
  let least = -1;
  for (let i = 0; i < dests.length; i++) {
    if (dests[i].weight > 0) {
      least = i;
      break;
    }
  }
  if (least === -1) return -1;
  let loh = overhead(least);
  for (let i = least + 1; i < dests.length; i++) {
    const doh = overhead(i);
    // Weight-0 dests can never win: loh * 0 > doh * lw is false.
    if (loh * dests[i].weight > doh * dests[least].weight) {
      least = i;
      loh = doh;
    }
  }
  return least;
}

export const wlc: Scheduler = {
  name: 'wlc',
  init: noop,
  destsChanged: noop,
  schedule(svc) {
    return weightedLeast(svc, (i) => connOverhead(svc.dests[i]));
  },
};

export const sed: Scheduler = {
  name: 'sed',
  init: noop,
  destsChanged: noop,
  schedule(svc) {
    return weightedLeast(svc, (i) => svc.dests[i].activeConns + 1);
  },
};

export const nq: Scheduler = {
  name: 'nq',
  init: noop,
  destsChanged: noop,
  schedule(svc) {
    const dests = svc.dests;
    let least = -1;
    let loh = 0;
    for (let i = 0; i < dests.length; i++) {
      const d = dests[i];
      if (d.weight === 0) continue;
      const doh = d.activeConns + 1;
      if (d.activeConns === 0) return i;
      if (least === -1 || loh * d.weight > doh * dests[least].weight) {
        least = i;
        loh = doh;
      }
    }
    return least;
  },
};
