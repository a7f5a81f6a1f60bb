// IPVS objects as the kernel keeps them (struct ip_vs_service, struct ip_vs_dest), reduced
// to what scheduling and `ipvsadm -Ln` need. Addresses are uint32, host order.

export const SCHEDULER_NAMES = ['rr', 'wrr', 'lc', 'wlc', 'sh', 'dh', 'sed', 'nq'] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/** IP_VS_SVC_F_PERSISTENT: ClientIP affinity. */
export const SVC_F_PERSISTENT = 0x0001;

/** Forwarding method of a real server (ipvsadm's -m/-g/-i); kube-proxy always uses Masq (NAT). */
export type ForwardMethod = 'Masq' | 'Local' | 'Tunnel' | 'Route';

/** struct ip_vs_dest. */
export interface RealServer {
  addr: number;
  port: number;
  weight: number;
  fwd: ForwardMethod;
  /** Connections counted active (TCP established) and inactive (other states, UDP). */
  activeConns: number;
  inactConns: number;
  /** Persistence templates pointing here. */
  persistConns: number;
}

/** What add/edit of a virtual service specify (ipvsadm -A / -E). */
export interface ServiceSpec {
  proto: number;
  addr: number;
  port: number;
  scheduler: SchedulerName;
  /** SVC_F_* bits. */
  flags: number;
  /** Persistence timeout in seconds (with SVC_F_PERSISTENT). */
  timeout: number;
  /** Persistence granularity netmask (ipvsadm -M), default 255.255.255.255. */
  netmask: number;
}

/** struct ip_vs_service. */
export interface VirtualService extends ServiceSpec {
  /** Slot in the service table. */
  slot: number;
  /** Destinations in list order: the kernel adds new ones at the head (list_add_rcu). */
  dests: RealServer[];
  /** Scheduler private state (svc->sched_data). */
  sched: SchedulerState;
}

/** svc->sched_data of each scheduler. */
export interface SchedulerState {
  /** rr/wrr cursor into dests: -1 is the list head. */
  cursor: number;
  /** wrr: current weight, max weight (reduced by di-1), gcd step. */
  cw: number;
  mw: number;
  di: number;
  /** sh/dh: 256 buckets of dest indexes (-1 empty). */
  buckets: Int32Array | null;
}

export interface Scheduler {
  readonly name: SchedulerName;
  /** init_service. */
  init(svc: VirtualService): void;
  /** add_dest/del_dest/upd_dest (after the list changed). `removed` is the index a del_dest removed. */
  destsChanged(svc: VirtualService, change: 'add' | 'del' | 'upd', index: number): void;
  /** Index into svc.dests of the chosen server, or -1 ("no destination available"). */
  schedule(svc: VirtualService, srcAddr: number, srcPort: number, dstAddr: number): number;
}

export function newSchedulerState(): SchedulerState {
  return { cursor: -1, cw: 0, mw: 0, di: 1, buckets: null };
}

/** A dest can take new connections when its weight is positive (weight 0 = quiesced). */
export function available(d: RealServer): boolean {
  return d.weight > 0;
}

/** ip_vs_dest_conn_overhead: activeconns * 256 + inactconns. */
export function connOverhead(d: RealServer): number {
  return d.activeConns * 256 + d.inactConns;
}
