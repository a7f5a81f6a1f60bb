import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConntrackTable,
  CT_CLOSING,
  CT_ESTABLISHED,
  CT_NEW,
  DIR_ORIGINAL,
  EVICTION_RANGE,
  hashTuple,
  packPorts,
  DIR_REPLY,
  INSERT_CLASH,
  INSERT_DROPPED,
  KEEP,
  KERNEL_TIMEOUTS,
  kubeProxyBuckets,
  kubeProxyConntrackMax,
} from '../../src/conntrack/index.ts';
import { parseIPv4 } from '../../src/util/ipv4.ts';
import { type Packet } from '../../src/proxy/types.ts';
import { PROTO_SCTP, PROTO_TCP, PROTO_UDP } from '../../src/util/proto.ts';

const S = 1e9;
const CLIENT = parseIPv4('10.244.1.5');
const VIP = parseIPv4('10.96.0.10');
const POD = parseIPv4('10.244.2.7');
const NODE = parseIPv4('192.168.0.11');

function pkt(proto: Packet['proto'], src: number, sport: number, dst: number, dport: number): Packet {
  return { proto, src, sport, dst, dport };
}
const blank = (): Packet => pkt(PROTO_TCP, 0, 0, 0, 0);

test('kube-proxy sizing: max(131072, 32768 × cores), buckets max/4', () => {
  assert.equal(kubeProxyConntrackMax(1), 131072);
  assert.equal(kubeProxyConntrackMax(4), 131072);
  assert.equal(kubeProxyConntrackMax(8), 262144);
  assert.equal(kubeProxyConntrackMax(2, 100000, 0), 200000);
  assert.throws(() => kubeProxyConntrackMax(0));
  assert.throws(() => kubeProxyConntrackMax(4, 0));
  const t = new ConntrackTable({ cores: 16 });
  assert.equal(t.max, 524288);
  assert.equal(t.buckets, kubeProxyBuckets(524288));
  assert.equal(t.buckets, 131072);
  assert.equal(new ConntrackTable().max, 131072);
  assert.equal(new ConntrackTable({ max: 10, buckets: 3 }).buckets, 3);
  // Timeouts: kernel defaults except kube-proxy's 24 h established.
  assert.equal(t.timeouts.tcpEstablished, 24 * 3600 * S);
  assert.equal(KERNEL_TIMEOUTS.tcpEstablished, 5 * 86400 * S);
  assert.equal(t.timeouts.udpUnreplied, 30 * S);
  assert.equal(t.timeouts.udpStream, 120 * S);
  assert.equal(t.timeouts.tcpSynSent, 120 * S);
  assert.equal(t.timeouts.sctpEstablished, 210 * S);
});

test('insert then lookup finds the entry from both directions, with the direction', () => {
  const t = new ConntrackTable({ max: 1000 });
  const first = pkt(PROTO_TCP, CLIENT, 40000, VIP, 53);
  const slot = t.insert(first, POD, 5353, NODE, 61000, 0);
  assert.ok(slot >= 0);
  assert.equal(t.size, 1);
  assert.equal(t.stateOf(slot), CT_NEW);

  assert.equal(t.lookup(first, 1), slot);
  assert.equal(t.lastDirection, DIR_ORIGINAL);
  // The reply comes from the endpoint to the masquerade address.
  const reply = pkt(PROTO_TCP, POD, 5353, NODE, 61000);
  assert.equal(t.lookup(reply, 2), slot);
  assert.equal(t.lastDirection, DIR_REPLY);
  // Neither the un-NATed reverse nor another protocol matches.
  assert.equal(t.lookup(pkt(PROTO_TCP, VIP, 53, CLIENT, 40000), 3), -1);
  assert.equal(t.lookup(pkt(PROTO_UDP, CLIENT, 40000, VIP, 53), 3), -1);
  assert.equal(t.stats.lookups, 4);
  assert.equal(t.stats.found, 2);
  assert.ok(t.stats.searches >= 2);
});

