// The hash functions IPVS uses, on uint32 host-order values (ntohl already applied).

/** Default IP_VS_SVC_TAB_BITS: the virtual-service table has 2^8 = 256 buckets. */
export const IP_VS_SVC_TAB_BITS = 8;

/**
 * ip_vs_svc_hashkey (net/netfilter/ipvs/ip_vs_ctl.c):
 * (proto ^ addr ^ salt ^ (port >> bits) ^ port) & mask. The kernel's salt is the netns_ipvs
 * pointer shifted right by 8 (random per boot); kpsim takes it as a parameter, default 0.
 */
export function svcHashKey(proto: number, addr: number, port: number, bits: number, salt = 0): number {
  const mask = (1 << bits) - 1;
  return ((proto ^ addr ^ salt ^ (port >>> bits) ^ port) & mask) >>> 0;
}

/** The kernel's GOLDEN_RATIO_32 (include/linux/hash.h, since 4.7). */
const GOLDEN_RATIO_32 = 0x61c88647;

/** hash_32(val, bits): the top `bits` bits of val * GOLDEN_RATIO_32 (mod 2^32). */
export function hash32(val: number, bits: number): number {
  return Math.imul(val >>> 0, GOLDEN_RATIO_32) >>> (32 - bits);
}

/** Buckets of the sh/dh schedulers' tables (CONFIG_IP_VS_SH_TAB_BITS / _DH_TAB_BITS = 8). */
export const IP_VS_SCHED_TAB_BITS = 8;
export const IP_VS_SCHED_TAB_SIZE = 1 << IP_VS_SCHED_TAB_BITS;

/** ip_vs_sh_hashkey: (offset + hash_32(port + addr, 8)) & 255; port is 0 unless the sh-port flag is set. */
export function shHashKey(addr: number, port: number, offset = 0): number {
  return (offset + hash32((port + addr) >>> 0, IP_VS_SCHED_TAB_BITS)) & (IP_VS_SCHED_TAB_SIZE - 1);
}

/** ip_vs_dh_hashkey: (addr * 2654435761) & 255 (the low bits of the product). */
export function dhHashKey(addr: number): number {
  return Math.imul(addr >>> 0, 2654435761 | 0) & (IP_VS_SCHED_TAB_SIZE - 1);
}
