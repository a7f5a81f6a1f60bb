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
  for (const bad of ['0/4', '5/4', '1', 'a/b', '1/0', 'auto/0', 'auto', 'AUTO/4', 'auto/-1', ' auto/4'])
    assert.throws(() => parseShard(bad, {}), /--shard must be i\/N/, bad);
  // i/N does not look at the environment, even in a pod of an Indexed Job.
  assert.deepEqual(parseShard('2/4', { JOB_COMPLETION_INDEX: '0' }), { index: 2, count: 4 });
});

test('--shard auto/N: the 0-based JOB_COMPLETION_INDEX of an Indexed Job k runs shard k+1 of N', () => {
  assert.deepEqual(parseShard('auto/4', { JOB_COMPLETION_INDEX: '0' }), { index: 1, count: 4 });
  assert.deepEqual(parseShard('auto/4', { JOB_COMPLETION_INDEX: '3' }), { index: 4, count: 4 });
  assert.deepEqual(parseShard('auto/1', { JOB_COMPLETION_INDEX: '0' }), { index: 1, count: 1 });
  // Indexes 0..N-1 give every shard exactly once, as i/N would.
  const all = planPoints(['ipvs', 'iptables'], [10, 100, 1000], 2);
  const byIndex = [0, 1, 2].map((k) => shardPoints(all, parseShard('auto/3', { JOB_COMPLETION_INDEX: String(k) })));
  assert.deepEqual(
    byIndex,
    [1, 2, 3].map((i) => shardPoints(all, parseShard(`${i}/3`))),
  );
  // Read from the process's environment by default.
  const saved = process.env.JOB_COMPLETION_INDEX;
  try {
    process.env.JOB_COMPLETION_INDEX = '1';
    assert.deepEqual(parseShard('auto/2'), { index: 2, count: 2 });
  } finally {
    if (saved === undefined) delete process.env.JOB_COMPLETION_INDEX;
    else process.env.JOB_COMPLETION_INDEX = saved;
  }
});

test('--shard auto/N refuses a JOB_COMPLETION_INDEX that is unset, not an integer, negative or not below N', () => {
  const fails = (env: Record<string, string>, message: RegExp) => {
    assert.throws(
      () => parseShard('auto/4', env),
      (e: Error) => {
        // Every message names the flag and its value, then what is wrong with the variable.
        assert.ok(e.message.startsWith('--shard: JOB_COMPLETION_INDEX is '), e.message);
        assert.ok(e.message.includes('(got "auto/4")'), e.message);
        assert.match(e.message, message);
        return true;
      },
    );
  };
  fails({}, /is not set .*Kubernetes Indexed Job.*elsewhere give i\/N, e\.g\. 1\/4$/);
  fails({ OTHER: '1' }, /is not set/);
  for (const bad of ['', 'one', '1.5', '1e0', '0x1', ' 1', '1 ', '+1', '-1.5'])
    fails({ JOB_COMPLETION_INDEX: bad }, new RegExp(`is ${JSON.stringify(bad).replace(/[.+]/g, '\\$&')}, not an integer .*0 to 3$`));
  fails({ JOB_COMPLETION_INDEX: '-1' }, /is "-1", a negative index .*0 to 3$/);
  fails({ JOB_COMPLETION_INDEX: '4' }, /is "4", not below N = 4 .*completions must be 4: indexes 0 to 3 run shards 1\/4 to 4\/4$/);
  fails({ JOB_COMPLETION_INDEX: '99999999999999999999' }, /not below N = 4/);
  // A control character in the variable is shown escaped, never raw.
  fails({ JOB_COMPLETION_INDEX: '1\n2' }, /is "1\\n2", not an integer/);
});