test('translate: DNAT+SNAT forward, reverse translation of replies', () => {
  const t = new ConntrackTable({ max: 1000 });
  const first = pkt(PROTO_TCP, CLIENT, 40000, VIP, 80);
  const slot = t.insert(first, POD, 8080, NODE, 61000, 0);
  const out = blank();
  // Original direction: leaves for the endpoint, from the masquerade address.
  t.translate(slot, DIR_ORIGINAL, out);
  assert.deepEqual(out, pkt(PROTO_TCP, NODE, 61000, POD, 8080));
  // Reply direction: back to the client, appearing to come from the service.
  const reply = pkt(PROTO_TCP, POD, 8080, NODE, 61000);
  const s2 = t.lookup(reply, 1);
  assert.equal(s2, slot);
  t.translate(s2, t.lastDirection, out);
  assert.deepEqual(out, pkt(PROTO_TCP, VIP, 80, CLIENT, 40000));

  // DNAT only (no masquerade): the reply goes straight to the client.
  const s3 = t.insert(pkt(PROTO_UDP, CLIENT, 40001, VIP, 53), POD, 53, KEEP, KEEP, 0);
  assert.equal(t.lookup(pkt(PROTO_UDP, POD, 53, CLIENT, 40001), 1), s3);
  assert.equal(t.lastDirection, DIR_REPLY);
  t.translate(s3, DIR_REPLY, out);
  assert.deepEqual(out, pkt(PROTO_UDP, VIP, 53, CLIENT, 40001));
  t.translate(s3, DIR_ORIGINAL, out);
  assert.deepEqual(out, pkt(PROTO_UDP, CLIENT, 40001, POD, 53));

  // No NAT at all: translation is the identity.
  const s4 = t.insert(pkt(PROTO_TCP, CLIENT, 40002, POD, 80), KEEP, KEEP, KEEP, KEEP, 0);
  t.translate(s4, DIR_ORIGINAL, out);
  assert.deepEqual(out, pkt(PROTO_TCP, CLIENT, 40002, POD, 80));
  t.tuple(s4, DIR_REPLY, out);
  assert.deepEqual(out, pkt(PROTO_TCP, POD, 80, CLIENT, 40002));
});

test('a tuple already tracked in either direction makes insert fail (insert_failed)', () => {
  const t = new ConntrackTable({ max: 1000 });
  const a = pkt(PROTO_TCP, CLIENT, 40000, VIP, 80);
  assert.ok(t.insert(a, POD, 8080, NODE, 61000, 0) >= 0);
  assert.equal(t.insert(a, POD, 8080, NODE, 61001, 0), INSERT_CLASH);
  // A different client whose SNAT would produce the same reply tuple.
  const b = pkt(PROTO_TCP, parseIPv4('10.244.1.6'), 40000, VIP, 80);
  assert.equal(t.insert(b, POD, 8080, NODE, 61000, 0), INSERT_CLASH);
  assert.equal(t.stats.insertFailed, 2);
  assert.ok(t.insert(b, POD, 8080, NODE, 61002, 0) >= 0);
  assert.equal(t.size, 2);
  assert.ok(t.tupleInUse(PROTO_TCP, POD, 8080, NODE, 61000, 0));
  assert.ok(t.tupleInUse(PROTO_TCP, CLIENT, 40000, VIP, 80, 0));
  assert.ok(!t.tupleInUse(PROTO_TCP, POD, 8080, NODE, 61003, 0));
  assert.ok(!t.tupleInUse(PROTO_UDP, POD, 8080, NODE, 61000, 0));
});

