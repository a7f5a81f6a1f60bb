// The kernel's IPVS as a user sees it through netlink (ipvsadm, kube-proxy's libipvs):
// virtual services hashed on (protocol, address, port), each with real servers and a
// scheduler. Every add/edit/delete is one netlink operation and is counted.
import { InputError } from '../util/errors.ts';
import { formatIPv4 } from '../util/ipv4.ts';
import { PersistenceTable } from './persistence.ts';
import { getScheduler } from './schedulers/index.ts';
import { ServiceTable, type ServiceTableOptions } from './service-table.ts';
import {
  newSchedulerState,
  SVC_F_PERSISTENT,
  type ForwardMethod,
  type RealServer,
  type ServiceSpec,
  type VirtualService,
} from './types.ts';
import { PROTO_UDP } from '../util/proto.ts';

export interface DestSpec {
  addr: number;
  port: number;
  weight: number;
  fwd?: ForwardMethod;
}

export class Ipvs {
  readonly table: ServiceTable;
  /** Services by table slot. */
  private readonly slots: (VirtualService | null)[] = [];
  private readonly persistence = new PersistenceTable();
  /** Port-zero ("catch-all") services; __ip_vs_service_find is retried with port 0 only when some exist. */
  private nullServices = 0;
  /** Netlink operations applied since construction (add/edit/delete of services and dests). */
  netlinkOps = 0;
  /** Simulated time for persistence templates, set with setTime(). */
  private nowNs = 0;

  constructor(opts: ServiceTableOptions = {}) {
    this.table = new ServiceTable(opts);
  }

  setTime(nowNs: number): void {
    this.nowNs = nowNs;
  }

  get serviceCount(): number {
    return this.table.size;
  }

  get realServerCount(): number {
    let n = 0;
    for (const s of this.slots) if (s) n += s.dests.length;
    return n;
  }

  // --- netlink operations -------------------------------------------------------------

  /** IPVS_CMD_NEW_SERVICE (ipvsadm -A). */
  addService(spec: ServiceSpec): VirtualService {
    const sched = getScheduler(spec.scheduler);
    if (this.table.findQuiet(spec.proto, spec.addr >>> 0, spec.port) !== -1)
      throw new InputError(`virtual service ${describe(spec)} already exists`);
    const slot = this.table.insert(spec.proto, spec.addr, spec.port);
    const svc: VirtualService = { ...spec, addr: spec.addr >>> 0, slot, dests: [], sched: newSchedulerState() };
    sched.init(svc);
    this.slots[slot] = svc;
    if (spec.port === 0) this.nullServices++;
    this.netlinkOps++;
    return svc;
  }

  /** IPVS_CMD_SET_SERVICE (ipvsadm -E): scheduler, flags, timeout, netmask. */
  editService(svc: VirtualService, spec: Pick<ServiceSpec, 'scheduler' | 'flags' | 'timeout' | 'netmask'>): void {
    const changedSched = spec.scheduler !== svc.scheduler;
    svc.scheduler = spec.scheduler;
    svc.flags = spec.flags;
    svc.timeout = spec.timeout;
    svc.netmask = spec.netmask;
    if (changedSched) {
      svc.sched = newSchedulerState();
      getScheduler(svc.scheduler).init(svc);
    }
    if ((svc.flags & SVC_F_PERSISTENT) === 0) this.persistence.clearService(svc.slot);
    this.netlinkOps++;
  }

  /** IPVS_CMD_DEL_SERVICE (ipvsadm -D). */
  deleteService(svc: VirtualService): void {
    this.table.remove(svc.slot);
    this.slots[svc.slot] = null;
    this.persistence.clearService(svc.slot);
    if (svc.port === 0) this.nullServices--;
    this.netlinkOps++;
  }

  /** IPVS_CMD_NEW_DEST (ipvsadm -a): the new dest goes to the head of the list. */
  addDest(svc: VirtualService, spec: DestSpec, counters?: Pick<RealServer, 'activeConns' | 'inactConns'>): RealServer {
    if (this.findDest(svc, spec.addr, spec.port) !== -1) {
      throw new InputError(`real server ${formatIPv4(spec.addr)}:${spec.port} already in ${describe(svc)}`);
    }
    const d: RealServer = {
      addr: spec.addr >>> 0,
      port: spec.port,
      weight: spec.weight,
      fwd: spec.fwd ?? 'Masq',
      // A dest re-added while its connections live comes back from the kernel's dest_trash
      // with its counters (ip_vs_trash_get_dest).
      activeConns: counters?.activeConns ?? 0,
      inactConns: counters?.inactConns ?? 0,
      persistConns: 0,
    };
    svc.dests.unshift(d);
    getScheduler(svc.scheduler).destsChanged(svc, 'add', 0);
    this.netlinkOps++;
    return d;
  }

