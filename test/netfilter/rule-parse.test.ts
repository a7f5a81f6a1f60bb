import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinArgs, quoteArg, quoteArgSaveStyle, rule, ruleFromArgs, splitArgs, NetfilterParseError } from '../../src/netfilter/index.ts';
import { parseIPv4 } from '../../src/util/ipv4.ts';

const ip = parseIPv4;

test('splitArgs keeps quoted strings whole and unescapes them', () => {
  assert.deepEqual(splitArgs('-m comment --comment "ns1/svc1:p80 cluster IP" -j X'), [
    '-m',
    'comment',
    '--comment',
    'ns1/svc1:p80 cluster IP',
    '-j',
    'X',
  ]);
  assert.deepEqual(splitArgs('--comment "say \\"hi\\"" a'), ['--comment', 'say "hi"', 'a']);
  assert.deepEqual(splitArgs('  a\t b  '), ['a', 'b']);
  assert.throws(() => splitArgs('--comment "open'), /unterminated/);
});

test('quoting: kube-proxy style quotes only whitespace; iptables-save style quotes non-word comments', () => {
  assert.equal(quoteArg('ns1/svc1:p80'), 'ns1/svc1:p80');
  assert.equal(quoteArg('ns1/svc1:p80 cluster IP'), '"ns1/svc1:p80 cluster IP"');
  assert.equal(quoteArg(''), '""');
  assert.equal(quoteArgSaveStyle('kubernetes'), 'kubernetes');
  assert.equal(quoteArgSaveStyle('ns1/svc1:p80'), '"ns1/svc1:p80"');
  assert.equal(joinArgs(['-m', 'comment', '--comment', 'a b', '-j', 'X']), '-m comment --comment "a b" -j X');
  assert.equal(joinArgs(['-m', 'comment', '--comment', 'ns/s:p', '-j', 'X'], 'iptables-save'), '-m comment --comment "ns/s:p" -j X');
});

test('addresses, protocols and interfaces, with negation', () => {
  const r = rule('-s 10.0.0.0/8 ! -d 10.1.2.3 -p tcp -i eth0 ! -o veth+');
  assert.deepEqual(r.matches, [
    { kind: 'addr', dir: 'src', negate: false, text: '10.0.0.0/8', addr: ip('10.0.0.0'), mask: 0xff000000 },
    { kind: 'addr', dir: 'dst', negate: true, text: '10.1.2.3', addr: ip('10.1.2.3'), mask: 0xffffffff },
    { kind: 'proto', negate: false, name: 'tcp', code: 6 },
    { kind: 'iface', dir: 'in', negate: false, name: 'eth0', wildcard: false },
    { kind: 'iface', dir: 'out', negate: true, name: 'veth', wildcard: true },
  ]);
  assert.deepEqual(r.target, { kind: 'none' });
  assert.deepEqual(rule('! -p udp').matches, [{ kind: 'proto', negate: true, name: 'udp', code: 17 }]);
  assert.deepEqual(rule('-p sctp').matches[0], { kind: 'proto', negate: false, name: 'sctp', code: 132 });
  // Host bits are cleared and dotted masks accepted, as iptables does.
  assert.equal((rule('-s 10.1.2.3/8').matches[0] as { addr: number }).addr, ip('10.0.0.0'));
  assert.equal((rule('--source 10.0.0.0/255.255.0.0').matches[0] as { mask: number }).mask, 0xffff0000);
});

test('tcp/udp/sctp ports: single, ranges, negation, implicit module from -p', () => {
  assert.deepEqual(rule('-m tcp -p tcp --dport 80').matches[0], { kind: 'port', dir: 'dst', negate: false, proto: 'tcp', lo: 80, hi: 80 });
  assert.deepEqual(rule('-p udp --sport 1000:2000').matches[1], {
    kind: 'port',
    dir: 'src',
    negate: false,
    proto: 'udp',
    lo: 1000,
    hi: 2000,
  });
  assert.deepEqual(rule('-p sctp -m sctp ! --dport :1023').matches[1], {
    kind: 'port',
    dir: 'dst',
    negate: true,
    proto: 'sctp',
    lo: 0,
    hi: 1023,
  });
  assert.deepEqual(rule('-p tcp --dport 30000:').matches[1], {
    kind: 'port',
    dir: 'dst',
    negate: false,
    proto: 'tcp',
    lo: 30000,
    hi: 65535,
  });
  const syn = rule('-p tcp -m tcp --syn -j DROP');
  assert.equal(syn.matches[1].kind, 'unknown');
  assert.match(syn.unsupported[0], /--syn is not modelled/);
});

