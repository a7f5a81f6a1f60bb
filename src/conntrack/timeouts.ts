// Conntrack timeouts and table-size defaults, with where each number comes from.
// All durations are integer nanoseconds (the simulator's clock unit).

const S = 1e9;

/** Per-protocol, per-state timeouts (ns). See docs/conntrack.md for the sources. */
export interface ConntrackTimeouts {
  /** TCP SYN_SENT: first packet seen, no answer yet. Kernel tcp_timeouts: 2 min. */
  tcpSynSent: number;
  /**
   * TCP ESTABLISHED. Kernel default is 5 days (tcp_timeouts); kube-proxy writes
   * nf_conntrack_tcp_timeout_established = conntrack.tcpEstablishedTimeout, default 24 h.
   */
  tcpEstablished: number;
  /** TCP TIME_WAIT (what a closed connection sits in). Kernel tcp_timeouts: 2 min. */
  tcpTimeWait: number;
  /** UDP without a reply, and UDP replied but not yet a stream. Kernel udp_timeouts UNREPLIED: 30 s. */
  udpUnreplied: number;
  /** UDP stream (traffic both ways, still active > 2 s after the first packet). Kernel udp_timeouts REPLIED: 120 s. */
  udpStream: number;
  /** SCTP COOKIE_WAIT (INIT seen). Kernel sctp_timeouts: 3 s. */
  sctpCookieWait: number;
  /** SCTP ESTABLISHED. Kernel sctp_timeouts: 210 s (5 days before the 6.x state rework). */
  sctpEstablished: number;
  /** SCTP CLOSED (SHUTDOWN_COMPLETE seen). Kernel sctp_timeouts: 10 s. */
  sctpClosed: number;
  /** Any other protocol. Kernel nf_conntrack_generic_timeout: 600 s. */
  generic: number;
}

export const KERNEL_TIMEOUTS: Readonly<ConntrackTimeouts> = Object.freeze({
  tcpSynSent: 120 * S,
  tcpEstablished: 5 * 86400 * S,
  tcpTimeWait: 120 * S,
  udpUnreplied: 30 * S,
  udpStream: 120 * S,
  sctpCookieWait: 3 * S,
  sctpEstablished: 210 * S,
  sctpClosed: 10 * S,
  generic: 600 * S,
});

/** The kernel defaults with kube-proxy's override (tcpEstablishedTimeout 24 h). */
export const KUBE_PROXY_TIMEOUTS: Readonly<ConntrackTimeouts> = Object.freeze({
  ...KERNEL_TIMEOUTS,
  tcpEstablished: 24 * 3600 * S,
});

/** kube-proxy's conntrack.maxPerCore default. */
export const KUBE_PROXY_MAX_PER_CORE = 32 * 1024;
/** kube-proxy's conntrack.min default. */
export const KUBE_PROXY_MIN = 128 * 1024;

/**
 * nf_conntrack_max as kube-proxy sets it: max(min, maxPerCore × cores). kube-proxy leaves the
 * kernel's value alone when maxPerCore is 0; here that case needs an explicit `max` instead,
 * so it throws.
 */
export function kubeProxyConntrackMax(cores: number, maxPerCore = KUBE_PROXY_MAX_PER_CORE, min = KUBE_PROXY_MIN): number {
  if (!Number.isInteger(cores) || cores < 1) throw new Error(`cores must be a positive integer, got ${cores}`);
  if (!(maxPerCore > 0)) throw new Error('maxPerCore 0 means "leave the kernel value": pass an explicit max instead');
  return Math.max(min, maxPerCore * cores);
}

/**
 * Hash buckets for a table of `max` entries: kube-proxy raises the nf_conntrack hashsize module
 * parameter to max/4 when it is smaller (realConntracker.SetMax).
 */
export function kubeProxyBuckets(max: number): number {
  return Math.max(1, Math.floor(max / 4));
}
