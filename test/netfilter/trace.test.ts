import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildRuleset,
  compileTable,
  getTable,
  MemoryRecentStore,
  toWalkResult,
  walkChain,
  walkCompiled,
  type Packet,
  type Table,
  type WalkOptions,
  type WalkResult,
} from '../../src/netfilter/index.ts';
import { parseIPv4 } from '../../src/util/ipv4.ts';
import { CT_STATES } from '../../src/netfilter/values.ts';
import { PROTO_TCP, PROTO_UDP } from '../../src/util/proto.ts';
import { IpSet, setLookup } from '../../src/ipset/index.ts';

const ip = parseIPv4;
const NODE_IP = '192.168.0.10';
const ctx = { isLocal: (a: number) => a === ip(NODE_IP) || a === ip('127.0.0.1') };

function pkt(src: string, dst: string, dport: number, extra: Partial<Packet> = {}): Packet {
  return { src: ip(src), dst: ip(dst), proto: PROTO_TCP, sport: 40000, dport, mark: 0, ...extra };
}

/**
 * Walks with both walkers and checks they agree before returning the readable result.
 * Options with state (random draws) are given as a factory so each walker gets fresh ones.
 */
function walk(table: Table, chain: string, p: Packet, opts: WalkOptions | (() => WalkOptions) = {}): WalkResult {
  const make = typeof opts === 'function' ? opts : () => opts;
  const readable = walkChain(table, chain, p, ctx, make());
  const ct = compileTable(table);
  const compiled = toWalkResult(ct, walkCompiled(ct, chain, p, ctx, make()));
  assert.deepEqual(compiled, readable);
  return readable;
}

const steps = (r: WalkResult) => r.path.map((s) => `${s.chain}#${s.index}`);

// A small nat table; the rule counts below are checked by hand.
const small = buildRuleset({
  nat: {
    PREROUTING: ['-m comment --comment "service portals" -j SVCS'],
    SVCS: [
      '-d 10.96.0.1 -p tcp --dport 443 -j SVC-A',
      '-d 10.96.0.2 -p tcp --dport 80 -j SVC-B',
      '-m addrtype --dst-type LOCAL -j NODEPORTS',
    ],
    'SVC-A': ['! -s 10.244.0.0/16 -j MARK-MASQ', '-j SEP-A1'],
    'SVC-B': [],
    'SEP-A1': ['-s 10.244.1.1 -j MARK-MASQ', '-p tcp -j DNAT --to-destination 10.244.1.1:6443'],
    'MARK-MASQ': ['-j MARK --or-mark 0x4000'],
    NODEPORTS: ['-p tcp --dport 30001 -j SVC-A'],
  },
});
const smallNat = getTable(small, 'nat')!;

test('DNAT to the single endpoint, rules counted by hand', () => {
  const r = walk(smallNat, 'PREROUTING', pkt('10.244.2.2', '10.96.0.1', 443));
  // PREROUTING#1, SVCS#1, SVC-A#1 (fails: source is a pod), SVC-A#2, SEP-A1#1 (fails), SEP-A1#2.
  assert.equal(r.rulesEvaluated, 6);
  assert.deepEqual(steps(r), ['PREROUTING#1', 'SVCS#1', 'SVC-A#2', 'SEP-A1#2']);
  assert.equal(r.verdict, 'DNAT');
  assert.deepEqual(r.dnat, ['10.244.1.1:6443']);
  assert.deepEqual(r.outputs, ['10.244.1.1:6443']);
  assert.equal(r.mark, 0);
  assert.equal(r.byPolicy, false);
});

test('masquerade mark from a non-pod source; MARK continues the walk', () => {
  const r = walk(smallNat, 'PREROUTING', pkt('8.8.8.8', '10.96.0.1', 443));
  // PREROUTING#1, SVCS#1, SVC-A#1, MARK-MASQ#1, SVC-A#2, SEP-A1#1, SEP-A1#2.
  assert.equal(r.rulesEvaluated, 7);
  assert.deepEqual(steps(r), ['PREROUTING#1', 'SVCS#1', 'SVC-A#1', 'MARK-MASQ#1', 'SVC-A#2', 'SEP-A1#2']);
  assert.equal(r.mark, 0x4000);
});

