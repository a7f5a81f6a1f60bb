import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConntrackTable, DIR_REPLY, INSERT_CLASH, KEEP } from '../../src/conntrack/index.ts';
import { Rng } from '../../src/engine/rng.ts';
import { type Packet } from '../../src/proxy/types.ts';
import {
  FLOW_SNAT_EXHAUSTED,
  MASQ_DROPPED,
  MASQ_TRANSLATED,
  MASQ_UNCHANGED,
  MAX_ATTEMPTS,
  NAT_RANGE_HIGH,
  NAT_RANGE_LOW,
  NAT_RANGE_MID,
  SnatPortAllocator,
  masquerade,
  natPortRange,
  trackNewFlow,
} from '../../src/snat/index.ts';
import { parseIPv4 } from '../../src/util/ipv4.ts';
import { PROTO_TCP, PROTO_UDP } from '../../src/util/proto.ts';

const NODE = parseIPv4('192.168.0.11');
const DST = parseIPv4('198.51.100.7');
const POD_A = parseIPv4('10.244.1.5');
const POD_B = parseIPv4('10.244.1.6');
const VIP = parseIPv4('10.96.0.10');
const EP = parseIPv4('10.244.2.7');

function pkt(proto: Packet['proto'], src: number, sport: number, dst: number, dport: number): Packet {
  return { proto, src, sport, dst, dport };
}

/** Tracks a masqueraded connection from `src:sport` to DST:443 leaving as NODE:natPort. */
function occupy(t: ConntrackTable, src: number, sport: number, natPort: number, now = 0): void {
  const slot = t.insert(pkt(PROTO_TCP, src, sport, DST, 443), KEEP, KEEP, NODE, natPort, now);
  assert.ok(slot >= 0, `occupy ${natPort}`);
}

test('implicit NAT port range follows the original port class (nf_nat_l4proto_unique_tuple)', () => {
  assert.equal(natPortRange(80), NAT_RANGE_LOW);
  assert.equal(natPortRange(511), NAT_RANGE_LOW);
  assert.equal(natPortRange(512), NAT_RANGE_MID);
  assert.equal(natPortRange(1023), NAT_RANGE_MID);
  assert.equal(natPortRange(1024), NAT_RANGE_HIGH);
  assert.equal(natPortRange(40000), NAT_RANGE_HIGH);
  assert.deepEqual({ ...NAT_RANGE_LOW }, { min: 1, max: 511 });
  assert.deepEqual({ ...NAT_RANGE_MID }, { min: 600, max: 1023 });
  assert.deepEqual({ ...NAT_RANGE_HIGH }, { min: 1024, max: 65535 });
});

test('the original source port is kept when the resulting tuple is free', () => {
  for (const kernel of ['current', 'legacy'] as const) {
    const t = new ConntrackTable({ max: 1000 });
    const snat = new SnatPortAllocator(t, new Rng(1), { kernel });
    assert.equal(snat.selectPort(PROTO_TCP, NODE, 40000, DST, 443, 0), 40000);
    assert.equal(snat.lastCandidates, 1);
    assert.deepEqual(snat.stats, { selections: 1, keptOriginal: 1, searched: 0, collisions: 0, failures: 0, maxCandidates: 1 });
    // Used towards another destination port, or over another protocol: still free.
    occupy(t, POD_A, 40000, 40000);
    assert.equal(snat.selectPort(PROTO_TCP, NODE, 40000, DST, 80, 0), 40000);
    assert.equal(snat.selectPort(PROTO_UDP, NODE, 40000, DST, 443, 0), 40000);
  }
});

test('a collision forces a search that ends on a free port of the same class', () => {
  for (const kernel of ['current', 'legacy'] as const) {
    const t = new ConntrackTable({ max: 1000 });
    const snat = new SnatPortAllocator(t, new Rng(2), { kernel });
    occupy(t, POD_A, 40000, 40000);
    const port = snat.selectPort(PROTO_TCP, NODE, 40000, DST, 443, 0);
    assert.notEqual(port, 40000);
    assert.ok(port >= 1024 && port <= 65535);
    assert.ok(!t.tupleInUse(PROTO_TCP, DST, 443, NODE, port, 0));
    assert.ok(snat.lastCandidates >= 2);
    assert.equal(snat.stats.searched, 1);
    assert.equal(snat.stats.collisions, snat.lastCandidates - 1);
    // A privileged original port searches the privileged classes only.
    occupy(t, POD_A, 80, 80);
    const low = snat.selectPort(PROTO_TCP, NODE, 80, DST, 443, 0);
    assert.ok(low >= 1 && low <= 511 && low !== 80);
    occupy(t, POD_A, 700, 700);
    const mid = snat.selectPort(PROTO_TCP, NODE, 700, DST, 443, 0);
    assert.ok(mid >= 600 && mid <= 1023 && mid !== 700);
  }
});

