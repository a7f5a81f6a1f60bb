import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ipvs, SVC_F_PERSISTENT, type SchedulerName, type VirtualService } from '../../src/ipvs/index.ts';
import { formatIPv4, parseIPv4 } from '../../src/util/ipv4.ts';
import { PROTO_TCP, PROTO_UDP } from '../../src/util/proto.ts';

const VIP = parseIPv4('10.96.0.1');

/** A service whose dest list (head first) is `names` with the given weights. */
function service(scheduler: SchedulerName, dests: [string, number][], proto = PROTO_TCP): { ipvs: Ipvs; svc: VirtualService } {
  const ipvs = new Ipvs();
  const svc = ipvs.addService({ proto, addr: VIP, port: 80, scheduler, flags: 0, timeout: 0, netmask: 0xffffffff });
  // The kernel adds at the head, so add in reverse to get `dests` as the list order.
  for (const [ip, w] of [...dests].reverse()) ipvs.addDest(svc, { addr: parseIPv4(ip), port: 8080, weight: w });
  assert.deepEqual(
    svc.dests.map((d) => formatIPv4(d.addr)),
    dests.map(([ip]) => ip),
  );
  return { ipvs, svc };
}

const A = '10.0.0.1',
  B = '10.0.0.2',
  C = '10.0.0.3';
const NAME: Record<string, string> = { [A]: 'A', [B]: 'B', [C]: 'C' };

function picks(ipvs: Ipvs, svc: VirtualService, n: number, src = (i: number) => 0x0b000000 + i): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const d = ipvs.schedule(svc, src(i), 40000 + i, svc.addr);
    s += d ? NAME[formatIPv4(d.addr)] : '-';
  }
  return s;
}

test('rr cycles through the list from the head', () => {
  const { ipvs, svc } = service('rr', [
    [A, 1],
    [B, 1],
    [C, 1],
  ]);
  assert.equal(picks(ipvs, svc, 7), 'ABCABCA');
});

test('rr: added dests go to the list head; weight 0 is skipped', () => {
  const ipvs = new Ipvs();
  const svc = ipvs.addService({ proto: PROTO_TCP, addr: VIP, port: 80, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff });
  for (const ip of [A, B, C]) ipvs.addDest(svc, { addr: parseIPv4(ip), port: 8080, weight: 1 });
  // list_add_rcu puts the last added (C) first.
  assert.equal(picks(ipvs, svc, 4), 'CBAC');
  ipvs.editDest(svc, svc.dests[1], 0); // B quiesced
  assert.equal(picks(ipvs, svc, 4), 'ACAC');
});

test('rr: deleting the dest under the cursor resumes after its predecessor', () => {
  const { ipvs, svc } = service('rr', [
    [A, 1],
    [B, 1],
    [C, 1],
  ]);
  assert.equal(picks(ipvs, svc, 2), 'AB'); // cursor on B
  ipvs.deleteDest(svc, svc.dests[1]); // cursor moves back to A
  assert.equal(picks(ipvs, svc, 3), 'CAC');
});

test('wrr follows weights 3:1 as the gcd/max-weight passes do', () => {
  const { ipvs, svc } = service('wrr', [
    [A, 3],
    [B, 1],
  ]);
  // Dests are added one by one after the service exists (as kube-proxy does), and each add
  // runs ip_vs_wrr_dest_changed: cw was set to 1 when B (weight 1) came first and is kept
  // when A raises mw to 3. So the first pass is at cw=1 (A, B), then passes cw=3,2,1 repeat.
  assert.equal(picks(ipvs, svc, 12), 'ABAAABAAABAA');
  const counts = picks(ipvs, svc, 400);
  assert.equal(counts.split('A').length - 1, 300);
});

