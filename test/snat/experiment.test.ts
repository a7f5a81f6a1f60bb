import { test } from 'node:test';
import assert from 'node:assert/strict';
import { masqueradeCollisionExperiment, type MasqueradeExperimentOptions } from '../../src/snat/experiment.ts';

const base: MasqueradeExperimentOptions = { connectionsPerSecond: 20, durationS: 300, clients: 50, randomFully: false, seed: 7 };

test('collisions rise with the connection rate, with and without --random-fully', () => {
  for (const randomFully of [false, true]) {
    const cpc = [20, 80, 320].map(
      (rate) => masqueradeCollisionExperiment({ ...base, connectionsPerSecond: rate, randomFully }).collisionsPerConnection,
    );
    assert.ok(cpc[0] < cpc[1] && cpc[1] < cpc[2], `randomFully=${randomFully}: ${cpc.join(' < ')}`);
  }
});

test('--random-fully lowers collisions at every rate (current kernel)', () => {
  for (const rate of [20, 80, 320]) {
    const d = masqueradeCollisionExperiment({ ...base, connectionsPerSecond: rate, randomFully: false });
    const f = masqueradeCollisionExperiment({ ...base, connectionsPerSecond: rate, randomFully: true });
    assert.equal(d.connections, f.connections, 'same arrivals in both runs');
    assert.ok(
      f.collisionsPerConnection < d.collisionsPerConnection,
      `rate ${rate}: ${f.collisionsPerConnection} < ${d.collisionsPerConnection}`,
    );
    assert.equal(f.keptOriginalPort, 0);
    assert.ok(d.keptOriginalPort > d.connections / 4);
    // The table holds about rate × 120 s of TIME_WAIT entries.
    assert.ok(d.peakEntries > rate * 100 && d.peakEntries < rate * 140, `peak ${d.peakEntries}`);
  }
});

test('with a per-destination hash start, collisions pile up (primary clustering); --random-fully avoids it', () => {
  const h = masqueradeCollisionExperiment({ ...base, connectionsPerSecond: 80, offset: 'hash', proto: 'udp' });
  const d = masqueradeCollisionExperiment({ ...base, connectionsPerSecond: 80, proto: 'udp' });
  const f = masqueradeCollisionExperiment({ ...base, connectionsPerSecond: 80, proto: 'udp', randomFully: true });
  assert.ok(h.collisionsPerConnection > d.collisionsPerConnection);
  assert.ok(d.collisionsPerConnection > f.collisionsPerConnection);
  assert.ok(h.maxCandidates > d.maxCandidates);
});

test('racing CPUs: the legacy rover makes concurrent connections pick the same port, --random-fully does not', () => {
  const opts = { ...base, connectionsPerSecond: 320, kernel: 'legacy' as const, raceWindowUs: 100 };
  const d = masqueradeCollisionExperiment({ ...opts, randomFully: false });
  const f = masqueradeCollisionExperiment({ ...opts, randomFully: true });
  assert.ok(d.insertFailed > 10 * Math.max(1, f.insertFailed), `insert_failed ${d.insertFailed} vs ${f.insertFailed}`);
  assert.equal(d.established + d.insertFailed + d.exhausted + d.tableDrops, d.connections);
});

test('the experiment is deterministic for a seed', () => {
  const a = masqueradeCollisionExperiment({ ...base, connectionsPerSecond: 80, raceWindowUs: 50 });
  const b = masqueradeCollisionExperiment({ ...base, connectionsPerSecond: 80, raceWindowUs: 50 });
  assert.deepEqual(a, b);
  const c = masqueradeCollisionExperiment({ ...base, connectionsPerSecond: 80, raceWindowUs: 50, seed: 8 });
  assert.notDeepEqual(a, c);
  assert.throws(() => masqueradeCollisionExperiment({ ...base, connectionsPerSecond: 0 }), /connectionsPerSecond/);
  assert.throws(() => masqueradeCollisionExperiment({ ...base, clients: 0 }), /clients/);
});