test('node port through addrtype LOCAL', () => {
  const r = walk(smallNat, 'PREROUTING', pkt('8.8.8.8', NODE_IP, 30001));
  // PREROUTING#1, SVCS#1..3, NODEPORTS#1, SVC-A#1, MARK-MASQ#1, SVC-A#2, SEP-A1#1..2.
  assert.equal(r.rulesEvaluated, 10);
  assert.deepEqual(r.dnat, ['10.244.1.1:6443']);
  assert.equal(r.mark, 0x4000);
});

test('fall-through: verdict NONE by policy ACCEPT', () => {
  const r = walk(smallNat, 'PREROUTING', pkt('10.244.2.2', '10.96.0.9', 80));
  assert.equal(r.verdict, 'NONE');
  assert.equal(r.byPolicy, true);
  assert.equal(r.rulesEvaluated, 4);
  assert.deepEqual(steps(r), ['PREROUTING#1']);
  assert.deepEqual(r.outputs, []);
  assert.deepEqual(walk(smallNat, 'PREROUTING', pkt('10.244.2.2', '10.96.0.9', 80), { recordPath: false }).path, []);
});

test('REJECT, policy DROP, goto and RETURN', () => {
  const rs = buildRuleset({
    filter: {
      INPUT: ['-j A', '-p udp -j ACCEPT', '-p tcp --dport 22 -j REJECT --reject-with tcp-reset'],
      A: ['-p tcp --dport 80 -j DROP', '-g B', '-j DROP'],
      B: ['-p udp -j RETURN', '-p sctp -j REJECT'],
    },
  });
  const filter = getTable(rs, 'filter')!;
  filter.byName.get('INPUT')!.policy = 'DROP';
  // tcp/22: INPUT#1 -> A#1 (no) -> A#2 goto B -> B#1 (no), B#2 (no); B ends, and since B
  // was entered by goto, the walk resumes after the jump to A: INPUT#2 (no), INPUT#3 REJECT.
  const rej = walk(filter, 'INPUT', pkt('8.8.8.8', NODE_IP, 22));
  assert.equal(rej.verdict, 'REJECT');
  assert.equal(rej.rulesEvaluated, 7);
  assert.deepEqual(steps(rej), ['INPUT#1', 'A#2', 'INPUT#3']);
  // udp: B#1 RETURN returns to INPUT (not to A, which did the goto): A#3 is never tested.
  const udp = walk(filter, 'INPUT', { ...pkt('8.8.8.8', NODE_IP, 53), proto: PROTO_UDP });
  assert.equal(udp.verdict, 'ACCEPT');
  assert.deepEqual(steps(udp), ['INPUT#1', 'A#2', 'B#1', 'INPUT#2']);
  assert.equal(udp.rulesEvaluated, 5);
  const drop = walk(filter, 'INPUT', pkt('8.8.8.8', NODE_IP, 80));
  assert.equal(drop.verdict, 'DROP');
  assert.equal(drop.byPolicy, false);
  const policy = walk(filter, 'INPUT', pkt('8.8.8.8', NODE_IP, 443));
  assert.equal(policy.verdict, 'DROP');
  assert.equal(policy.byPolicy, true);
});

