// Match extensions (`-m NAME --opt value`): which options each accepts, and how the
// collected options of one `-m` occurrence become Match objects (iptables-extensions(8)).

import { parseIPv4 } from '../util/ipv4.ts';
import { fail } from './errors.ts';
import type { AddrTypeMatch, Match, PortMatch, RecentMatch } from './types.ts';
import { parseCtStates, parsePortRange, parseUint32, parseValueMask } from './values.ts';

export interface OptionSpec {
  /** Number of value arguments that follow the option. */
  arity: number;
  negatable: boolean;
}

/** One option occurrence collected while parsing. */
export interface OptionUse {
  name: string;
  values: string[];
  negate: boolean;
}

export interface ModuleResult {
  matches: Match[];
  unsupported: string[];
}

export interface ModuleDef {
  options: Record<string, OptionSpec>;
  build(uses: OptionUse[], module: string): ModuleResult;
}

const v1 = (negatable = true): OptionSpec => ({ arity: 1, negatable });
const flag = (negatable = false): OptionSpec => ({ arity: 0, negatable });

const PORT_OPTIONS: Record<string, OptionSpec> = {
  '--sport': v1(),
  '--source-port': v1(),
  '--dport': v1(),
  '--destination-port': v1(),
};

function buildPorts(uses: OptionUse[], module: string): ModuleResult {
  const proto = module as PortMatch['proto'];
  const matches: Match[] = [];
  const unsupported: string[] = [];
  for (const u of uses) {
    if (u.name in PORT_OPTIONS) {
      const { lo, hi } = parsePortRange(u.values[0]);
      const dir = u.name === '--sport' || u.name === '--source-port' ? 'src' : 'dst';
      matches.push({ kind: 'port', dir, negate: u.negate, proto, lo, hi });
    } else {
      // Valid options the model does not evaluate (--syn, --tcp-flags, ...).
      matches.push({ kind: 'unknown', module, args: [...(u.negate ? ['!'] : []), u.name, ...u.values] });
      unsupported.push(`-m ${module} ${u.name} is not modelled`);
    }
  }
  return { matches, unsupported };
}

const ADDR_TYPES = [
  'UNSPEC',
  'UNICAST',
  'LOCAL',
  'BROADCAST',
  'ANYCAST',
  'MULTICAST',
  'BLACKHOLE',
  'UNREACHABLE',
  'PROHIBIT',
  'THROW',
  'NAT',
  'XRESOLVE',
];

function buildAddrType(uses: OptionUse[]): ModuleResult {
  const matches: AddrTypeMatch[] = [];
  const unsupported: string[] = [];
  let limitIface: AddrTypeMatch['limitIface'] = null;
  for (const u of uses) {
    if (u.name === '--limit-iface-in') limitIface = 'in';
    else if (u.name === '--limit-iface-out') limitIface = 'out';
    else {
      const types = u.values[0].split(',');
      for (const t of types) if (!ADDR_TYPES.includes(t)) fail(`invalid address type "${t}" for ${u.name}`, u.values[0]);
      // Only LOCAL is known to the model (via WalkContext.isLocal).
      if (types.length !== 1 || types[0] !== 'LOCAL') unsupported.push(`-m addrtype ${u.name} ${u.values[0]} is not modelled (only LOCAL)`);
      matches.push({ kind: 'addrtype', dir: u.name === '--src-type' ? 'src' : 'dst', negate: u.negate, types, limitIface: null });
    }
  }
  if (matches.length === 0) fail('-m addrtype needs --src-type or --dst-type', 'addrtype');
  // --limit-iface-* restricts which interface's addresses count as LOCAL; tolerated, not modelled.
  for (const m of matches) m.limitIface = limitIface;
  return { matches, unsupported };
}

function buildMark(uses: OptionUse[]): ModuleResult {
  const u = single(uses, '--mark', 'mark');
  const { value, mask } = parseValueMask(u.values[0], 'mark');
  return { matches: [{ kind: 'mark', negate: u.negate, value, mask }], unsupported: [] };
}

const CONNTRACK_STATES = ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED', 'SNAT', 'DNAT'];