test('once the original port is taken, the entry that freed it expires and the port is reusable', () => {
  const t = new ConntrackTable({ max: 1000 });
  const snat = new SnatPortAllocator(t, new Rng(3));
  const slot = t.insert(pkt(PROTO_UDP, POD_A, 5353, DST, 53), KEEP, KEEP, NODE, 5353, 0);
  assert.ok(slot >= 0);
  assert.notEqual(snat.selectPort(PROTO_UDP, NODE, 5353, DST, 53, 29e9), 5353);
  assert.equal(snat.selectPort(PROTO_UDP, NODE, 5353, DST, 53, 30e9), 5353, 'UDP entry gone after 30 s');
});

test('legacy rover: the next search starts where the previous one ended', () => {
  const t = new ConntrackTable({ max: 1000 });
  const snat = new SnatPortAllocator(t, new Rng(4), { kernel: 'legacy', toPorts: { min: 5000, max: 5009 } });
  // Original ports out of the --to-ports range: no step 1, straight to the search.
  const p1 = snat.selectPort(PROTO_TCP, NODE, 40000, DST, 443, 0);
  assert.equal(p1, 5000, 'rover starts at 0');
  occupy(t, POD_A, 40000, p1);
  const p2 = snat.selectPort(PROTO_TCP, NODE, 40001, DST, 443, 0);
  assert.equal(p2, 5001);
  assert.equal(snat.lastCandidates, 2, 'first candidate: the rover port, just taken');
});

test('hash offset: every search towards one destination starts at the same port', () => {
  const t = new ConntrackTable({ max: 1000 });
  const snat = new SnatPortAllocator(t, new Rng(5), { offset: 'hash', search: 'exhaustive', toPorts: { min: 5000, max: 5009 } });
  const p1 = snat.selectPort(PROTO_TCP, NODE, 40000, DST, 443, 0);
  occupy(t, POD_A, 40000, p1);
  const p2 = snat.selectPort(PROTO_TCP, NODE, 40001, DST, 443, 0);
  assert.equal(p2, p1 === 5009 ? 5000 : p1 + 1);
  assert.equal(snat.lastCandidates, 2);
  occupy(t, POD_A, 40001, p2);
  snat.selectPort(PROTO_TCP, NODE, 40002, DST, 443, 0);
  assert.equal(snat.lastCandidates, 3, 'the cluster grows: primary clustering');
  // legacy --random uses the same per-destination hash.
  const r = new SnatPortAllocator(t, new Rng(5), { kernel: 'legacy', random: true, toPorts: { min: 5000, max: 5009 } });
  r.selectPort(PROTO_TCP, NODE, 5003, DST, 443, 0);
  assert.equal(r.lastCandidates, 3);
  assert.equal(r.stats.keptOriginal, 0, '--random never keeps the original port');
});

test('exhaustion: exhaustive search tries the whole range, capped search 128+64+32+16+8', () => {
  const t = new ConntrackTable({ max: 1000 });
  const legacy = new SnatPortAllocator(t, new Rng(6), { kernel: 'legacy', toPorts: { min: 6000, max: 6003 } });
  for (let i = 0; i < 4; i++) occupy(t, POD_A, 6000 + i, 6000 + i);
  assert.equal(legacy.selectPort(PROTO_TCP, NODE, 6000, DST, 443, 0), -1);
  assert.equal(legacy.lastCandidates, 5, 'original port + 4 range ports');
  assert.equal(legacy.stats.failures, 1);
  assert.equal(legacy.stats.collisions, 5);

  const t2 = new ConntrackTable({ max: 1000 });
  for (let p = 7000; p < 7300; p++) occupy(t2, POD_B, p, p);
  const capped = new SnatPortAllocator(t2, new Rng(7), { kernel: 'current', toPorts: { min: 7000, max: 7299 }, randomFully: true });
  assert.equal(capped.selectPort(PROTO_TCP, NODE, 1, DST, 443, 0), -1);
  assert.equal(capped.lastCandidates, MAX_ATTEMPTS + 64 + 32 + 16 + 8);
  assert.equal(capped.stats.failures, 1);
  // A range smaller than 128 is searched once, whole.
  const small = new SnatPortAllocator(t2, new Rng(8), { kernel: 'current', toPorts: { min: 7000, max: 7099 }, randomFully: true });
  assert.equal(small.selectPort(PROTO_TCP, NODE, 1, DST, 443, 0), -1);
  assert.equal(small.lastCandidates, 100);
  // One free port in the big range: the capped search may miss it, the exhaustive one never does.
  const t3 = new ConntrackTable({ max: 1000 });
  for (let p = 7000; p < 7300; p++) if (p !== 7150) occupy(t3, POD_B, p, p);
  const ex = new SnatPortAllocator(t3, new Rng(9), { kernel: 'legacy', randomFully: true, toPorts: { min: 7000, max: 7299 } });
  assert.equal(ex.selectPort(PROTO_TCP, NODE, 1, DST, 443, 0), 7150);
});

