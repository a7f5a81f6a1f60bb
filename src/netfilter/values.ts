// Parsers for option values: numbers, ports, addresses, protocols, conntrack states.

import { tryParseCidr, tryParseIPv4 } from '../util/ipv4.ts';
import { PROTO_SCTP, PROTO_TCP, PROTO_UDP, PROTOCOL_NUMBERS } from '../util/proto.ts';
import { fail } from './errors.ts';

/** Parses an unsigned 32-bit number the way xtables_strtoui (strtoul base 0) does: 0x hex, 0 octal, decimal. */
export function parseUint32(text: string, what: string): number {
  let v: number;
  if (/^0x[0-9a-f]+$/i.test(text)) v = parseInt(text.slice(2), 16);
  else if (/^0[0-7]+$/.test(text)) v = parseInt(text.slice(1), 8);
  else if (/^\d+$/.test(text)) v = Number(text);
  else fail(`invalid ${what} "${text}" (expected a number like 0x4000 or 16384)`, text);
  if (!(v <= 0xffffffff)) fail(`invalid ${what} "${text}" (larger than 32 bits)`, text);
  return v >>> 0;
}

/** Parses "V" or "V/M" (mask defaults to 0xffffffff). */
export function parseValueMask(text: string, what: string): { value: number; mask: number } {
  const slash = text.indexOf('/');
  if (slash < 0) return { value: parseUint32(text, what), mask: 0xffffffff };
  return { value: parseUint32(text.slice(0, slash), what), mask: parseUint32(text.slice(slash + 1), what + ' mask') };
}

export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) fail(`invalid port "${text}" (expected 0-65535)`, text);
  return Number(text);
}

/** Parses "N", "N:M", ":M" or "N:" (iptables-extensions: an omitted bound is 0 or 65535). */
export function parsePortRange(text: string): { lo: number; hi: number } {
  const colon = text.indexOf(':');
  if (colon < 0) {
    const p = parsePort(text);
    return { lo: p, hi: p };
  }
  const lo = colon === 0 ? 0 : parsePort(text.slice(0, colon));
  const hi = colon === text.length - 1 ? 65535 : parsePort(text.slice(colon + 1));
  if (lo > hi) fail(`invalid port range "${text}" (start above end)`, text);
  return { lo, hi };
}

/** Parses `-s`/`-d` values: an address, a CIDR, or an address with a dotted netmask. */
export function parseAddrSpec(text: string): { addr: number; mask: number } {
  if (text.includes(',')) fail(`address lists are not supported ("${text}"); iptables-save prints one rule per address`, text);
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const dotted = tryParseIPv4(text.slice(slash + 1));
    if (dotted !== null) {
      const ip = tryParseIPv4(text.slice(0, slash));
      // A dotted mask must be contiguous ones: ~mask + 1 is then a power of two.
      const inv = ~dotted >>> 0;
      if (ip !== null && ((inv + 1) & inv) === 0) return { addr: (ip & dotted) >>> 0, mask: dotted };
      fail(`invalid address "${text}"`, text);
    }
  }
  // iptables accepts host bits in "-s 10.1.2.3/8" and clears them, hence non-strict.
  const c = tryParseCidr(text, false);
  if (c === null) fail(`invalid address "${text}" (expected a.b.c.d or a.b.c.d/n)`, text);
  return { addr: c.addr, mask: c.mask };
}

export function parseProto(text: string): number {
  const lower = text.toLowerCase();
  if (Object.hasOwn(PROTOCOL_NUMBERS, lower)) return PROTOCOL_NUMBERS[lower];
  if (/^\d{1,3}$/.test(text) && Number(text) <= 255) return Number(text);
  fail(`unknown protocol "${text}"`, text);
}

export function protoCode(p: 'tcp' | 'udp' | 'sctp'): number {
  return p === 'tcp' ? PROTO_TCP : p === 'udp' ? PROTO_UDP : PROTO_SCTP;
}

/** Conntrack state bits; SNAT/DNAT are the "virtual" states of xt_conntrack. */
export const CT_STATES: Record<string, number> = {
  INVALID: 1,
  NEW: 2,
  ESTABLISHED: 4,
  RELATED: 8,
  UNTRACKED: 16,
  SNAT: 32,
  DNAT: 64,
};

export function parseCtStates(text: string, allowed: readonly string[]): { states: string[]; bits: number } {
  const states = text.split(',');
  let bits = 0;
  for (const s of states) {
    if (!allowed.includes(s)) fail(`invalid conntrack state "${s}" in "${text}" (expected ${allowed.join(', ')})`, text);
    bits |= CT_STATES[s];
  }
  return { states, bits };
}

/** Bits of a packet's ctstate string ("NEW", "ESTABLISHED,DNAT"); unknown names are ignored. */
export function ctStateBits(text: string | undefined): number {
  if (text === undefined || text === 'NEW') return CT_STATES.NEW;
  let bits = 0;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text.charCodeAt(i) === 44 /* , */) {
      bits |= CT_STATES[text.slice(start, i)] ?? 0;
      start = i + 1;
    }
  }
  return bits;
}
