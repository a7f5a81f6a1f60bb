import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.ts';
import { createKubeIpvsSets, formatIpsetList, IpSet, KUBE_IPVS_SETS, parseEntry } from '../../src/ipset/index.ts';
import { parseIPv4 } from '../../src/util/ipv4.ts';

const ip = parseIPv4;

test('hash:ip,port membership needs address, protocol and port', () => {
  const s = new IpSet('T', 'hash:ip,port');
  assert.equal(s.add('10.96.0.1,tcp:443'), true);
  assert.equal(s.add('10.96.0.1,tcp:443'), false); // -exist
  assert.ok(s.testIpPort(ip('10.96.0.1'), 6, 443));
  assert.ok(!s.testIpPort(ip('10.96.0.1'), 17, 443));
  assert.ok(!s.testIpPort(ip('10.96.0.1'), 6, 80));
  assert.ok(!s.testIpPort(ip('10.96.0.2'), 6, 443));
  assert.equal(s.delete('10.96.0.1,tcp:443'), true);
  assert.ok(!s.testIpPort(ip('10.96.0.1'), 6, 443));
});

test('hash:ip,port,ip and hash:ip,port,net membership', () => {
  const lb = new IpSet('L', 'hash:ip,port,ip');
  lb.add('10.244.1.5,tcp:8080,10.244.1.5');
  assert.ok(lb.testIpPortIp(ip('10.244.1.5'), 6, 8080, ip('10.244.1.5')));
  assert.ok(!lb.testIpPortIp(ip('10.244.1.5'), 6, 8080, ip('10.244.1.6')));
  const net = new IpSet('N', 'hash:ip,port,net');
  net.add('203.0.113.7,tcp:80,10.0.0.0/8');
  net.add('203.0.113.7,tcp:80,192.168.1.0/24');
  assert.ok(net.testIpPortNet(ip('203.0.113.7'), 6, 80, ip('10.200.3.4')));
  assert.ok(net.testIpPortNet(ip('203.0.113.7'), 6, 80, ip('192.168.1.9')));
  assert.ok(!net.testIpPortNet(ip('203.0.113.7'), 6, 80, ip('192.168.2.9')));
  net.delete('203.0.113.7,tcp:80,10.0.0.0/8');
  assert.ok(!net.testIpPortNet(ip('203.0.113.7'), 6, 80, ip('10.200.3.4')));
  // Host bits of the net are cleared, as the kernel stores the network address.
  assert.deepEqual(parseEntry('hash:ip,port,net', '1.2.3.4,udp:53,10.1.2.3/16').ip2, ip('10.1.0.0'));
  assert.throws(() => parseEntry('hash:ip,port,net', '1.2.3.4,udp:53,0.0.0.0/0'));
});

test('bitmap:port stores only ports and refuses ports outside its range', () => {
  const s = new IpSet('P', 'bitmap:port', { range: '30000-32767' });
  s.add('30080');
  s.add('tcp:30081');
  assert.ok(s.testPort(30080) && s.testPort(30081) && !s.testPort(30082));
  assert.throws(() => s.add('80'));
});

test('membership agrees with a reference on random members', () => {
  const rng = new Rng('ipset');
  const s = new IpSet('R', 'hash:ip,port');
  const ref = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const a = `10.96.${rng.int(0, 4)}.${rng.int(0, 50)}`;
    const p = ['tcp', 'udp'][rng.int(0, 2)];
    const port = [53, 80, 443][rng.int(0, 3)];
    const text = `${a},${p}:${port}`;
    if (rng.next() < 0.6) {
      s.add(text);
      ref.add(text);
    } else {
      s.delete(text);
      ref.delete(text);
    }
    const probe = `10.96.${rng.int(0, 4)}.${rng.int(0, 50)},${['tcp', 'udp'][rng.int(0, 2)]}:${[53, 80, 443][rng.int(0, 3)]}`;
    const e = parseEntry('hash:ip,port', probe);
    assert.equal(s.testIpPort(e.ip, e.proto, e.port), ref.has(probe));
  }
  assert.equal(s.size, ref.size);
});

test('sync issues one command per added or removed member', () => {
  const s = new IpSet('S', 'hash:ip,port');
  assert.equal(s.sync(['10.0.0.1,tcp:80', '10.0.0.2,tcp:80']), 2);
  assert.equal(s.sync(['10.0.0.2,tcp:80', '10.0.0.3,tcp:80']), 2);
  assert.equal(s.sync(['10.0.0.2,tcp:80', '10.0.0.3,tcp:80']), 0);
  assert.deepEqual(s.entries(), ['10.0.0.2,tcp:80', '10.0.0.3,tcp:80']);
});