test('marks, conntrack state, interfaces, ports and negation', () => {
  const rs = buildRuleset({
    filter: {
      FORWARD: [
        '-m conntrack --ctstate INVALID -j DROP',
        '-m mark --mark 0x4000/0x4000 -j ACCEPT',
        '-i eth+ ! -o lo -p udp -m udp --sport 1000:2000 -j REJECT',
        '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      ],
    },
  });
  const f = getTable(rs, 'filter')!;
  assert.equal(walk(f, 'FORWARD', pkt('1.1.1.1', '2.2.2.2', 80, { ctBits: CT_STATES.INVALID })).verdict, 'DROP');
  assert.equal(walk(f, 'FORWARD', pkt('1.1.1.1', '2.2.2.2', 80, { mark: 0x4001 })).verdict, 'ACCEPT');
  assert.equal(walk(f, 'FORWARD', pkt('1.1.1.1', '2.2.2.2', 80, { mark: 0x4001 }), { history: 'never' }).verdict, 'NONE');
  const udp = { ...pkt('1.1.1.1', '2.2.2.2', 80, { inIface: 'eth1', outIface: 'cni0', sport: 1500 }), proto: PROTO_UDP };
  assert.equal(walk(f, 'FORWARD', udp).verdict, 'REJECT');
  assert.equal(walk(f, 'FORWARD', { ...udp, outIface: 'lo' }).verdict, 'NONE');
  assert.equal(walk(f, 'FORWARD', { ...udp, inIface: 'wlan0' }).verdict, 'NONE');
  assert.equal(walk(f, 'FORWARD', { ...udp, sport: 999 }).verdict, 'NONE');
  assert.equal(walk(f, 'FORWARD', pkt('1.1.1.1', '2.2.2.2', 80, { ctBits: CT_STATES.ESTABLISHED })).verdict, 'ACCEPT');
});

test('unknown matches never match and are counted; unknown targets are no-ops', () => {
  const rs = buildRuleset({
    raw: { PREROUTING: ['-m u32 --u32 "0>>22&0x3C@12>>26&0x3F=0x10" -j DROP', '-j CT --notrack', '-j ACCEPT'] },
  });
  const r = walk(getTable(rs, 'raw')!, 'PREROUTING', pkt('1.1.1.1', '2.2.2.2', 80));
  assert.equal(r.verdict, 'ACCEPT');
  assert.equal(r.rulesEvaluated, 3);
  assert.equal(r.unsupportedSkipped, 1);
  assert.equal(r.unknownTargets, 1);
  assert.deepEqual(steps(r), ['PREROUTING#2', 'PREROUTING#3']);
});

test('-m set reads the sets through the walk context; -m physdev the bridge port', () => {
  const rs = buildRuleset({
    filter: {
      INPUT: [
        '-m physdev --physdev-is-in -j DROP',
        '-m set --match-set S-EP src,dst -j REJECT',
        '-m set ! --match-set S-IP dst -j ACCEPT',
        '-m set --match-set S-MISSING dst -j DROP',
      ],
    },
  });
  const sets = new Map([
    ['S-IP', new IpSet('S-IP', 'hash:ip')],
    ['S-EP', new IpSet('S-EP', 'hash:ip,port')],
  ]);
  sets.get('S-IP')!.add('2.2.2.2');
  sets.get('S-EP')!.add('1.1.1.1,tcp:80');
  const filter = getTable(rs, 'filter')!;
  const withSets = (p: Packet) => walkChain(filter, 'INPUT', p, { isLocal: () => false, matchSet: setLookup(sets) });
  assert.equal(withSets({ ...pkt('1.1.1.1', '2.2.2.2', 80), bridged: true }).verdict, 'DROP');
  // src,dst: the address from the source, the port from the destination.
  assert.equal(withSets(pkt('1.1.1.1', '2.2.2.2', 80)).verdict, 'REJECT');
  assert.equal(withSets(pkt('1.1.1.1', '3.3.3.3', 81)).verdict, 'ACCEPT');
  assert.equal(withSets(pkt('1.1.1.1', '2.2.2.2', 81)).verdict, 'NONE');
  // Without sets in the context (a dump of a node), -m set never matches, negated or not.
  assert.equal(walkChain(filter, 'INPUT', pkt('1.1.1.1', '3.3.3.3', 81), { isLocal: () => false }).verdict, 'NONE');
});

test('deterministic statistic draws, explore follows both ways', () => {
  const rs = buildRuleset({
    nat: {
      SVC: [
        '-m statistic --mode random --probability 0.3333333349 -j SEP1',
        '-m statistic --mode random --probability 0.5000000000 -j SEP2',
        '-j SEP3',
      ],
      SEP1: ['-p tcp -j DNAT --to-destination 10.0.1.1:80'],
      SEP2: ['-p tcp -j DNAT --to-destination 10.0.1.2:80'],
      SEP3: ['-p tcp -j DNAT --to-destination 10.0.1.3:80'],
    },
  });
  const nat = getTable(rs, 'nat')!;
  const p = pkt('10.244.0.5', '10.96.0.10', 80);
  const draws =
    (...xs: number[]) =>
    () => {
      const left = [...xs];
      return { random: () => left.shift()! };
    };
  assert.deepEqual(walk(nat, 'SVC', p, draws(0.2)).dnat, ['10.0.1.1:80']);
  assert.deepEqual(walk(nat, 'SVC', p, draws(0.4, 0.4)).dnat, ['10.0.1.2:80']);
  assert.deepEqual(walk(nat, 'SVC', p, draws(0.4, 0.6)).dnat, ['10.0.1.3:80']);
  const all = walk(nat, 'SVC', p, { mode: 'explore' });
  assert.deepEqual(all.dnat, ['10.0.1.1:80', '10.0.1.2:80', '10.0.1.3:80']);
  assert.equal(all.verdict, 'DNAT');
  // SVC#1, SEP1#1, SVC#2, SEP2#1, SVC#3, SEP3#1.
  assert.equal(all.rulesEvaluated, 6);
  // A terminal target directly on a statistic rule is also followed both ways.
  const direct = buildRuleset({
    nat: { X: ['-m statistic --mode random --probability 0.5 -j DNAT --to-destination 1.1.1.1:1', '-j DNAT --to-destination 2.2.2.2:2'] },
  });
  assert.deepEqual(walk(getTable(direct, 'nat')!, 'X', p, { mode: 'explore' }).outputs, ['1.1.1.1:1', '2.2.2.2:2']);
});

test('recent: affinity with a store; explore skips --rcheck unless asked', () => {
  const rs = buildRuleset({
    nat: {
      SVC: [
        '-m recent --name SEP1 --rcheck --seconds 10800 --reap -j SEP1',
        '-m recent --name SEP2 --rcheck --seconds 10800 --reap -j SEP2',
        '-m statistic --mode random --probability 0.5 -j SEP1',
        '-j SEP2',
      ],
      SEP1: ['-m recent --set --name SEP1 --mask 255.255.255.255 --rsource -p tcp -j DNAT --to-destination 10.0.1.1:80'],
      SEP2: ['-m recent --set --name SEP2 --mask 255.255.255.255 --rsource -p tcp -j DNAT --to-destination 10.0.1.2:80'],
    },
  });
  const nat = getTable(rs, 'nat')!;
  const p = pkt('10.244.0.5', '10.96.0.10', 80);
  let now = 0;
  const store = new MemoryRecentStore(() => now);
  const first = walkChain(nat, 'SVC', p, ctx, { random: () => 0.9, recent: store });
  assert.deepEqual(first.dnat, ['10.0.1.2:80']);
  const again = walkChain(nat, 'SVC', p, ctx, { random: () => 0.1, recent: store });
  assert.deepEqual(again.dnat, ['10.0.1.2:80']);
  now = 20000;
  assert.deepEqual(walkChain(nat, 'SVC', p, ctx, { random: () => 0.1, recent: store }).dnat, ['10.0.1.1:80']);
  // Without a store --rcheck never matches.
  assert.deepEqual(walk(nat, 'SVC', p, { random: () => 0.1 }).dnat, ['10.0.1.1:80']);
  assert.deepEqual(walk(nat, 'SVC', p, { mode: 'explore' }).dnat, ['10.0.1.1:80', '10.0.1.2:80']);
  assert.deepEqual(walk(nat, 'SVC', p, { mode: 'explore', exploreRecent: 'both' }).dnat, [
    '10.0.1.1:80',
    '10.0.1.2:80',
    '10.0.1.1:80',
    '10.0.1.2:80',
  ]);
});

test('jump loops: a clear error from the walker and from compilation', () => {
  const rs = buildRuleset({ filter: { INPUT: ['-j A'], A: ['-p udp -j ACCEPT', '-j B'], B: ['-g A'] } });
  const f = getTable(rs, 'filter')!;
  assert.throws(() => walkChain(f, 'INPUT', pkt('1.1.1.1', '2.2.2.2', 1), ctx), /jump loop in table filter: A -> B -> A/);
  assert.throws(() => compileTable(f), /jump loop in table filter: A -> B -> A/);
  const self = buildRuleset({ filter: { INPUT: ['-j INPUT'] } });
  assert.throws(() => compileTable(getTable(self, 'filter')!), /INPUT -> INPUT/);
});

test('a jump to a missing chain is a no-op counted as unknown target', () => {
  const rs = buildRuleset({ nat: { PREROUTING: ['-j NOPE', '-j DNAT --to-destination 1.2.3.4'] } });
  const r = walk(getTable(rs, 'nat')!, 'PREROUTING', pkt('1.1.1.1', '2.2.2.2', 1));
  assert.equal(r.unknownTargets, 1);
  assert.deepEqual(r.dnat, ['1.2.3.4']);
});
