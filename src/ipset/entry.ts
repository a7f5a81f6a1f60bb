// ipset member text, as kube-proxy writes it (pkg/proxy/ipvs/ipset Entry.String) and
// `ipset list` prints it: "10.96.0.1,tcp:443", "10.244.1.5,tcp:8080,10.244.1.5",
// "203.0.113.7,tcp:80,10.0.0.0/8", "30080" (bitmap:port), "10.96.0.1" (hash:ip).
import { InputError } from '../util/errors.ts';
import { formatIPv4, prefixToMask, tryParseCidr, tryParseIPv4 } from '../util/ipv4.ts';
import { protoFromName, protoToName, type SetEntry, type SetType } from './types.ts';

export function formatEntry(type: SetType, e: SetEntry): string {
  switch (type) {
    case 'bitmap:port':
      return String(e.port);
    case 'hash:ip':
      return formatIPv4(e.ip);
    case 'hash:ip,port':
      return `${formatIPv4(e.ip)},${protoToName(e.proto)}:${e.port}`;
    case 'hash:ip,port,ip':
      return `${formatIPv4(e.ip)},${protoToName(e.proto)}:${e.port},${formatIPv4(e.ip2)}`;
    case 'hash:ip,port,net':
      return `${formatIPv4(e.ip)},${protoToName(e.proto)}:${e.port},${formatIPv4(e.ip2)}/${e.prefix}`;
  }
}

export function parseEntry(type: SetType, text: string): SetEntry {
  const bad = (why: string) => new InputError(`invalid ${type} entry: ${why}`, undefined, undefined, text);
  const e: SetEntry = { ip: 0, proto: 0, port: 0, ip2: 0, prefix: 32 };
  const port = (s: string): number => {
    if (!/^\d{1,5}$/.test(s) || Number(s) > 65535) throw bad(`port "${s}"`);
    return Number(s);
  };
  const ip = (s: string): number => {
    const v = tryParseIPv4(s);
    if (v === null) throw bad(`address "${s}"`);
    return v;
  };
  if (type === 'bitmap:port') {
    // ipset accepts "[proto:]port" for bitmap:port but stores only the port.
    e.port = port(text.includes(':') ? text.slice(text.indexOf(':') + 1) : text);
    return e;
  }
  const parts = text.split(',');
  e.ip = ip(parts[0]);
  if (type === 'hash:ip') {
    if (parts.length !== 1) throw bad('expected one address');
    return e;
  }
  const want = type === 'hash:ip,port' ? 2 : 3;
  if (parts.length !== want) throw bad(`expected ${want} comma-separated parts`);
  const m = /^([a-z]+):(\d+)$/i.exec(parts[1]);
  if (!m) throw bad(`"${parts[1]}" is not proto:port`);
  const proto = protoFromName(m[1]);
  if (proto === undefined) throw bad(`protocol "${m[1]}"`);
  e.proto = proto;
  e.port = port(m[2]);
  if (type === 'hash:ip,port,ip') e.ip2 = ip(parts[2]);
  if (type === 'hash:ip,port,net') {
    const c = tryParseCidr(parts[2], false);
    if (c === null || c.prefix === 0) throw bad(`network "${parts[2]}" (a /0 cannot be stored)`);
    e.ip2 = (c.addr & prefixToMask(c.prefix)) >>> 0;
    e.prefix = c.prefix;
  }
  return e;
}
