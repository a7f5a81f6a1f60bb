import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.ts';
import { ServiceTable, svcHashKey, hash32, dhHashKey, shHashKey } from '../../src/ipvs/index.ts';

test('ip_vs_svc_hashkey on hand-computed keys', () => {
  // TCP 10.96.0.1:443: 6 ^ 0x0a600001 ^ (443 >> 8) ^ 443, low 8 bits: 6 ^ 0x01 ^ 0x01 ^ 0xbb = 0xbd.
  assert.equal(svcHashKey(6, 0x0a600001, 443, 8), 0xbd);
  // UDP 10.96.0.10:53: 17 ^ 0x0a ^ 0 ^ 53 = 0x11 ^ 0x0a ^ 0x35 = 0x2e.
  assert.equal(svcHashKey(17, 0x0a60000a, 53, 8), 0x2e);
  // The salt is xored in.
  assert.equal(svcHashKey(6, 0x0a600001, 443, 8, 0xff), 0xbd ^ 0xff);
});

test('sh/dh hash keys on hand-computed values', () => {
  assert.equal(hash32(1, 8), 0x61); // 0x61c88647 >> 24
  assert.equal(shHashKey(0, 0), 0);
  assert.equal(shHashKey(1, 0), 0x61);
  assert.equal(dhHashKey(1), 0xb1); // 2654435761 = 0x9e3779b1
  assert.equal(dhHashKey(0x0a000002), Math.imul(0x0a000002, 0x9e3779b1 | 0) & 255);
});

test('table agrees with a Map on random inserts, deletes and lookups', () => {
  const rng = new Rng('ipvs-table');
  const table = new ServiceTable({ bits: 8 });
  const ref = new Map<string, number>();
  const key = (p: number, a: number, port: number) => `${p}/${a}/${port}`;
  const protos = [6, 17, 132];
  const live: [number, number, number][] = [];
  for (let step = 0; step < 20000; step++) {
    const op = rng.next();
    if (op < 0.5 || live.length === 0) {
      // Small address/port space so collisions, duplicates and misses all happen.
      const p = protos[rng.int(0, 3)];
      const a = (0x0a600000 + rng.int(0, 2000)) >>> 0;
      const port = [53, 80, 443, 8080][rng.int(0, 4)];
      const k = key(p, a, port);
      if (ref.has(k)) {
        assert.throws(() => table.insert(p, a, port));
      } else {
        ref.set(k, table.insert(p, a, port));
        live.push([p, a, port]);
      }
    } else if (op < 0.65) {
      const [p, a, port] = live.splice(rng.int(0, live.length), 1)[0];
      table.remove(ref.get(key(p, a, port))!);
      ref.delete(key(p, a, port));
    } else {
      const hit = rng.next() < 0.5 && live.length > 0;
      const [p, a, port] = hit ? live[rng.int(0, live.length)] : [6, (0x0a600000 + rng.int(0, 4000)) >>> 0, 80];
      const slot = table.find(p, a, port);
      assert.equal(slot, ref.get(key(p, a, port)) ?? -1);
      // A lookup never compares more entries than its chain holds.
      const chain = table.chainLength(table.bucketOf(p, a, port));
      assert.ok(table.lastProbes >= 1 && table.lastProbes <= Math.max(1, chain), `probes ${table.lastProbes} chain ${chain}`);
    }
    assert.equal(table.size, ref.size);
  }
});

test('newest entry is found first (head insertion), probes count chain position', () => {
  const t = new ServiceTable({ bits: 1 });
  // With 2 buckets, TCP port 80 at even/odd addresses: pick addresses in the same bucket.
  const a1 = 0x0a000000,
    a2 = 0x0a000002,
    a3 = 0x0a000004;
  assert.equal(t.bucketOf(6, a1, 80), t.bucketOf(6, a2, 80));
  t.insert(6, a1, 80);
  t.insert(6, a2, 80);
  t.insert(6, a3, 80);
  t.find(6, a3, 80);
  assert.equal(t.lastProbes, 1);
  t.find(6, a1, 80);
  assert.equal(t.lastProbes, 3);
  t.find(6, 0x0a000006, 80); // miss walks the whole chain
  assert.equal(t.lastProbes, 3);
});

test('probes stay bounded: average about 1 + n/(2 * buckets) for hits', () => {
  const rng = new Rng(5);
  for (const bits of [8, 16]) {
    const t = new ServiceTable({ bits });
    const keys: number[] = [];
    for (let i = 0; i < 10000; i++) {
      const a = (0x0a600000 + rng.int(0, 1 << 20)) >>> 0;
      if (t.findQuiet(6, a, 80) !== -1) continue;
      t.insert(6, a, 80);
      keys.push(a);
    }
    let total = 0;
    for (const a of keys) {
      t.find(6, a, 80);
      total += t.lastProbes;
    }
    const mean = total / keys.length;
    const expected = 1 + keys.length / (2 * t.buckets);
    assert.ok(Math.abs(mean - expected) < expected * 0.15, `bits ${bits}: mean ${mean} expected ~${expected}`);
    assert.ok(t.maxChainLength() < 4 * (keys.length / t.buckets) + 10);
  }
});