test('addrtype, mark, conntrack, statistic, recent, comment', () => {
  assert.deepEqual(rule('-m addrtype --src-type LOCAL').matches, [
    { kind: 'addrtype', dir: 'src', negate: false, types: ['LOCAL'], limitIface: null },
  ]);
  assert.deepEqual(rule('-m addrtype ! --dst-type LOCAL --limit-iface-in').matches, [
    { kind: 'addrtype', dir: 'dst', negate: true, types: ['LOCAL'], limitIface: 'in' },
  ]);
  assert.match(rule('-m addrtype --dst-type BROADCAST').unsupported[0], /only LOCAL/);
  assert.deepEqual(rule('-m mark --mark 0x4000/0x4000').matches, [{ kind: 'mark', negate: false, value: 0x4000, mask: 0x4000 }]);
  assert.deepEqual(rule('-m mark ! --mark 0x1').matches, [{ kind: 'mark', negate: true, value: 1, mask: 0xffffffff }]);
  assert.deepEqual(rule('-m conntrack --ctstate RELATED,ESTABLISHED').matches, [
    { kind: 'ctstate', negate: false, states: ['RELATED', 'ESTABLISHED'], bits: 8 | 4 },
  ]);
  assert.deepEqual(rule('-m conntrack ! --ctstate INVALID').matches, [{ kind: 'ctstate', negate: true, states: ['INVALID'], bits: 1 }]);
  assert.deepEqual(rule('-m state --state NEW').matches, [{ kind: 'ctstate', negate: false, states: ['NEW'], bits: 2 }]);
  assert.deepEqual(rule('-m statistic --mode random --probability 0.3333333349').matches, [
    { kind: 'statistic', negate: false, probability: 0.3333333349, probabilityText: '0.3333333349' },
  ]);
  assert.deepEqual(rule('-m recent --name KUBE-SEP-X --rcheck --seconds 10800 --reap').matches, [
    {
      kind: 'recent',
      negate: false,
      name: 'KUBE-SEP-X',
      command: 'rcheck',
      seconds: 10800,
      hitcount: null,
      reap: true,
      mask: 0xffffffff,
      side: 'src',
    },
  ]);
  assert.deepEqual(rule('-m recent --set --name S --mask 255.255.255.0 --rdest').matches, [
    { kind: 'recent', negate: false, name: 'S', command: 'set', seconds: null, hitcount: null, reap: false, mask: 0xffffff00, side: 'dst' },
  ]);
  assert.deepEqual(rule('-m comment --comment "ns1/svc1:p80 cluster IP"').matches, [{ kind: 'comment', text: 'ns1/svc1:p80 cluster IP' }]);
  assert.deepEqual(rule('-m comment --comment ns1/svc1:p80').matches, [{ kind: 'comment', text: 'ns1/svc1:p80' }]);
});

test('unknown match modules are kept as text and make the rule unsupported', () => {
  const r = rule('-m u32 --u32 "0>>22&0x3C@12>>26&0x3F=0x10" -m owner --uid-owner 1000 -p tcp -j ACCEPT');
  assert.deepEqual(r.matches.slice(0, 2), [
    { kind: 'unknown', module: 'u32', args: ['--u32', '0>>22&0x3C@12>>26&0x3F=0x10'] },
    { kind: 'unknown', module: 'owner', args: ['--uid-owner', '1000'] },
  ]);
  assert.deepEqual(r.target, { kind: 'ACCEPT' });
  assert.deepEqual(r.unsupported, ['unknown match module "-m u32"', 'unknown match module "-m owner"']);
});

test('-m set and -m physdev: which set, which packet fields; the bridge port', () => {
  const r = rule('-m physdev ! --physdev-is-in -m set ! --match-set KUBE-CLUSTER-IP dst,dst -p tcp -j ACCEPT');
  assert.deepEqual(r.matches.slice(0, 2), [
    { kind: 'physdev', negate: true },
    { kind: 'set', negate: true, name: 'KUBE-CLUSTER-IP', dirs: ['dst', 'dst'] },
  ]);
  assert.deepEqual(r.unsupported, []);
  assert.throws(() => rule('-m set --match-set S up -j ACCEPT'), /invalid --match-set flags "up"/);
  assert.deepEqual(rule('-m physdev --physdev-is-bridged -j ACCEPT').unsupported, ['-m physdev --physdev-is-bridged is not modelled']);
});

