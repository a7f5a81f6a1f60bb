// Targets (`-j NAME [options]`, `-g CHAIN`): option specs and building Target objects.

import { parseIPv4 } from '../util/ipv4.ts';
import { fail } from './errors.ts';
import type { OptionSpec, OptionUse } from './match-modules.ts';
import type { MarkTarget, Target } from './types.ts';
import { parsePort, parseValueMask, parseUint32 } from './values.ts';

const v1: OptionSpec = { arity: 1, negatable: false };
const flag: OptionSpec = { arity: 0, negatable: false };

/** Options of the targets the model knows. Targets absent here take no options. */
export const TARGET_OPTIONS: Record<string, Record<string, OptionSpec>> = {
  ACCEPT: {},
  DROP: {},
  RETURN: {},
  REJECT: { '--reject-with': v1 },
  DNAT: { '--to-destination': v1, '--random': flag, '--persistent': flag },
  SNAT: { '--to-source': v1, '--random': flag, '--random-fully': flag, '--persistent': flag },
  MASQUERADE: { '--to-ports': v1, '--random': flag, '--random-fully': flag },
  MARK: { '--set-xmark': v1, '--set-mark': v1, '--or-mark': v1, '--and-mark': v1, '--xor-mark': v1 },
  REDIRECT: { '--to-ports': v1, '--random': flag },
  LOG: {
    '--log-prefix': v1,
    '--log-level': v1,
    '--log-tcp-sequence': flag,
    '--log-tcp-options': flag,
    '--log-ip-options': flag,
    '--log-uid': flag,
    '--log-macdecode': flag,
  },
};

/**
 * Extension targets the model does not evaluate; kept as text, treated as non-terminating
 * (most of these, like CT, CONNMARK or TCPMSS, are) and counted in walk results.
 */
export const KNOWN_EXTENSION_TARGETS = new Set([
  'AUDIT',
  'CHECKSUM',
  'CLASSIFY',
  'CLUSTERIP',
  'CONNMARK',
  'CONNSECMARK',
  'CT',
  'DSCP',
  'ECN',
  'HMARK',
  'IDLETIMER',
  'LED',
  'NETMAP',
  'NFLOG',
  'NFQUEUE',
  'NOTRACK',
  'SECMARK',
  'SET',
  'SYNPROXY',
  'TCPMSS',
  'TCPOPTSTRIP',
  'TEE',
  'TOS',
  'TPROXY',
  'TRACE',
  'TTL',
  'ULOG',
]);

function has(uses: OptionUse[], name: string): boolean {
  return uses.some((u) => u.name === name);
}

function value(uses: OptionUse[], name: string): string | null {
  const u = uses.find((x) => x.name === name);
  return u ? u.values[0] : null;
}

/** Parses "ip[-ip][:port[-port]]"; ranges keep their first address/port. IPv4 only. */
export function parseNatRange(text: string, option: string): { ip: number; port: number } {
  const colon = text.indexOf(':');
  const ipPart = colon < 0 ? text : text.slice(0, colon);
  const portPart = colon < 0 ? '' : text.slice(colon + 1);
  const firstIp = ipPart.split('-')[0];
  let ip: number;
  try {
    ip = parseIPv4(firstIp);
  } catch {
    fail(`invalid ${option} "${text}" (expected ip[:port])`, text);
  }
  const port = portPart === '' ? 0 : parsePort(portPart.split('-')[0]);
  return { ip, port };
}

function buildMark(uses: OptionUse[]): MarkTarget {
  if (uses.length !== 1) fail('MARK needs exactly one of --set-xmark, --set-mark, --or-mark, --and-mark, --xor-mark', 'MARK');
  const u = uses[0];
  const operand = u.values[0];
  const op = u.name.slice(2) as MarkTarget['op'];
  if (op === 'set-xmark' || op === 'set-mark') {
    const { value: v, mask } = parseValueMask(operand, 'mark');
    return { kind: 'MARK', op, operand, xor: v, clear: op === 'set-xmark' ? mask : (v | mask) >>> 0 };
  }
  const bits = parseUint32(operand, 'mark');
  if (op === 'or-mark') return { kind: 'MARK', op, operand, xor: bits, clear: bits };
  if (op === 'and-mark') return { kind: 'MARK', op, operand, xor: 0, clear: ~bits >>> 0 };
  return { kind: 'MARK', op, operand, xor: bits, clear: 0 };
}

/** Builds a known target from its collected options. */
export function buildTarget(name: string, uses: OptionUse[]): Target {
  switch (name) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
      return { kind: name };
    case 'REJECT':
      return { kind: 'REJECT', rejectWith: value(uses, '--reject-with') };
    case 'DNAT': {
      const to = value(uses, '--to-destination');
      if (to === null) fail('DNAT needs --to-destination', 'DNAT');
      return {
        kind: 'DNAT',
        toDestination: to,
        ...parseNatRange(to, '--to-destination'),
        random: has(uses, '--random'),
        persistent: has(uses, '--persistent'),
      };
    }
    case 'SNAT': {
      const to = value(uses, '--to-source');
      if (to === null) fail('SNAT needs --to-source', 'SNAT');
      return {
        kind: 'SNAT',
        toSource: to,
        ...parseNatRange(to, '--to-source'),
        random: has(uses, '--random'),
        randomFully: has(uses, '--random-fully'),
        persistent: has(uses, '--persistent'),
      };
    }
    case 'MASQUERADE':
      return {
        kind: 'MASQUERADE',
        toPorts: value(uses, '--to-ports'),
        random: has(uses, '--random'),
        randomFully: has(uses, '--random-fully'),
      };
    case 'MARK':
      return buildMark(uses);
    case 'REDIRECT':
      return { kind: 'REDIRECT', toPorts: value(uses, '--to-ports'), random: has(uses, '--random') };
    case 'LOG':
      return {
        kind: 'LOG',
        prefix: value(uses, '--log-prefix'),
        level: value(uses, '--log-level'),
        flags: uses.filter((u) => u.values.length === 0).map((u) => u.name),
      };
    default:
      throw new Error(`buildTarget: ${name} is not a known target`);
  }
}
