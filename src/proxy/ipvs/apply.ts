// Bringing the kernel's IPVS table to the desired state with the calls kube-proxy 1.25
// makes: syncService (add or update a virtual server), syncEndpoint (add real servers,
// gracefully delete old ones), cleanLegacyService (delete virtual servers no longer wanted),
// and the graceful-termination manager (weight 0 first, delete once connections are gone;
// UDP at once). Each call is one netlink operation.
import { type Ipvs, type RealServer, type VirtualService } from '../../ipvs/index.ts';
import { formatIPv4 } from '../../util/ipv4.ts';
import { destKey, vsKey, type DesiredState } from './desired.ts';
import { PROTO_UDP } from '../../util/proto.ts';

export interface ApplyCounts {
  virtualServerOps: number;
  realServerOps: number;
}

/** Real servers at weight 0 waiting for their connections to end (GracefulTerminationManager). */
export class GracefulTermination {
  private readonly list = new Map<string, { svcKey: string; dest: RealServer }>();

  static key(svc: VirtualService, d: { addr: number; port: number }): string {
    return `${vsKey(svc.proto, svc.addr, svc.port)}/${formatIPv4(d.addr)}:${d.port}`;
  }

  has(key: string): boolean {
    return this.list.has(key);
  }

  get size(): number {
    return this.list.size;
  }

  add(svc: VirtualService, dest: RealServer): void {
    this.list.set(GracefulTermination.key(svc, dest), { svcKey: vsKey(svc.proto, svc.addr, svc.port), dest });
  }

  remove(key: string): void {
    this.list.delete(key);
  }

  /** tryDeleteRs: delete every listed dest whose connections are gone; returns netlink ops. */
  flush(ipvs: Ipvs): number {
    let ops = 0;
    for (const [key, item] of this.list) {
      const [proto, addr, port] = item.svcKey.split('/').map(Number);
      const svc = ipvs.getService(proto, addr, port);
      if (!svc || !svc.dests.includes(item.dest)) {
        this.list.delete(key); // gone with its virtual server
        continue;
      }
      if (canDeleteNow(svc, item.dest)) {
        ipvs.deleteDest(svc, item.dest);
        ops++;
        this.list.delete(key);
      }
    }
    return ops;
  }
}

/** deleteRsFunc: UDP dests go at once (expire_nodest_conn handles stragglers), others when idle. */
function canDeleteNow(svc: VirtualService, d: RealServer): boolean {
  return svc.proto === PROTO_UDP || d.activeConns + d.inactConns === 0;
}

export function applyDesired(ipvs: Ipvs, want: DesiredState, graceful: GracefulTermination): ApplyCounts {
  const counts: ApplyCounts = { virtualServerOps: 0, realServerOps: 0 };
  for (const d of want.services.values()) {
    const s = d.spec;
    let svc = ipvs.getService(s.proto, s.addr, s.port);
    if (!svc) {
      svc = ipvs.addService(s);
      counts.virtualServerOps++;
    } else if (svc.scheduler !== s.scheduler || svc.flags !== s.flags || svc.timeout !== s.timeout) {
      ipvs.editService(svc, s);
      counts.virtualServerOps++;
    }
    counts.realServerOps += syncEndpoints(ipvs, svc, d.dests, graceful);
  }
  // cleanLegacyService: every virtual server not wanted any more goes.
  for (const svc of ipvs.services()) {
    if (want.services.has(vsKey(svc.proto, svc.addr, svc.port))) continue;
    ipvs.deleteService(svc);
    counts.virtualServerOps++;
  }
  return counts;
}

function syncEndpoints(
  ipvs: Ipvs,
  svc: VirtualService,
  want: Map<number, { addr: number; port: number }>,
  graceful: GracefulTermination,
): number {
  let ops = 0;
  const cur = new Map<number, RealServer>();
  for (const d of svc.dests) cur.set(destKey(d.addr, d.port), d);
  for (const [ep, d] of want) {
    const existing = cur.get(ep);
    let counters: RealServer | undefined;
    if (existing) {
      if (graceful.size === 0) continue;
      const gk = GracefulTermination.key(svc, d);
      if (!graceful.has(gk)) continue;
      // Back while terminating: MoveRSOutofGracefulDeleteList deletes it, then it is re-added.
      ipvs.deleteDest(svc, existing);
      graceful.remove(gk);
      counters = existing;
      ops++;
    }
    ipvs.addDest(svc, { addr: d.addr, port: d.port, weight: 1 }, counters);
    ops++;
  }
  for (const [ep, d] of cur) {
    if (want.has(ep)) continue;
    if (graceful.size > 0 && graceful.has(GracefulTermination.key(svc, d))) continue;
    if (canDeleteNow(svc, d)) ipvs.deleteDest(svc, d);
    else {
      ipvs.editDest(svc, d, 0);
      graceful.add(svc, d);
    }
    ops++;
  }
  return ops;
}