test('wrr created with its dests in place starts at the max weight', () => {
  const { ipvs, svc } = service('wrr', [
    [A, 3],
    [B, 1],
  ]);
  // Re-initialise the scheduler state as init_service would with the dests present.
  ipvs.editService(svc, { scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff });
  ipvs.editService(svc, { scheduler: 'wrr', flags: 0, timeout: 0, netmask: 0xffffffff });
  assert.equal(picks(ipvs, svc, 12), 'AAABAAABAAAB');
});

test('wrr with a common divisor (4:2) and three dests (2:1:1)', () => {
  // di = 2, mw = 4 - 1 = 3; cw starts at 1 (kept from B's add): A B, then cw 3 -> A, cw 1 -> A B.
  const two = service('wrr', [
    [A, 4],
    [B, 2],
  ]);
  assert.equal(picks(two.ipvs, two.svc, 6), 'ABAABA');
  // di = 1, mw = 2, cw starts at 1: A B C, then cw 2 -> A, cw 1 -> A B C.
  const three = service('wrr', [
    [A, 2],
    [B, 1],
    [C, 1],
  ]);
  assert.equal(picks(three.ipvs, three.svc, 8), 'ABCAABCA');
});

test('wrr with all weights 0 has no destination', () => {
  const { ipvs, svc } = service('wrr', [
    [A, 0],
    [B, 0],
  ]);
  assert.equal(picks(ipvs, svc, 2), '--');
});

test('lc picks the least active*256+inactive, first on ties', () => {
  const { ipvs, svc } = service('lc', [
    [A, 1],
    [B, 1],
    [C, 1],
  ]);
  svc.dests[0].activeConns = 1;
  svc.dests[1].inactConns = 200; // 200 < 256*1
  svc.dests[2].activeConns = 2;
  assert.equal(picks(ipvs, svc, 1), 'B');
  // Now B has 1 active + 200 inactive = 456 > A's 256: A.
  assert.equal(picks(ipvs, svc, 1), 'A');
  // Closing connections lowers the counts again.
  ipvs.connectionClosed(svc, svc.dests[0]);
  ipvs.connectionClosed(svc, svc.dests[0]);
  assert.equal(svc.dests[0].activeConns, 0);
  assert.equal(picks(ipvs, svc, 1), 'A');
});

test('wlc divides the overhead by the weight (3:1 from zero)', () => {
  const { ipvs, svc } = service('wlc', [
    [A, 3],
    [B, 1],
  ]);
  // A(0) B(0) -> A; A 256 vs B 0 -> B; 256*1 > 256*3? no -> A; 512 > 768? no -> A; 768 > 768? no -> A; 1024 > 768 -> B.
  assert.equal(picks(ipvs, svc, 6), 'ABAAAB');
});

test('sed counts the incoming job: (active+1)/weight', () => {
  const { ipvs, svc } = service('sed', [
    [A, 3],
    [B, 1],
  ]);
  assert.equal(picks(ipvs, svc, 4), 'AAAB');
});

test('nq sends to an idle server first, then as sed', () => {
  const { ipvs, svc } = service('nq', [
    [A, 3],
    [B, 1],
  ]);
  assert.equal(picks(ipvs, svc, 8), 'ABAAAAAB');
});

test('UDP connections count as inactive', () => {
  const { ipvs, svc } = service(
    'lc',
    [
      [A, 1],
      [B, 1],
    ],
    PROTO_UDP,
  );
  picks(ipvs, svc, 3);
  assert.deepEqual(
    svc.dests.map((d) => [d.activeConns, d.inactConns]),
    [
      [0, 2],
      [0, 1],
    ],
  );
});