  /** IPVS_CMD_SET_DEST (ipvsadm -e): weight (and forwarding method). */
  editDest(svc: VirtualService, d: RealServer, weight: number): void {
    d.weight = weight;
    getScheduler(svc.scheduler).destsChanged(svc, 'upd', svc.dests.indexOf(d));
    this.netlinkOps++;
  }

  /** IPVS_CMD_DEL_DEST (ipvsadm -d). */
  deleteDest(svc: VirtualService, d: RealServer): void {
    const k = svc.dests.indexOf(d);
    if (k < 0) throw new Error('dest not in service');
    svc.dests.splice(k, 1);
    this.persistence.clearDest(svc.slot, d);
    getScheduler(svc.scheduler).destsChanged(svc, 'del', k);
    this.netlinkOps++;
  }

  // --- lookups ------------------------------------------------------------------------

  /**
   * ip_vs_service_find: the exact (protocol, address, port) entry, else the port-zero entry
   * when port-zero services exist. Probes made are in table.lastProbes / lastProbes.
   */
  findService(proto: number, addr: number, port: number): VirtualService | null {
    let slot = this.table.find(proto, addr, port);
    let probes = this.table.lastProbes;
    if (slot === -1 && this.nullServices > 0 && port !== 0) {
      slot = this.table.find(proto, addr, 0);
      probes += this.table.lastProbes;
    }
    this.lastProbes = probes;
    return slot === -1 ? null : this.slots[slot];
  }

  /** Probes of the last findService (both tries when the port-zero fallback ran). */
  lastProbes = 0;

  /** The service with exactly this key, without counting probes (control-plane lookups). */
  getService(proto: number, addr: number, port: number): VirtualService | null {
    const slot = this.table.findQuiet(proto, addr >>> 0, port);
    return slot === -1 ? null : this.slots[slot];
  }

  findDest(svc: VirtualService, addr: number, port: number): number {
    const a = addr >>> 0;
    for (let i = 0; i < svc.dests.length; i++) if (svc.dests[i].addr === a && svc.dests[i].port === port) return i;
    return -1;
  }

  /**
   * ip_vs_schedule for the first packet of a connection: the persistence template when the
   * service is persistent and one is live, else the scheduler. Returns null when no dest is
   * available (the kernel then answers ICMP port unreachable and drops: ip_vs_leave).
   * The new connection is counted on the dest (active for TCP/SCTP, inactive for UDP).
   */
  schedule(svc: VirtualService, srcAddr: number, srcPort: number, dstAddr: number): RealServer | null {
    let d: RealServer | null = null;
    const persistent = (svc.flags & SVC_F_PERSISTENT) !== 0;
    const timeoutNs = svc.timeout * 1e9;
    const client = (srcAddr & svc.netmask) >>> 0;
    if (persistent) d = this.persistence.lookup(svc.slot, client, this.nowNs, timeoutNs);
    if (!d) {
      const i = getScheduler(svc.scheduler).schedule(svc, srcAddr >>> 0, srcPort, dstAddr >>> 0);
      if (i < 0) return null;
      d = svc.dests[i];
      if (persistent) this.persistence.create(svc.slot, client, d, this.nowNs, timeoutNs);
    }
    if (svc.proto === PROTO_UDP) d.inactConns++;
    else d.activeConns++;
    return d;
  }

  /** A connection scheduled to `d` ended (ip_vs_unbind_dest). */
  connectionClosed(svc: VirtualService, d: RealServer): void {
    if (svc.proto === PROTO_UDP) d.inactConns = Math.max(0, d.inactConns - 1);
    else d.activeConns = Math.max(0, d.activeConns - 1);
  }

  persistenceTemplates(svc: VirtualService): number {
    return this.persistence.count(svc.slot);
  }

  /** All virtual services, in the order a netlink dump returns them (table order). */
  services(): VirtualService[] {
    return this.table.slotsInTableOrder().map((slot) => this.slots[slot]!);
  }
}

function describe(s: Pick<ServiceSpec, 'proto' | 'addr' | 'port'>): string {
  return `${s.proto}/${formatIPv4(s.addr)}:${s.port}`;
}
