// ipset set types kube-proxy uses, and the protocol names ipset prints.
import { PROTOCOL_NUMBERS, protocolName } from '../util/proto.ts';

export const SET_TYPES = ['hash:ip', 'hash:ip,port', 'hash:ip,port,ip', 'hash:ip,port,net', 'bitmap:port'] as const;
export type SetType = (typeof SET_TYPES)[number];

/** One set member, in host order. Fields unused by the set type are 0. */
export interface SetEntry {
  ip: number;
  /** IP protocol number (6 tcp, 17 udp, 132 sctp); 0 for bitmap:port and hash:ip. */
  proto: number;
  port: number;
  /** Second address (hash:ip,port,ip) or network address (hash:ip,port,net). */
  ip2: number;
  /** Prefix length of the network (hash:ip,port,net); 32 otherwise. */
  prefix: number;
}

// The protocols an ipset port dimension names (ipset(8)): tcp, udp, sctp, udplite, icmp.
const SET_PROTOCOLS = new Set(['tcp', 'udp', 'sctp', 'udplite', 'icmp']);

export function protoToName(proto: number): string {
  return protocolName(proto);
}

export function protoFromName(name: string): number | undefined {
  const lower = name.toLowerCase();
  return SET_PROTOCOLS.has(lower) ? PROTOCOL_NUMBERS[lower] : undefined;
}

/** Kernel type revisions with "skbinfo support", the last before "bucketsize, initval". */
export const TYPE_REVISIONS: Record<SetType, number> = {
  'hash:ip': 4,
  'hash:ip,port': 5,
  'hash:ip,port,ip': 5,
  'hash:ip,port,net': 7,
  'bitmap:port': 3,
};
