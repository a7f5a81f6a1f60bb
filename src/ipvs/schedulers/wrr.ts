// Weighted round robin (ip_vs_wrr.c). Passes over the dest list with a current weight cw
// that starts at mw (max weight - (gcd - 1)) and drops by di (the gcd of the weights) after
// each pass; a dest is picked when its weight >= cw. So with weights 3:1 the sequence is
// A A A B A A A B ... (ip_vs_wrr_schedule, ip_vs_wrr_dest_changed).
import type { Scheduler, VirtualService } from '../types.ts';

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** ip_vs_wrr_gcd_weight: gcd of the positive weights, 1 when none. */
function gcdWeight(svc: VirtualService): number {
  let g = 0;
  for (const d of svc.dests) if (d.weight > 0) g = g > 0 ? gcd(d.weight, g) : d.weight;
  return g || 1;
}

function maxWeight(svc: VirtualService): number {
  let w = 0;
  for (const d of svc.dests) if (d.weight > w) w = d.weight;
  return w;
}

/** ip_vs_wrr_dest_changed: cursor back to the head, recompute di/mw, keep cw if still valid. */
function recompute(svc: VirtualService, init: boolean): void {
  const s = svc.sched;
  s.cursor = -1;
  s.di = gcdWeight(svc);
  s.mw = maxWeight(svc) - (s.di - 1);
  if (init || s.cw > s.mw || s.cw === 0) s.cw = s.mw;
  else if (s.di > 1) s.cw = Math.trunc(s.cw / s.di) * s.di + 1;
}

export const wrr: Scheduler = {
  name: 'wrr',
  init(svc) {
    recompute(svc, true);
  },
  destsChanged(svc) {
    recompute(svc, false);
  },
  schedule(svc) {
    const s = svc.sched;
    const dests = svc.dests;
    const n = dests.length;
    let d = s.cursor;
    if (s.mw === 0) return -1;
    const last = d;
    let stop = -2;
    let lastPass = false;
    let restarted = false;
    for (;;) {
      // list_for_each_entry_continue: the entries after d up to the list head.
      for (let i = d + 1; i < n; i++) {
        if (dests[i].weight >= s.cw) {
          s.cursor = i;
          return i;
        }
        if (i === stop) {
          s.cursor = i;
          return -1;
        }
      }
      d = -1;
      s.cw -= s.di;
      if (s.cw <= 0) {
        s.cw = s.mw;
        // Stop if the last pass (weight >= 1) already covered every dest.
        if (lastPass || last === -1) {
          s.cursor = -1;
          return -1;
        }
        restarted = true;
      }
      lastPass = s.cw <= s.di;
      if (lastPass && restarted && last !== -1) stop = last;
    }
  },
};