test('UDP: gone 30 s after the last packet unless it becomes a stream (120 s)', () => {
  const t = new ConntrackTable({ max: 100 });
  const q = pkt(PROTO_UDP, CLIENT, 50000, VIP, 53);
  const slot = t.insert(q, POD, 53, KEEP, KEEP, 0);
  assert.equal(t.lookup(q, 30 * S - 1), slot);
  assert.equal(t.lookup(q, 30 * S), -1, 'unreplied UDP expires after 30 s');
  assert.equal(t.size, 0, 'lookup reaped it');
  assert.equal(t.stats.expired, 1);

  // Replied once (DNS): still 30 s after the reply, not assured.
  const s2 = t.insert(q, POD, 53, KEEP, KEEP, 100 * S);
  t.confirmReply(s2, 100 * S + 1e6);
  assert.equal(t.stateOf(s2), CT_ESTABLISHED);
  assert.ok(!t.isAssured(s2));
  assert.equal(t.lookup(q, 130 * S), s2);
  assert.equal(t.lookup(q, 130 * S + 1e6), -1);

  // Traffic both ways for more than 2 s: a stream, assured, 120 s.
  const s3 = t.insert(q, POD, 53, KEEP, KEEP, 200 * S);
  t.refresh(s3, DIR_REPLY, 200 * S + 1e6); // first reply = confirmReply
  assert.ok(t.hasSeenReply(s3));
  t.refresh(s3, DIR_ORIGINAL, 201 * S); // < 2 s after the first packet: still 30 s
  assert.ok(t.isAssured(s3));
  assert.equal(t.expiresAt(s3), 231 * S);
  t.refresh(s3, DIR_ORIGINAL, 203 * S);
  assert.equal(t.expiresAt(s3), 323 * S);
  assert.equal(t.lookup(q, 322 * S), s3);
  assert.equal(t.lookup(q, 323 * S), -1);
});

test('TCP: SYN_SENT 2 min, established lasts 24 h (kube-proxy), TIME_WAIT 2 min after close', () => {
  const t = new ConntrackTable({ max: 100 });
  const syn = pkt(PROTO_TCP, CLIENT, 40000, VIP, 443);
  const s1 = t.insert(syn, POD, 8443, KEEP, KEEP, 0);
  assert.equal(t.lookup(syn, 120 * S - 1), s1);
  assert.equal(t.lookup(syn, 120 * S), -1, 'unanswered SYN expires after 2 min');

  const s2 = t.insert(syn, POD, 8443, KEEP, KEEP, 1000 * S);
  t.confirmReply(s2, 1000 * S);
  assert.equal(t.stateOf(s2), CT_ESTABLISHED);
  assert.ok(t.isAssured(s2));
  const day = 24 * 3600 * S;
  assert.equal(t.lookup(syn, 1000 * S + day - 1), s2, 'idle established TCP lasts 24 h');
  t.refresh(s2, DIR_ORIGINAL, 1000 * S + day - 1);
  assert.equal(t.lookup(syn, 1000 * S + 2 * day - 2), s2);
  t.close(s2, 1000 * S + 2 * day - 2);
  assert.equal(t.stateOf(s2), CT_CLOSING);
  assert.equal(t.lookup(syn, 1000 * S + 2 * day - 2 + 120 * S - 1), s2);
  assert.equal(t.lookup(syn, 1000 * S + 2 * day - 2 + 120 * S), -1);

  // The kernel's own 5-day default when asked for it.
  const k = new ConntrackTable({ max: 10, timeouts: { tcpEstablished: KERNEL_TIMEOUTS.tcpEstablished } });
  const s3 = k.insert(syn, KEEP, KEEP, KEEP, KEEP, 0);
  k.confirmReply(s3, 0);
  assert.equal(k.lookup(syn, 2 * day), s3);
  assert.equal(k.lookup(syn, 5 * day), -1);
});

test('SCTP: COOKIE_WAIT 3 s, ESTABLISHED 210 s, CLOSED 10 s', () => {
  const t = new ConntrackTable({ max: 10 });
  const init = pkt(PROTO_SCTP, CLIENT, 5000, VIP, 3868);
  const s = t.insert(init, KEEP, KEEP, KEEP, KEEP, 0);
  assert.equal(t.expiresAt(s), 3 * S);
  t.confirmReply(s, S);
  assert.ok(t.isAssured(s));
  assert.equal(t.expiresAt(s), 211 * S);
  t.close(s, 2 * S);
  assert.equal(t.expiresAt(s), 12 * S);
  assert.equal(t.lookup(init, 12 * S), -1);
});

