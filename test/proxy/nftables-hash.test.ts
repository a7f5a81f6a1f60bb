// The element stores of the nftables table model against a plain Map: random adds, updates and
// deletions (backward-shift deletion keeps every probe run intact), and affinity timeouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.ts';
import { AddressSet, PairHashMap } from '../../src/proxy/nftables/hash.ts';

test('PairHashMap agrees with a Map through 200,000 random operations', () => {
  const m = new PairHashMap();
  const ref = new Map<string, number>();
  const rng = new Rng(3);
  for (let step = 0; step < 200_000; step++) {
    // Few distinct keys, addresses above 2^31 included: long probe runs, many deletions.
    const a = (rng.int(0, 300) * 0x01010101) >>> 0;
    const b = rng.int(0, 5);
    const key = `${a | 0},${b}`;
    if (rng.next() < 0.6) {
      const v = rng.int(0, 1000);
      m.set(a, b, v);
      ref.set(key, v);
    } else assert.equal(m.delete(a, b), ref.delete(key));
    if (step % 5000 === 0) {
      assert.equal(m.size, ref.size);
      for (const [k, v] of ref) {
        const [ka, kb] = k.split(',').map(Number);
        assert.equal(m.get(ka, kb), v, k);
      }
    }
  }
  let n = 0;
  m.forEach((a, b, v) => {
    assert.equal(ref.get(`${a},${b}`), v);
    n++;
  });
  assert.equal(n, ref.size);
});

test('AddressSet with a timeout: an element lives timeout seconds after its last update', () => {
  const s = new AddressSet(60);
  const ip = 0xc0a80002; // above 2^31
  s.add(ip, 0);
  assert.ok(s.has(ip, 59_999));
  assert.ok(!s.has(ip, 60_000));
  s.add(ip, 50_000); // update refreshes the timeout
  assert.ok(s.has(ip, 109_999));
  const plain = new AddressSet();
  plain.add(ip, 0);
  assert.ok(plain.has(ip, 1e9));
  assert.ok(!plain.has(ip + 1, 0));
});
