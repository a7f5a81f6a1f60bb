import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseShard, planPoints, scheduleOrder, shardPoints } from '../../src/sweep/plan.ts';

test('points are planned in a fixed order and shards partition them', () => {
  const all = planPoints(['ipvs', 'iptables', 'userspace'], [100, 1000, 5000], 2);
  assert.equal(all.length, 18);
  assert.deepEqual(all[0], { mode: 'userspace', scale: 100, repetition: 1 });
  const shards = [1, 2, 3, 4].map((i) => shardPoints(all, { index: i, count: 4 }));
  assert.equal(shards.flat().length, all.length);
  assert.equal(new Set(shards.flat().map((p) => `${p.mode}/${p.scale}/${p.repetition}`)).size, all.length);
  assert.equal(scheduleOrder(all)[0].scale, 5000);
});

test('--shard parsing', () => {
  assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
  for (const bad of ['0/4', '5/4', '1', 'a/b', '1/0']) assert.throws(() => parseShard(bad), /--shard must be i\/N/);
});