test('targets', () => {
  assert.deepEqual(rule('-j KUBE-SVC-X').target, { kind: 'jump', chain: 'KUBE-SVC-X' });
  assert.deepEqual(rule('-g KUBE-SVC-X').target, { kind: 'goto', chain: 'KUBE-SVC-X' });
  for (const k of ['RETURN', 'ACCEPT', 'DROP'] as const) assert.deepEqual(rule(`-j ${k}`).target, { kind: k });
  assert.deepEqual(rule('-j REJECT --reject-with icmp-port-unreachable').target, { kind: 'REJECT', rejectWith: 'icmp-port-unreachable' });
  assert.deepEqual(rule('-j DNAT --to-destination 10.180.0.1:80').target, {
    kind: 'DNAT',
    toDestination: '10.180.0.1:80',
    ip: ip('10.180.0.1'),
    port: 80,
    random: false,
    persistent: false,
  });
  assert.deepEqual(rule('-j DNAT --to-destination 10.180.0.1 --random --persistent').target, {
    kind: 'DNAT',
    toDestination: '10.180.0.1',
    ip: ip('10.180.0.1'),
    port: 0,
    random: true,
    persistent: true,
  });
  assert.deepEqual(rule('-j SNAT --to-source 192.168.0.10').target, {
    kind: 'SNAT',
    toSource: '192.168.0.10',
    ip: ip('192.168.0.10'),
    port: 0,
    random: false,
    randomFully: false,
    persistent: false,
  });
  assert.deepEqual(rule('-j MASQUERADE --random-fully --to-ports 1024-2048').target, {
    kind: 'MASQUERADE',
    toPorts: '1024-2048',
    random: false,
    randomFully: true,
  });
  assert.deepEqual(rule('-j REDIRECT --to-ports 15001').target, { kind: 'REDIRECT', toPorts: '15001', random: false });
  assert.deepEqual(rule('-j LOG --log-prefix "drop: " --log-level 4 --log-uid').target, {
    kind: 'LOG',
    prefix: 'drop: ',
    level: '4',
    flags: ['--log-uid'],
  });
  assert.deepEqual(rule('-j CT --notrack').target, { kind: 'unknown', name: 'CT', args: ['--notrack'] });
  // A -j name followed by options no loaded module knows must be an extension target.
  assert.deepEqual(rule('-j FOO --bar 1').target, { kind: 'unknown', name: 'FOO', args: ['--bar', '1'] });
});

test('MARK target forms reduce to xt_MARK (mark & ~clear) ^ xor', () => {
  const apply = (text: string, mark: number) => {
    const t = rule(text).target;
    assert.equal(t.kind, 'MARK');
    if (t.kind !== 'MARK') return 0;
    return ((mark & ~t.clear) ^ t.xor) >>> 0;
  };
  assert.equal(apply('-j MARK --or-mark 0x4000', 0x1), 0x4001);
  assert.equal(apply('-j MARK --xor-mark 0x4000', 0x4001), 0x1);
  assert.equal(apply('-j MARK --and-mark 0xff', 0x12345), 0x45);
  assert.equal(apply('-j MARK --set-xmark 0x4000/0x4000', 0xffff), 0xffff);
  assert.equal(apply('-j MARK --set-xmark 0x0/0x4000', 0xffff), 0xbfff);
  assert.equal(apply('-j MARK --set-mark 0x10', 0xffff0000), 0x10);
  assert.equal(apply('-j MARK --set-mark 0x1/0xf', 0xfe), 0xf1);
  assert.equal(apply('-j MARK --set-xmark 0xffffffff', 0), 0xffffffff);
  assert.deepEqual(rule('-j MARK --or-mark 0x4000').target, { kind: 'MARK', op: 'or-mark', operand: '0x4000', xor: 0x4000, clear: 0x4000 });
});

test('rule() keeps the text verbatim; ruleFromArgs quotes', () => {
  const text = '-m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-X';
  assert.equal(rule(text).text, text);
  const r = ruleFromArgs(['-m', 'comment', '--comment', 'ns1/svc1:p80 cluster IP', '-j', 'KUBE-MARK-MASQ']);
  assert.equal(r.text, '-m comment --comment "ns1/svc1:p80 cluster IP" -j KUBE-MARK-MASQ');
  assert.deepEqual(r.target, { kind: 'jump', chain: 'KUBE-MARK-MASQ' });
});

test('syntax errors name the token and the reason', () => {
  const cases: [string, RegExp][] = [
    ['-m tcp -p tcp --dprot 80', /^unknown option "--dprot"$/],
    ['--dport 80', /^unknown option "--dport"$/],
    ['-s 300.1.1.1', /invalid address "300.1.1.1"/],
    ['-p tcp --dport 70000', /invalid port "70000"/],
    ['-m statistic --mode random', /needs --probability/],
    ['-m statistic --mode random --probability 1.5', /invalid probability "1.5"/],
    ['! -j ACCEPT', /option "-j" cannot be negated/],
    ['-m comment ! --comment x', /option "--comment" cannot be negated/],
    ['-m comment --comment', /option "--comment" requires an argument/],
    ['-j DNAT', /DNAT needs --to-destination/],
    ['-j DNAT --to-destinaton 1.2.3.4', /^unknown option "--to-destinaton"$/],
    ['-j MARK --or-mark 0x1 --xor-mark 0x2', /exactly one/],
    ['-m mark --mark banana', /invalid mark "banana"/],
    ['-m conntrack --ctstate NEWISH', /invalid conntrack state "NEWISH"/],
    ['-j ACCEPT -j DROP', /more than one target/],
    ['-p tcp 80', /unexpected argument "80"/],
    ['-g ACCEPT', /needs a chain/],
    ['-m comment --comment "x', /unterminated/],
    ['-s 10.0.0.1 !', /negates nothing/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => rule(text),
      (e: unknown) => e instanceof NetfilterParseError && re.test(e.message),
      text,
    );
  }
  try {
    rule('-m tcp -p tcp --dprot 80');
  } catch (e) {
    assert.equal((e as NetfilterParseError).token, '--dprot');
  }
});
