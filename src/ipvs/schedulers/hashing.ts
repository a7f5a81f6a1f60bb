// The hashing schedulers, each with a 256-bucket table of dests rebuilt whenever the dest
// list changes.
//   sh (ip_vs_sh.c): buckets filled in list order, each dest taking `weight` consecutive
//      buckets (ip_vs_sh_reassign); a packet's bucket is hash_32(source address) (plus the
//      source port with the sh-port flag, which kube-proxy never sets).
//   dh (ip_vs_dh.c): buckets get the dests in turn, one each (ip_vs_dh_reassign); a packet's
//      bucket is (destination address * 2654435761) & 255.
// Both return no destination when the bucket's dest has weight 0 (no sh-fallback flag).
import { dhHashKey, IP_VS_SCHED_TAB_SIZE, shHashKey } from '../hash.ts';
import type { Scheduler, VirtualService } from '../types.ts';

function reassignSh(svc: VirtualService): void {
  const b = (svc.sched.buckets ??= new Int32Array(IP_VS_SCHED_TAB_SIZE));
  const n = svc.dests.length;
  let p = 0;
  let count = 0;
  for (let i = 0; i < IP_VS_SCHED_TAB_SIZE; i++) {
    if (n === 0) {
      b[i] = -1;
      continue;
    }
    b[i] = p;
    // Don't move to the next dest until this one has filled `weight` buckets.
    if (++count >= svc.dests[p].weight) {
      p = (p + 1) % n;
      count = 0;
    }
  }
}

function reassignDh(svc: VirtualService): void {
  const b = (svc.sched.buckets ??= new Int32Array(IP_VS_SCHED_TAB_SIZE));
  const n = svc.dests.length;
  for (let i = 0; i < IP_VS_SCHED_TAB_SIZE; i++) b[i] = n === 0 ? -1 : i % n;
}

function pick(svc: VirtualService, bucket: number): number {
  const i = svc.sched.buckets![bucket];
  return i >= 0 && svc.dests[i].weight > 0 ? i : -1;
}

export const sh: Scheduler = {
  name: 'sh',
  init: reassignSh,
  destsChanged: reassignSh,
  schedule(svc, srcAddr) {
    return pick(svc, shHashKey(srcAddr, 0));
  },
};

export const dh: Scheduler = {
  name: 'dh',
  init: reassignDh,
  destsChanged: reassignDh,
  schedule(svc, _srcAddr, _srcPort, dstAddr) {
    return pick(svc, dhHashKey(dstAddr));
  },
};