function buildConntrack(uses: OptionUse[], module: string): ModuleResult {
  const matches: Match[] = [];
  const unsupported: string[] = [];
  for (const u of uses) {
    if (u.name === '--ctstate' || u.name === '--state') {
      const allowed = u.name === '--state' ? CONNTRACK_STATES.slice(0, 5) : CONNTRACK_STATES;
      const { states, bits } = parseCtStates(u.values[0], allowed);
      matches.push({ kind: 'ctstate', negate: u.negate, states, bits });
    } else {
      matches.push({ kind: 'unknown', module, args: [...(u.negate ? ['!'] : []), u.name, ...u.values] });
      unsupported.push(`-m conntrack ${u.name} is not modelled`);
    }
  }
  if (uses.length === 0) fail(`-m ${module} needs an option`, module);
  return { matches, unsupported };
}

function buildStatistic(uses: OptionUse[]): ModuleResult {
  const mode = uses.find((u) => u.name === '--mode');
  if (!mode) fail('-m statistic needs --mode', 'statistic');
  if (mode.values[0] === 'nth') {
    return {
      matches: [{ kind: 'unknown', module: 'statistic', args: uses.flatMap(useArgs) }],
      unsupported: ['-m statistic --mode nth is not modelled'],
    };
  }
  if (mode.values[0] !== 'random') fail(`invalid statistic mode "${mode.values[0]}" (expected random or nth)`, mode.values[0]);
  const p = uses.find((u) => u.name === '--probability');
  if (!p) fail('-m statistic --mode random needs --probability', '--mode');
  const text = p.values[0];
  const probability = Number(text);
  if (!/^\s*[0-9.eE+-]+\s*$/.test(text) || !(probability >= 0 && probability <= 1)) {
    fail(`invalid probability "${text}" (expected a number between 0 and 1)`, text);
  }
  return { matches: [{ kind: 'statistic', negate: p.negate, probability, probabilityText: text }], unsupported: [] };
}

const RECENT_COMMANDS = ['--set', '--rcheck', '--update', '--remove'];

function buildRecent(uses: OptionUse[]): ModuleResult {
  const cmds = uses.filter((u) => RECENT_COMMANDS.includes(u.name));
  if (cmds.length !== 1) fail('-m recent needs exactly one of --set, --rcheck, --update, --remove', 'recent');
  const m: RecentMatch = {
    kind: 'recent',
    negate: cmds[0].negate,
    name: 'DEFAULT',
    command: cmds[0].name.slice(2) as RecentMatch['command'],
    seconds: null,
    hitcount: null,
    reap: false,
    mask: 0xffffffff,
    side: 'src',
  };
  const unsupported: string[] = [];
  for (const u of uses) {
    if (u.name === '--name') m.name = u.values[0];
    else if (u.name === '--seconds') m.seconds = parseUint32(u.values[0], 'seconds');
    else if (u.name === '--hitcount') {
      m.hitcount = parseUint32(u.values[0], 'hitcount');
      unsupported.push('-m recent --hitcount is not modelled');
    } else if (u.name === '--reap') m.reap = true;
    else if (u.name === '--mask') m.mask = parseIPv4(u.values[0]);
    else if (u.name === '--rdest') m.side = 'dst';
    else if (u.name === '--rsource') m.side = 'src';
  }
  return { matches: [m], unsupported };
}

function buildSet(uses: OptionUse[]): ModuleResult {
  const matches: Match[] = [];
  const unsupported: string[] = [];
  for (const u of uses) {
    if (u.name === '--match-set') {
      const dirs = u.values[1].split(',');
      if (dirs.length === 0 || dirs.length > 6 || dirs.some((d) => d !== 'src' && d !== 'dst'))
        fail(`invalid --match-set flags "${u.values[1]}" (expected src/dst, comma-separated)`, u.values[1]);
      matches.push({ kind: 'set', negate: u.negate, name: u.values[0], dirs: dirs as ('src' | 'dst')[] });
    } else {
      matches.push({ kind: 'unknown', module: 'set', args: useArgs(u) });
      unsupported.push(`-m set ${u.name} is not modelled`);
    }
  }
  if (!uses.some((u) => u.name === '--match-set')) fail('-m set needs --match-set', 'set');
  return { matches, unsupported };
}