test('sh: sticky per source address, buckets in list order', () => {
  const { ipvs, svc } = service('sh', [
    [A, 1],
    [B, 1],
  ]);
  // Buckets alternate A, B, A, B...; source 0 hashes to bucket 0 (A), source 1 to 0x61 = 97 (B).
  assert.equal(
    picks(ipvs, svc, 5, () => 0),
    'AAAAA',
  );
  assert.equal(
    picks(ipvs, svc, 5, () => 1),
    'BBBBB',
  );
  // Different sources spread over both dests.
  const spread = picks(ipvs, svc, 200, (i) => 0x0a000000 + i * 7919);
  assert.ok(spread.includes('A') && spread.includes('B'));
  // weight 2:1 -> buckets A A B A A B ...: bucket 0x61 = 97 = 3*32+1 -> A.
  const w = service('sh', [
    [A, 2],
    [B, 1],
  ]);
  assert.equal(
    picks(w.ipvs, w.svc, 1, () => 1),
    'A',
  );
});

test('sh: a quiesced dest gets no new connections (no fallback)', () => {
  const { ipvs, svc } = service('sh', [
    [A, 1],
    [B, 1],
  ]);
  ipvs.editDest(svc, svc.dests[1], 0);
  // Weight 0 still takes one bucket per round: A, B, A, B... so source 1 (bucket 97) -> B -> none.
  assert.equal(
    picks(ipvs, svc, 1, () => 1),
    '-',
  );
  assert.equal(
    picks(ipvs, svc, 1, () => 0),
    'A',
  );
});

test('dh: one dest per destination address', () => {
  const { ipvs, svc } = service('dh', [
    [A, 1],
    [B, 1],
    [C, 1],
  ]);
  const pick = (dst: number) => {
    const d = ipvs.schedule(svc, 0x0b000001, 1234, dst);
    return d ? NAME[formatIPv4(d.addr)] : '-';
  };
  // bucket(dst) = (dst * 2654435761) & 255; buckets hold A, B, C, A, B, C...
  assert.equal(pick(0), 'A'); // bucket 0
  assert.equal(pick(1), 'A'); // bucket 177 = 3*59 -> index 0
  assert.equal(pick(2), ['A', 'B', 'C'][(Math.imul(2, 0x9e3779b1 | 0) & 255) % 3]);
  for (let i = 0; i < 20; i++) assert.equal(pick(12345), pick(12345));
});

test('persistence: a client sticks to its dest until the template expires', () => {
  const ipvs = new Ipvs();
  const svc = ipvs.addService({
    proto: PROTO_TCP,
    addr: VIP,
    port: 80,
    scheduler: 'rr',
    flags: SVC_F_PERSISTENT,
    timeout: 10,
    netmask: 0xffffffff,
  });
  for (const ip of [C, B, A]) ipvs.addDest(svc, { addr: parseIPv4(ip), port: 8080, weight: 1 });
  const x = 0x0b000001,
    y = 0x0b000002;
  const pick = (src: number) => NAME[formatIPv4(ipvs.schedule(svc, src, 1000, VIP)!.addr)];
  ipvs.setTime(0);
  assert.equal(pick(x), 'A');
  assert.equal(pick(x), 'A');
  assert.equal(pick(y), 'B');
  ipvs.setTime(9e9); // each use re-arms the 10 s timer
  assert.equal(pick(x), 'A');
  ipvs.setTime(18.9e9);
  assert.equal(pick(x), 'A');
  ipvs.setTime(40e9); // expired: rescheduled by rr
  assert.equal(pick(x), 'C');
  assert.equal(ipvs.persistenceTemplates(svc), 2);
  // A template to a quiesced dest is dropped at once (expire_quiescent_template=1).
  ipvs.editDest(svc, svc.dests.find((d) => NAME[formatIPv4(d.addr)] === 'C')!, 0);
  assert.equal(pick(x), 'A');
});

test('netlink operations are counted, one per add/edit/delete', () => {
  const { ipvs, svc } = service('rr', [
    [A, 1],
    [B, 1],
  ]);
  assert.equal(ipvs.netlinkOps, 3);
  ipvs.editDest(svc, svc.dests[0], 5);
  ipvs.deleteDest(svc, svc.dests[1]);
  ipvs.deleteService(svc);
  assert.equal(ipvs.netlinkOps, 6);
  assert.equal(ipvs.serviceCount, 0);
});
