// Property test: on random rulesets and packets, the compiled walker gives exactly the
// readable walker's result (verdict, outputs, mark, counts, path) in every mode.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileTable,
  CompiledWalker,
  CompiledWalkResult,
  MemoryRecentStore,
  newRuleset,
  ensureTable,
  ensureChain,
  parseIptablesSave,
  ruleFromArgs,
  toWalkResult,
  walkChain,
  writeIptablesSave,
  type Packet,
  type Ruleset,
  type Table,
  type WalkOptions,
} from '../../src/netfilter/index.ts';
import { parseIPv4 } from '../../src/util/ipv4.ts';
import { ctStateBits } from '../../src/netfilter/values.ts';
import { PROTO_SCTP, PROTO_TCP, PROTO_UDP } from '../../src/util/proto.ts';
import { IpSet, setLookup } from '../../src/ipset/index.ts';

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(rnd: Rand, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const chance = (rnd: Rand, p: number) => rnd() < p;

const ADDRS = ['10.0.0.1', '10.0.0.2', '10.0.1.7', '192.168.0.10', '172.16.5.5', '127.0.0.1'];
const CIDRS = ['10.0.0.0/8', '10.0.0.0/24', '10.0.0.2', '192.168.0.0/16', '0.0.0.0/0', '127.0.0.0/8'];
const PORTS = [53, 80, 443, 1000, 1500, 30001];
const PORT_SPECS = ['53', '80', '443', '1000:2000', ':100', '30000:'];
const MARKS = [0, 0x4000, 0x4001, 0x1, 0xffffffff];
const MARK_SPECS = ['0x4000/0x4000', '0x1', '0x0/0x4000', '0x4001'];
const CTSTATES = ['NEW', 'ESTABLISHED', 'RELATED,ESTABLISHED', 'INVALID', 'DNAT'];
const IFACES = ['eth0', 'eth+', 'lo', 'cni0'];
const PROBS = ['0.1000000000', '0.2500000000', '0.3333333349', '0.5000000000', '0.7500000000', '1.0000000000'];
const RECENT_NAMES = ['R1', 'R2'];
// Sets of two types (an address set, an address-and-port set) and a name no set has.
const SET_NAMES = ['S-IP', 'S-IP-PORT', 'S-MISSING'];
const SETS = new Map([
  ['S-IP', new IpSet('S-IP', 'hash:ip')],
  ['S-IP-PORT', new IpSet('S-IP-PORT', 'hash:ip,port')],
]);
SETS.get('S-IP')!.add('10.0.0.2');
SETS.get('S-IP')!.add('192.168.0.10');
SETS.get('S-IP-PORT')!.add('10.0.0.1,tcp:80');
SETS.get('S-IP-PORT')!.add('127.0.0.1,udp:53');

function neg(rnd: Rand): string[] {
  return chance(rnd, 0.25) ? ['!'] : [];
}

function randomMatch(rnd: Rand): string[] {
  switch (Math.floor(rnd() * 12)) {
    case 0:
      return [...neg(rnd), pick(rnd, ['-s', '-d']), pick(rnd, CIDRS)];
    case 1:
      return [...neg(rnd), '-p', pick(rnd, ['tcp', 'udp', 'sctp', 'all'])];
    case 2: {
      const p = pick(rnd, ['tcp', 'udp', 'sctp']);
      return ['-m', p, '-p', p, ...neg(rnd), pick(rnd, ['--dport', '--sport']), pick(rnd, PORT_SPECS)];
    }
    case 3:
      return [...neg(rnd), pick(rnd, ['-i', '-o']), pick(rnd, IFACES)];
    case 4:
      return ['-m', 'addrtype', ...neg(rnd), pick(rnd, ['--src-type', '--dst-type']), 'LOCAL'];
    case 5:
      return ['-m', 'mark', ...neg(rnd), '--mark', pick(rnd, MARK_SPECS)];
    case 6:
      return ['-m', 'conntrack', ...neg(rnd), '--ctstate', pick(rnd, CTSTATES)];
    case 7:
    case 8:
      return ['-m', 'statistic', '--mode', 'random', ...(chance(rnd, 0.1) ? ['!'] : []), '--probability', pick(rnd, PROBS)];
    case 9: {
      const cmd = pick(rnd, ['--rcheck', '--rcheck', '--set', '--update', '--remove']);
      return [
        '-m',
        'recent',
        '--name',
        pick(rnd, RECENT_NAMES),
        ...(chance(rnd, 0.1) ? ['!'] : []),
        cmd,
        ...(cmd === '--set' ? [] : ['--seconds', '100']),
      ];
    }
    case 10:
      return ['-m', 'comment', '--comment', pick(rnd, ['plain', 'with spaces', 'ns1/svc1:p80'])];
    default: {
      const r = rnd();
      if (r < 0.3) return ['-m', 'physdev', ...neg(rnd), '--physdev-is-in'];
      if (r < 0.7) return ['-m', 'set', ...neg(rnd), '--match-set', pick(rnd, SET_NAMES), pick(rnd, ['src', 'dst', 'dst,dst', 'src,dst'])];
      return ['-m', 'comment', '--comment', 'x'];
    }
  }
}

function randomTarget(rnd: Rand, later: string[], jumpsLeft: { n: number }): string[] {
  const r = rnd();
  if (r < 0.3 && later.length > 0 && jumpsLeft.n > 0) {
    jumpsLeft.n--;
    return [chance(rnd, 0.8) ? '-j' : '-g', pick(rnd, later)];
  }
  switch (Math.floor(rnd() * 14)) {
    case 0:
      return ['-j', 'RETURN'];
    case 1:
      return ['-j', 'ACCEPT'];
    case 2:
      return ['-j', 'DROP'];
    case 3:
      return ['-j', 'REJECT', '--reject-with', 'icmp-port-unreachable'];
    case 4:
    case 5:
      return ['-j', 'DNAT', '--to-destination', `10.9.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 4)}:${pick(rnd, PORTS)}`];
    case 6:
      return ['-j', 'SNAT', '--to-source', '192.168.0.10'];
    case 7:
      return ['-j', 'MASQUERADE', ...(chance(rnd, 0.5) ? ['--random-fully'] : [])];
    case 8:
      return ['-j', 'REDIRECT', '--to-ports', '15001'];
    case 9:
      return [
        '-j',
        'MARK',
        pick(rnd, ['--or-mark', '--xor-mark', '--and-mark', '--set-mark', '--set-xmark']),
        pick(rnd, ['0x4000', '0x1', '0xffff']),
      ];
    case 10:
      return ['-j', 'LOG', '--log-prefix', 'seen: '];
    case 11:
      return chance(rnd, 0.5) ? ['-j', 'CT', '--notrack'] : ['-j', 'MISSING'];
    default:
      return [];
  }
}

/** A random filter table: INPUT plus user chains that only jump forward (no loops). */
function randomRuleset(rnd: Rand): Ruleset {
  const rs = newRuleset();
  const t = ensureTable(rs, 'filter');
  ensureChain(t, 'INPUT', chance(rnd, 0.5) ? 'DROP' : 'ACCEPT');
  const users = Array.from({ length: 1 + Math.floor(rnd() * 6) }, (_, i) => `C${i}`);
  for (const u of users) ensureChain(t, u);
  const chains = ['INPUT', ...users];
  chains.forEach((name, i) => {
    const later = users.slice(i); // INPUT is index 0, so users.slice(i) are the chains after `name`
    const jumpsLeft = { n: 2 };
    const n = Math.floor(rnd() * 7);
    for (let k = 0; k < n; k++) {
      const args: string[] = [];
      const nm = Math.floor(rnd() * 4);
      for (let m = 0; m < nm; m++) args.push(...randomMatch(rnd));
      args.push(...randomTarget(rnd, later, jumpsLeft));
      t.byName.get(name)!.rules.push(ruleFromArgs(args));
    }
  });
  return rs;
}

function randomPacket(rnd: Rand): Packet {
  const maybe = <T>(xs: readonly T[]): T | undefined => (chance(rnd, 0.2) ? undefined : pick(rnd, xs));
  return {
    src: parseIPv4(pick(rnd, ADDRS)),
    dst: parseIPv4(pick(rnd, ADDRS)),
    proto: pick(rnd, [PROTO_TCP, PROTO_UDP, PROTO_SCTP]),
    sport: pick(rnd, PORTS),
    dport: pick(rnd, PORTS),
    mark: pick(rnd, MARKS),
    ctBits: ctStateBits(maybe(['NEW', 'ESTABLISHED', 'INVALID', 'RELATED', 'NEW,DNAT'])),
    inIface: maybe(['eth0', 'eth1', 'lo', 'cni0']),
    outIface: maybe(['eth0', 'lo', 'cni0']),
    bridged: chance(rnd, 0.5),
  };
}

const ctx = { isLocal: (a: number) => a === parseIPv4('192.168.0.10') || a === parseIPv4('127.0.0.1'), matchSet: setLookup(SETS) };

/** Identical fresh options for each walker: same random stream, same recent lists. */
function optionsFactory(mode: string, seed: number): () => WalkOptions {
  return () => {
    switch (mode) {
      case 'explore':
        return { mode: 'explore' };
      case 'explore-both-never':
        return { mode: 'explore', exploreRecent: 'both', history: 'never' };
      case 'no-path':
        return { random: mulberry32(seed), recordPath: false };
      default: {
        const store = new MemoryRecentStore(() => 50);
        store.set('R1', parseIPv4('10.0.0.1'));
        store.set('R2', parseIPv4('192.168.0.10'));
        return { random: mulberry32(seed), recent: store };
      }
    }
  };
}

test('compiled walker equals readable walker on random rulesets (all modes)', () => {
  const rnd = mulberry32(20251123);
  const RULESETS = 400;
  const PACKETS = 15;
  let walks = 0;
  let dnats = 0;
  let branches = 0;
  for (let i = 0; i < RULESETS; i++) {
    const generated = randomRuleset(rnd);
    // Round trip through the save format, then walk the parsed copy.
    const text = writeIptablesSave(generated);
    const rs = parseIptablesSave(text);
    assert.equal(writeIptablesSave(rs), text);
    const table: Table = rs.tables[0];
    const ct = compileTable(table);
    for (let k = 0; k < PACKETS; k++) {
      const p = randomPacket(rnd);
      const seed = Math.floor(rnd() * 2 ** 32);
      for (const mode of ['deterministic', 'explore', 'explore-both-never', 'no-path']) {
        const make = optionsFactory(mode, seed);
        const readable = walkChain(table, 'INPUT', p, ctx, make());
        const walker = new CompiledWalker(ctx, make());
        const compiled = toWalkResult(ct, walker.walk(ct, 'INPUT', p, new CompiledWalkResult()));
        assert.deepEqual(compiled, readable, `ruleset ${i}, packet ${k}, mode ${mode}\n${text}\npacket ${JSON.stringify(p)}`);
        walks++;
        dnats += readable.dnat.length;
        if (mode === 'explore' && readable.outputs.length > 1) branches++;
      }
    }
  }
  assert.equal(walks, 400 * 15 * 4);
  // The generator must exercise the interesting paths, not only fall-throughs.
  assert.ok(dnats > 500, `only ${dnats} DNATs`);
  assert.ok(branches > 50, `only ${branches} multi-output explore walks`);
});

test('a reused walker and result give the same answers as fresh ones', () => {
  const rnd = mulberry32(7);
  const rs = randomRuleset(rnd);
  const table = rs.tables[0];
  const ct = compileTable(table);
  const walker = new CompiledWalker(ctx, { mode: 'explore' });
  const out = new CompiledWalkResult();
  for (let k = 0; k < 200; k++) {
    const p = randomPacket(rnd);
    walker.walk(ct, 0, p, out);
    assert.deepEqual(toWalkResult(ct, out), walkChain(table, 'INPUT', p, ctx, { mode: 'explore' }));
  }
});
