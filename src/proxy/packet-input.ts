// Packets for `kpsim trace`: one from command-line options, or JSON lines
// {"src": "10.0.0.2", "dst": "172.30.0.41", "dport": 80, "proto": "TCP"} from a file.
import { formatIPv4, tryParseIPv4 } from '../util/ipv4.ts';
import { InputError } from '../util/errors.ts';
import { type Packet } from './types.ts';
import { PROTO_TCP, type ProtoNumber, serviceProtocolName, serviceProtocolNumber } from '../util/proto.ts';
import { ioName, readInput } from '../util/stdio.ts';

export interface PacketFields {
  src?: unknown;
  dst?: unknown;
  dport?: unknown;
  sport?: unknown;
  proto?: unknown;
}

/** Checks and converts one packet; `where` names its origin in errors (file and line). */
export function packetFrom(f: PacketFields, file?: string, where = ''): Packet {
  const field = (name: string) => (where ? `${where}: ${name}` : name);
  const ip = (name: 'src' | 'dst'): number => {
    const v = f[name];
    if (v === undefined) throw new InputError('missing (an IPv4 address is required)', file, field(name));
    const n = typeof v === 'string' ? tryParseIPv4(v) : null;
    if (n === null) throw new InputError('not an IPv4 address', file, field(name), v);
    return n;
  };
  const port = (name: 'dport' | 'sport', required: boolean): number => {
    const v = f[name];
    if (v === undefined && !required) return 0;
    if (v === undefined) throw new InputError('missing (a port 1-65535 is required)', file, field(name));
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < (required ? 1 : 0) || n > 65535) {
      throw new InputError(`must be an integer port ${required ? 1 : 0}-65535`, file, field(name), v);
    }
    return n;
  };
  let proto: ProtoNumber = PROTO_TCP;
  if (f.proto !== undefined) {
    const name = typeof f.proto === 'string' ? f.proto.toUpperCase() : '';
    if (name !== 'TCP' && name !== 'UDP' && name !== 'SCTP')
      throw new InputError('must be TCP, UDP or SCTP', file, field('proto'), f.proto);
    proto = serviceProtocolNumber(name);
  }
  return { src: ip('src'), dst: ip('dst'), proto, sport: port('sport', false), dport: port('dport', true) };
}

/** Reads a JSON-lines packets file; blank lines are skipped. */
export function readPacketsFile(path: string): Packet[] {
  const text = readInput(path, 'packets file');
  const name = ioName(path);
  const packets: Packet[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const where = `line ${i + 1}`;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      throw new InputError(`malformed JSON: ${(err as Error).message}`, name, where);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new InputError(
        'expected an object like {"src": "10.0.0.2", "dst": "10.96.0.10", "dport": 53, "proto": "UDP"}',
        name,
        where,
        obj,
      );
    }
    packets.push(packetFrom(obj, name, where));
  }
  return packets;
}

/** A packet as its JSON line reads (the inverse of packetFrom), so output can be joined back to input. */
export function packetFields(p: Packet): { src: string; dst: string; dport: number; sport: number; proto: string } {
  return { src: formatIPv4(p.src), dst: formatIPv4(p.dst), dport: p.dport, sport: p.sport, proto: serviceProtocolName(p.proto) };
}

export function describePacket(p: Packet): string {
  return `${serviceProtocolName(p.proto)} ${formatIPv4(p.src)}:${p.sport} -> ${formatIPv4(p.dst)}:${p.dport}`;
}