test('sync into a full set adds in sorted order, keeps what is there and reports what did not fit', () => {
  const s = new IpSet('T', 'hash:ip,port', { maxelem: 2 });
  // kube-proxy adds sets.String.List(): sorted, so 10.96.0.10 goes before 10.96.0.9.
  assert.equal(s.sync(['10.96.0.9,tcp:80', '10.96.0.10,tcp:80', '10.96.0.1,tcp:80']), 3);
  assert.deepEqual(s.entries(), ['10.96.0.1,tcp:80', '10.96.0.10,tcp:80']);
  assert.deepEqual(s.lastFailed, ['10.96.0.9,tcp:80']);
  assert.ok(s.full);
  // Every later sync tries the missing member again (one failed command each time).
  assert.equal(s.sync(['10.96.0.9,tcp:80', '10.96.0.10,tcp:80', '10.96.0.1,tcp:80']), 1);
  assert.deepEqual(s.lastFailed, ['10.96.0.9,tcp:80']);
  // A member removed makes room: deletes go first, then the adds.
  assert.equal(s.sync(['10.96.0.9,tcp:80', '10.96.0.10,tcp:80']), 2);
  assert.deepEqual(s.entries(), ['10.96.0.10,tcp:80', '10.96.0.9,tcp:80']);
  assert.deepEqual(s.lastFailed, []);
  assert.throws(() => s.add('10.96.0.2,tcp:80'), /set T is full \(maxelem 2\)/);
  // A bitmap holds its whole range whatever maxelem says.
  const b = new IpSet('B', 'bitmap:port', { maxelem: 1 });
  b.sync(['30001', '30002']);
  assert.equal(b.size, 2);
  assert.deepEqual(b.lastFailed, []);
});

test("kube-proxy's sets have kube-proxy's names, types and comments", () => {
  assert.equal(KUBE_IPVS_SETS.length, 16);
  const sets = createKubeIpvsSets();
  assert.equal(sets.get('KUBE-CLUSTER-IP')!.type, 'hash:ip,port');
  assert.equal(sets.get('KUBE-LOOP-BACK')!.type, 'hash:ip,port,ip');
  assert.equal(sets.get('KUBE-LOAD-BALANCER-SOURCE-CIDR')!.type, 'hash:ip,port,net');
  assert.equal(sets.get('KUBE-NODE-PORT-TCP')!.type, 'bitmap:port');
  assert.equal(sets.get('KUBE-NODE-PORT-SCTP-HASH')!.type, 'hash:ip,port');
  assert.equal(sets.get('KUBE-CLUSTER-IP')!.comment, 'Kubernetes service cluster ip + port for masquerade purpose');
});

test('ipset list golden', () => {
  const sets = createKubeIpvsSets();
  sets.get('KUBE-CLUSTER-IP')!.sync(['10.96.0.10,udp:53', '10.96.0.1,tcp:443', '10.96.0.10,tcp:53']);
  sets.get('KUBE-NODE-PORT-TCP')!.sync(['30080']);
  sets.get('KUBE-LOOP-BACK')!.sync(['10.244.1.5,tcp:8080,10.244.1.5']);
  const text = formatIpsetList(
    [sets.get('KUBE-CLUSTER-IP')!, sets.get('KUBE-NODE-PORT-TCP')!, sets.get('KUBE-LOOP-BACK')!],
    new Map([
      ['KUBE-CLUSTER-IP', 2],
      ['KUBE-NODE-PORT-TCP', 1],
      ['KUBE-LOOP-BACK', 1],
    ]),
  );
  assert.equal(
    text,
    `Name: KUBE-CLUSTER-IP
Type: hash:ip,port
Revision: 5
Header: family inet hashsize 1024 maxelem 65536
Size in memory: 380
References: 2
Number of entries: 3
Members:
10.96.0.1,tcp:443
10.96.0.10,tcp:53
10.96.0.10,udp:53

Name: KUBE-NODE-PORT-TCP
Type: bitmap:port
Revision: 3
Header: range 0-65535
Size in memory: 8264
References: 1
Number of entries: 1
Members:
30080

Name: KUBE-LOOP-BACK
Type: hash:ip,port,ip
Revision: 5
Header: family inet hashsize 1024 maxelem 65536
Size in memory: 260
References: 1
Number of entries: 1
Members:
10.244.1.5,tcp:8080,10.244.1.5
`,
  );
});
