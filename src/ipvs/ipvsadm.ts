// `ipvsadm -Ln` output, as ipvsadm's list_all / print_title / print_service_entry print it:
// services sorted by ipvs_cmp_services (protocol, then address, then port) and dests by
// ipvs_cmp_dests (address, then port). Both compare addresses as `int r = ntohl(a) - ntohl(b)`,
// so two addresses more than 2^31 apart sort in wrapped (signed) order (a NodePort on
// 172.16.1.7 is listed before 10.96.0.1). That comparison is not transitive, so the order
// also depends on the sort: glibc's qsort merge sort (msort) is mirrored, fed in kernel
// dump order (hash buckets; dests in list order).
import { formatIPv4 } from '../util/ipv4.ts';
import type { Ipvs } from './ipvs.ts';
import { SVC_F_PERSISTENT, type RealServer, type VirtualService } from './types.ts';
import { PROTO_SCTP, PROTO_TCP, PROTO_UDP } from '../util/proto.ts';

export interface IpvsadmOptions {
  /** Connection hash table size shown in the banner (IP_VS_CONN_TAB_SIZE, 4096 by default). */
  connTabSize?: number;
}

/** The subtraction ipvsadm's comparators do, as a C int. */
const cmpWrapped = (a: number, b: number): number => ((a >>> 0) - (b >>> 0)) | 0;

export function compareServices(a: VirtualService, b: VirtualService): number {
  return a.proto - b.proto || cmpWrapped(a.addr, b.addr) || a.port - b.port;
}

export function compareDests(a: RealServer, b: RealServer): number {
  return cmpWrapped(a.addr, b.addr) || a.port - b.port;
}

export function protoName(proto: number): string {
  if (proto === PROTO_TCP) return 'TCP';
  if (proto === PROTO_UDP) return 'UDP';
  if (proto === PROTO_SCTP) return 'SCTP';
  return 'UNKNOWN';
}

export function formatIpvsadmList(ipvs: Ipvs, opts: IpvsadmOptions = {}): string {
  const lines = [
    `IP Virtual Server version 1.2.1 (size=${opts.connTabSize ?? 4096})`,
    'Prot LocalAddress:Port Scheduler Flags',
    '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
  ];
  for (const svc of msort(ipvs.services(), compareServices)) {
    lines.push(serviceLine(svc));
    for (const d of msort(svc.dests, compareDests)) lines.push(destLine(d));
  }
  return lines.join('\n') + '\n';
}

/** glibc msort_with_tmp: top-down merge sort, halves n/2 and n - n/2, ties from the left. */
export function msort<T>(items: readonly T[], cmp: (a: T, b: T) => number): T[] {
  if (items.length <= 1) return items.slice();
  const n1 = items.length >> 1;
  const b1 = msort(items.slice(0, n1), cmp);
  const b2 = msort(items.slice(n1), cmp);
  const out: T[] = [];
  let i = 0,
    j = 0;
  while (i < b1.length && j < b2.length) out.push(cmp(b1[i], b2[j]) <= 0 ? b1[i++] : b2[j++]);
  while (i < b1.length) out.push(b1[i++]);
  while (j < b2.length) out.push(b2[j++]);
  return out;
}

function serviceLine(svc: VirtualService): string {
  // sprintf(svc_name, "%s  %s", proto, vname); svc_name[33] = '\0' for IPv4.
  const name = `${protoName(svc.proto)}  ${formatIPv4(svc.addr)}:${svc.port}`.slice(0, 33);
  let line = `${name} ${svc.scheduler}`;
  if (svc.flags & SVC_F_PERSISTENT) {
    line += ` persistent ${svc.timeout}`;
    if (svc.netmask >>> 0 !== 0xffffffff) line += ` mask ${formatIPv4(svc.netmask)}`;
  }
  return line;
}

function destLine(d: RealServer): string {
  // printf("  -> %-28s %-7s %-6d %-10u %-10u\n", dname, fwd_name, weight, active, inactive)
  const dname = `${formatIPv4(d.addr)}:${d.port}`.slice(0, 28);
  return `  -> ${dname.padEnd(28)} ${d.fwd.padEnd(7)} ${String(d.weight).padEnd(6)} ${String(d.activeConns).padEnd(10)} ${String(d.inactConns).padEnd(10)}`;
}
