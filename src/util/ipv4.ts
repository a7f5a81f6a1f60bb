// IPv4 addresses as uint32 numbers: the hot paths compare integers, never strings.

export interface Cidr {
  /** Network address (host bits cleared), uint32. */
  addr: number;
  /** Netmask as uint32 (0 for /0). */
  mask: number;
  prefix: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parses a dotted quad; returns null when it is not one. */
export function tryParseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!OCTET.test(p)) return null;
    v = v * 256 + Number(p);
  }
  return v >>> 0;
}

export function parseIPv4(text: string): number {
  const v = tryParseIPv4(text);
  if (v === null) throw new Error(`invalid IPv4 address "${text}"`);
  return v;
}

export function formatIPv4(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

export function prefixToMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses "a.b.c.d/n" (or a bare address as /32). Host bits must be zero unless `strict` is false. */
export function tryParseCidr(text: string, strict = true): Cidr | null {
  const slash = text.indexOf('/');
  const ipText = slash < 0 ? text : text.slice(0, slash);
  const ip = tryParseIPv4(ipText);
  if (ip === null) return null;
  let prefix = 32;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,2}$/.test(p) || Number(p) > 32) return null;
    prefix = Number(p);
  }
  const mask = prefixToMask(prefix);
  if (strict && (ip & ~mask) >>> 0 !== 0) return null;
  return { addr: (ip & mask) >>> 0, mask, prefix };
}

export function parseCidr(text: string, strict = true): Cidr {
  const c = tryParseCidr(text, strict);
  if (c === null) throw new Error(`invalid CIDR "${text}"${strict ? ' (expected a.b.c.d/n with host bits zero)' : ''}`);
  return c;
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.addr)}/${c.prefix}`;
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return (ip & c.mask) >>> 0 === c.addr;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const mask = a.prefix < b.prefix ? a.mask : b.mask;
  return (a.addr & mask) >>> 0 === (b.addr & mask) >>> 0;
}

/** Number of addresses in the block (2^(32-prefix)). */
export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}