function buildPhysdev(uses: OptionUse[]): ModuleResult {
  const matches: Match[] = [];
  const unsupported: string[] = [];
  for (const u of uses) {
    if (u.name === '--physdev-is-in') matches.push({ kind: 'physdev', negate: u.negate });
    else {
      matches.push({ kind: 'unknown', module: 'physdev', args: useArgs(u) });
      unsupported.push(`-m physdev ${u.name} is not modelled`);
    }
  }
  if (uses.length === 0) fail('-m physdev needs an option', 'physdev');
  return { matches, unsupported };
}

function buildComment(uses: OptionUse[]): ModuleResult {
  const u = single(uses, '--comment', 'comment');
  return { matches: [{ kind: 'comment', text: u.values[0] }], unsupported: [] };
}

function single(uses: OptionUse[], name: string, module: string): OptionUse {
  const found = uses.filter((u) => u.name === name);
  if (found.length !== 1) fail(`-m ${module} needs exactly one ${name}`, module);
  return found[0];
}

function useArgs(u: OptionUse): string[] {
  return [...(u.negate ? ['!'] : []), u.name, ...u.values];
}

const CT_OTHER = [
  '--ctproto',
  '--ctorigsrc',
  '--ctorigdst',
  '--ctreplsrc',
  '--ctrepldst',
  '--ctorigsrcport',
  '--ctorigdstport',
  '--ctreplsrcport',
  '--ctrepldstport',
  '--ctstatus',
  '--ctexpire',
];

export const MODULES: Record<string, ModuleDef> = {
  tcp: {
    options: { ...PORT_OPTIONS, '--tcp-flags': { arity: 2, negatable: true }, '--syn': flag(true), '--tcp-option': v1() },
    build: buildPorts,
  },
  udp: { options: { ...PORT_OPTIONS }, build: buildPorts },
  sctp: { options: { ...PORT_OPTIONS, '--chunk-types': { arity: 2, negatable: true } }, build: buildPorts },
  addrtype: {
    options: { '--src-type': v1(), '--dst-type': v1(), '--limit-iface-in': flag(), '--limit-iface-out': flag() },
    build: buildAddrType,
  },
  mark: { options: { '--mark': v1() }, build: buildMark },
  conntrack: {
    options: { '--ctstate': v1(), ...Object.fromEntries(CT_OTHER.map((o) => [o, v1()])), '--ctdir': v1(false) },
    build: buildConntrack,
  },
  state: { options: { '--state': v1() }, build: buildConntrack },
  statistic: { options: { '--mode': v1(false), '--probability': v1(), '--every': v1(), '--packet': v1(false) }, build: buildStatistic },
  recent: {
    options: {
      '--name': v1(false),
      '--set': flag(true),
      '--rcheck': flag(true),
      '--update': flag(true),
      '--remove': flag(true),
      '--seconds': v1(false),
      '--reap': flag(),
      '--hitcount': v1(false),
      '--rttl': flag(),
      '--mask': v1(false),
      '--rsource': flag(),
      '--rdest': flag(),
    },
    build: buildRecent,
  },
  comment: { options: { '--comment': v1(false) }, build: buildComment },
  set: {
    options: {
      '--match-set': { arity: 2, negatable: true },
      '--return-nomatch': flag(),
      '--update-counters': flag(true),
      '--update-subcounters': flag(true),
      '--packets-eq': v1(),
      '--packets-lt': v1(false),
      '--packets-gt': v1(false),
      '--bytes-eq': v1(),
      '--bytes-lt': v1(false),
      '--bytes-gt': v1(false),
    },
    build: buildSet,
  },
  physdev: {
    options: {
      '--physdev-in': v1(),
      '--physdev-out': v1(),
      '--physdev-is-in': flag(true),
      '--physdev-is-out': flag(true),
      '--physdev-is-bridged': flag(true),
    },
    build: buildPhysdev,
  },
};