test('--random-fully: never keeps the original port, random start, deterministic per seed', () => {
  const run = (seed: number) => {
    const t = new ConntrackTable({ max: 1000 });
    const snat = new SnatPortAllocator(t, new Rng(seed), { randomFully: true });
    const ports: number[] = [];
    for (let i = 0; i < 20; i++) {
      const p = snat.selectPort(PROTO_TCP, NODE, 40000, DST, 443, 0);
      ports.push(p);
      occupy(t, POD_A, 40000 + i, p);
    }
    assert.equal(snat.stats.keptOriginal, 0);
    assert.equal(new Set(ports).size, 20);
    return ports;
  };
  assert.deepEqual(run(11), run(11));
  assert.notDeepEqual(run(11), run(12));
});

test('masquerade(): unchanged when not required, node address and a port when required', () => {
  const t = new ConntrackTable({ max: 1000 });
  const snat = new SnatPortAllocator(t, new Rng(13));
  const out = pkt(PROTO_TCP, 0, 0, 0, 0);
  const p = pkt(PROTO_TCP, POD_A, 40000, EP, 8080);
  assert.equal(masquerade(p, NODE, false, snat, 0, out), MASQ_UNCHANGED);
  assert.deepEqual(out, p);
  assert.equal(masquerade(pkt(PROTO_TCP, 0, 1, EP, 80), NODE, true, snat, 0, out), MASQ_UNCHANGED, '0.0.0.0 source is left alone');
  assert.equal(masquerade(p, NODE, true, snat, 0, out), MASQ_TRANSLATED);
  assert.deepEqual(out, pkt(PROTO_TCP, NODE, 40000, EP, 8080));
  assert.deepEqual(p, pkt(PROTO_TCP, POD_A, 40000, EP, 8080), 'input untouched');

  const full = new SnatPortAllocator(t, new Rng(14), { toPorts: { min: 9000, max: 9000 }, randomFully: true });
  t.insert(pkt(PROTO_TCP, POD_B, 1, EP, 8080), KEEP, KEEP, NODE, 9000, 0);
  assert.equal(masquerade(p, NODE, true, full, 0, out), MASQ_DROPPED);
});

test('trackNewFlow: DNAT + MASQUERADE + conntrack, replies reverse-translated', () => {
  const t = new ConntrackTable({ max: 1000 });
  const snat = new SnatPortAllocator(t, new Rng(15));
  const first = pkt(PROTO_TCP, POD_A, 40000, VIP, 80);
  const s1 = trackNewFlow(t, snat, first, EP, 8080, true, NODE, 0);
  assert.ok(s1 >= 0);
  const out = pkt(PROTO_TCP, 0, 0, 0, 0);
  t.translate(s1, 0, out);
  assert.deepEqual(out, pkt(PROTO_TCP, NODE, 40000, EP, 8080));
  // Another pod with the same source port to the same service and endpoint: port clash.
  const s2 = trackNewFlow(t, snat, pkt(PROTO_TCP, POD_B, 40000, VIP, 80), EP, 8080, true, NODE, 0);
  assert.ok(s2 >= 0);
  t.translate(s2, 0, out);
  assert.equal(out.src, NODE);
  assert.notEqual(out.sport, 40000);
  // The endpoint's reply to that port finds POD_B's entry and goes back as from the VIP.
  const s = t.lookup(pkt(PROTO_TCP, EP, 8080, NODE, out.sport), 1);
  assert.equal(s, s2);
  assert.equal(t.lastDirection, DIR_REPLY);
  t.translate(s, DIR_REPLY, out);
  assert.deepEqual(out, pkt(PROTO_TCP, VIP, 80, POD_B, 40000));
  // Without masquerade the reply tuple goes to the pod itself.
  assert.ok(trackNewFlow(t, null, pkt(PROTO_UDP, POD_A, 5000, VIP, 53), EP, 53, false, NODE, 0) >= 0);
  assert.equal(t.lookup(pkt(PROTO_UDP, EP, 53, POD_A, 5000), 1) >= 0, true);
  assert.equal(trackNewFlow(t, null, first, EP, 8080, false, NODE, 0), INSERT_CLASH);
  // No free port: counted as insert_failed, as the kernel does.
  const one = new SnatPortAllocator(t, new Rng(16), { toPorts: { min: 40000, max: 40000 }, randomFully: true });
  const before = t.stats.insertFailed;
  assert.equal(trackNewFlow(t, one, pkt(PROTO_TCP, POD_B, 40001, VIP, 80), EP, 8080, true, NODE, 0), FLOW_SNAT_EXHAUSTED);
  assert.equal(t.stats.insertFailed, before + 1);
  assert.throws(() => trackNewFlow(t, null, pkt(PROTO_TCP, POD_B, 3, VIP, 80), EP, 8080, true, NODE, 0), /without a SNAT/);
});