test('table full: early drop of non-assured entries first, then the new connection is dropped', () => {
  // One bucket, so every entry is in the bucket early drop looks at.
  const t = new ConntrackTable({ max: 4, buckets: 1 });
  const mk = (i: number) => pkt(PROTO_TCP, CLIENT, 40000 + i, VIP, 80);
  const slots = [0, 1, 2, 3].map((i) => t.insert(mk(i), KEEP, KEEP, KEEP, KEEP, 0));
  t.confirmReply(slots[0], 0);
  t.confirmReply(slots[1], 0); // 0 and 1 assured, 2 and 3 not
  assert.equal(t.size, 4);

  const s5 = t.insert(mk(4), KEEP, KEEP, KEEP, KEEP, S);
  assert.ok(s5 >= 0, 'room made by early drop');
  assert.equal(t.stats.earlyDrops, 2, 'every non-assured entry of the bucket goes (early_drop_list)');
  assert.equal(t.size, 3);
  assert.equal(t.lookup(mk(2), S), -1);
  assert.equal(t.lookup(mk(0), S), slots[0]);

  t.confirmReply(s5, S);
  const s6 = t.insert(mk(5), KEEP, KEEP, KEEP, KEEP, S);
  t.confirmReply(s6, S);
  assert.equal(t.size, 4);
  // All assured: nothing to evict, the new connection is dropped and counted.
  assert.equal(t.insert(mk(6), KEEP, KEEP, KEEP, KEEP, S), INSERT_DROPPED);
  assert.equal(t.stats.drops, 1);
  assert.equal(t.size, 4);

  // Once entries have expired, a full table makes room by reaping them (no early drop).
  const later = S + 25 * 3600 * S;
  assert.ok(t.insert(mk(7), KEEP, KEEP, KEEP, KEEP, later) >= 0);
  assert.equal(t.stats.earlyDrops, 2);
  assert.equal(t.stats.drops, 1);
  assert.equal(t.stats.expired, 4);
  assert.equal(t.size, 1);
});

test("early drop only looks at 8 buckets from the new tuple's bucket", () => {
  const B = 4096;
  const bucketOf = (p: Packet) => hashTuple(0, p.proto, p.src, p.dst, packPorts(p.sport, p.dport)) % B;
  const inWindow = (start: number, b: number) => (b - start + B) % B < EVICTION_RANGE;
  const t = new ConntrackTable({ max: 2, buckets: B });
  const a = pkt(PROTO_TCP, CLIENT, 1, VIP, 80);
  const b = pkt(PROTO_TCP, CLIENT, 2, VIP, 80);
  t.insert(a, KEEP, KEEP, KEEP, KEEP, 0);
  t.insert(b, KEEP, KEEP, KEEP, KEEP, 0);
  // Buckets holding a node of a or b (no NAT: the reply tuple is the plain inverse).
  const occupied = [a, b].flatMap((p) => [bucketOf(p), bucketOf(pkt(p.proto, p.dst, p.dport, p.src, p.sport))]);
  let far: Packet | null = null;
  let near: Packet | null = null;
  for (let port = 3; port < 60000 && (far === null || near === null); port++) {
    const c = pkt(PROTO_TCP, CLIENT, port, VIP, 80);
    const start = bucketOf(c);
    if (occupied.some((o) => inWindow(start, o))) near ??= c;
    else far ??= c;
  }
  assert.ok(far && near);
  assert.equal(t.insert(far, KEEP, KEEP, KEEP, KEEP, 0), INSERT_DROPPED, 'no non-assured entry within 8 buckets');
  assert.equal(t.stats.drops, 1);
  assert.equal(t.stats.earlyDrops, 0);
  assert.ok(t.insert(near, KEEP, KEEP, KEEP, KEEP, 0) >= 0, 'a non-assured entry within 8 buckets is evicted');
  assert.ok(t.stats.earlyDrops >= 1);
});

