// IP protocol numbers (IANA "Assigned Internet Protocol Numbers", as /etc/protocols lists them):
// the one table every layer reads, kernel models (netfilter, conntrack, IPVS, ipset) and
// kube-proxy's modes alike. Packets carry the number; names are for text in and out.

export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_SCTP = 132;

/** The protocols a Service port can have. */
export type ProtoNumber = typeof PROTO_TCP | typeof PROTO_UDP | typeof PROTO_SCTP;
export type ServiceProtocol = 'TCP' | 'UDP' | 'SCTP';

/** Lower-case names iptables, ipset and /etc/protocols use, with their numbers ('all' is 0). */
export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  all: 0,
  icmp: 1,
  igmp: 2,
  tcp: PROTO_TCP,
  udp: PROTO_UDP,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  icmpv6: 58,
  sctp: PROTO_SCTP,
  udplite: 136,
};

const SERVICE_NAMES: Record<number, ServiceProtocol> = { [PROTO_TCP]: 'TCP', [PROTO_UDP]: 'UDP', [PROTO_SCTP]: 'SCTP' };
const SERVICE_NUMBERS: Record<ServiceProtocol, ProtoNumber> = { TCP: PROTO_TCP, UDP: PROTO_UDP, SCTP: PROTO_SCTP };

/** 'TCP' for 6, ...; the number as text for a protocol a Service cannot have. */
export function serviceProtocolName(n: number): string {
  return SERVICE_NAMES[n] ?? String(n);
}

/** 6 for 'TCP', ... */
export function serviceProtocolNumber(name: ServiceProtocol): ProtoNumber {
  return SERVICE_NUMBERS[name];
}

/** The lower-case name of a number ('tcp' for 6), or the number as text. */
export function protocolName(n: number): string {
  for (const [name, v] of Object.entries(PROTOCOL_NUMBERS)) if (v === n && name !== 'icmpv6') return name;
  return String(n);
}