test('delete, sweep with a budget, and errors on dead slots', () => {
  const t = new ConntrackTable({ max: 100, initialCapacity: 2 });
  const slots: number[] = [];
  for (let i = 0; i < 50; i++) slots.push(t.insert(pkt(PROTO_UDP, CLIENT, 1000 + i, VIP, 53), KEEP, KEEP, KEEP, KEEP, i * 1e6));
  assert.ok(t.capacity >= 50, 'arrays grew');
  assert.equal(t.size, 50);
  t.delete(slots[49]);
  assert.equal(t.stats.deletes, 1);
  assert.throws(() => t.delete(slots[49]), /not a live entry/);
  assert.throws(() => t.confirmReply(-1, 0), /not a live entry/);
  // 30.0105 s: the entries inserted at 0..10 ms have expired (30 s timeout): 11 of them.
  const at = 30 * S + 10.5e6;
  assert.equal(t.sweep(at, 5), 5, 'the first 5 slots scanned');
  assert.equal(t.sweep(at, 1000), 6);
  assert.equal(t.size, 38);
  assert.equal(t.sweep(at), 0);
  assert.equal(t.snapshot(at).length, 38);
  // Slots are reused from the free list.
  const again = t.insert(pkt(PROTO_UDP, CLIENT, 9999, VIP, 53), KEEP, KEEP, KEEP, KEEP, at);
  assert.ok(slots.includes(again));
});

test('storage is typed arrays only: lookups allocate nothing', () => {
  const t = new ConntrackTable({ max: 64 });
  t.insert(pkt(PROTO_TCP, CLIENT, 1, VIP, 80), KEEP, KEEP, KEEP, KEEP, 0);
  let arrays = 0;
  for (const [name, v] of Object.entries(t)) {
    if (v === t.stats || v === t.timeouts || typeof v !== 'object' || v === null) continue;
    assert.ok(ArrayBuffer.isView(v), `${name} is a typed array`);
    arrays++;
  }
  assert.ok(arrays >= 8);
  // Tuple words are Uint32 and expiry times Float64 (ns up to 2^53), views of one buffer
  // so that a chain node is one 32-byte record.
  const fields = t as unknown as Record<string, ArrayBufferView>;
  assert.ok(fields.nU32 instanceof Uint32Array);
  assert.ok(fields.nF64 instanceof Float64Array);
  assert.equal(fields.nU32.buffer, fields.nF64.buffer);
  assert.ok(fields.head instanceof Int32Array);
  // Stats are updated in place (same object).
  const stats = t.stats;
  t.lookup(pkt(PROTO_TCP, CLIENT, 1, VIP, 80), 1);
  assert.equal(t.stats, stats);
});

test('random operations agree with a Map reference (small buckets, long chains)', () => {
  type Ref = { id: number; slot: number; orig: string; reply: string; start: number; seen: boolean; expires: number };
  const key = (proto: number, a: number, ap: number, b: number, bp: number) => `${proto}|${a}:${ap}>${b}:${bp}`;
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const t = new ConntrackTable({ max: 100000, buckets: 7, initialCapacity: 4 });
  const live = new Map<number, Ref>(); // by slot
  const index = new Map<string, { slot: number; dir: number }>();
  let now = 0;
  const purge = () => {
    for (const [slot, r] of live) {
      if (r.expires <= now) {
        live.delete(slot);
        index.delete(r.orig);
        index.delete(r.reply);
      }
    }
  };
  const ips = [CLIENT, VIP, POD, NODE];
  const randomTuple = () => ({ proto: PROTO_UDP, a: ips[rnd(4)], ap: 1 + rnd(6), b: ips[rnd(4)], bp: 1 + rnd(6) });
  let checks = 0;
  for (let step = 0; step < 20000; step++) {
    const op = rnd(100);
    if (op < 5) now += rnd(20) * S;
    else if (op < 6) t.sweep(now, rnd(50));
    purge();
    if (op >= 6 && op < 40) {
      const x = randomTuple();
      const dnat = rnd(2) === 0 ? KEEP : ips[rnd(4)];
      const dnatPort = dnat === KEEP ? KEEP : 1 + rnd(6);
      const snat = rnd(2) === 0 ? KEEP : ips[rnd(4)];
      const snatPort = snat === KEEP ? KEEP : 1 + rnd(6);
      const p = pkt(x.proto as Packet['proto'], x.a, x.ap, x.b, x.bp);
      const orig = key(x.proto, x.a, x.ap, x.b, x.bp);
      const rSrc = dnat === KEEP ? x.b : dnat;
      const rSp = dnatPort === KEEP ? x.bp : dnatPort;
      const rDst = snat === KEEP ? x.a : snat;
      const rDp = snatPort === KEEP ? x.ap : snatPort;
      const reply = key(x.proto, rSrc, rSp, rDst, rDp);
      const slot = t.insert(p, dnat, dnatPort, snat, snatPort, now);
      if (index.has(orig) || index.has(reply)) {
        assert.equal(slot, INSERT_CLASH, `step ${step}: clash expected`);
      } else {
        assert.ok(slot >= 0, `step ${step}: insert expected`);
        assert.ok(!live.has(slot));
        live.set(slot, { id: step, slot, orig, reply, start: now, seen: false, expires: now + 30 * S });
        index.set(orig, { slot, dir: DIR_ORIGINAL });
        if (reply !== orig) index.set(reply, { slot, dir: DIR_REPLY });
      }
    } else if (op >= 40 && op < 80) {
      const x = randomTuple();
      const got = t.lookup(pkt(x.proto as Packet['proto'], x.a, x.ap, x.b, x.bp), now);
      const want = index.get(key(x.proto, x.a, x.ap, x.b, x.bp));
      assert.equal(got, want ? want.slot : -1, `step ${step}: lookup`);
      if (want && live.get(want.slot)!.orig !== live.get(want.slot)!.reply) assert.equal(t.lastDirection, want.dir);
      checks++;
    } else if (op >= 80 && op < 90 && live.size > 0) {
      const refs = [...live.values()];
      const r = refs[rnd(refs.length)];
      const dir = rnd(2) as 0 | 1;
      t.refresh(r.slot, dir, now);
      if (!r.seen && dir === DIR_REPLY) {
        r.seen = true;
        r.expires = now + 30 * S;
      } else if (r.seen) {
        r.expires = now + (now > r.start + 2 * S ? 120 * S : 30 * S);
      } else {
        r.expires = now + 30 * S;
      }
    } else if (op >= 90 && op < 95 && live.size > 0) {
      const refs = [...live.values()];
      const r = refs[rnd(refs.length)];
      t.delete(r.slot);
      live.delete(r.slot);
      index.delete(r.orig);
      index.delete(r.reply);
    }
    if (step % 1000 === 0) {
      const snap = t.snapshot(now);
      assert.equal(snap.length, live.size, `step ${step}: live entries`);
      for (const e of snap) {
        const r = live.get(e.slot);
        assert.ok(r, `step ${step}: slot ${e.slot} in reference`);
        assert.equal(e.expiresAtNs, r.expires);
        assert.equal(key(e.proto, e.original.src, e.original.sport, e.original.dst, e.original.dport), r.orig);
        assert.equal(key(e.proto, e.reply.src, e.reply.sport, e.reply.dst, e.reply.dport), r.reply);
      }
    }
  }
  assert.ok(checks > 5000);
  assert.ok(t.stats.insertFailed > 100, 'the small tuple space produced clashes');
  assert.ok(t.stats.expired > 100, 'and expiries');
});
