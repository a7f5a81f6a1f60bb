import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exponential } from '../../src/engine/distributions.ts';
import { Rng } from '../../src/engine/rng.ts';
import { ClusterNetwork, runJourney } from '../../src/journey/index.ts';
import { parseIPv4 } from '../../src/util/ipv4.ts';
import { NODE_A, NP_CLUSTER, journeyCluster } from './fixture.ts';

const CLIENTS = 50;
const CLIENT_BASE = parseIPv4('203.0.113.1');

/**
 * External clients open request/response connections to one NodePort (externalTrafficPolicy
 * Cluster, one endpoint) on node-a: every connection is masqueraded by node-a towards the same
 * endpoint ip:port, so they compete for node-a's source ports. Closed connections hold theirs
 * for 2 min in TIME_WAIT. Same arrivals and client ports for both SNAT modes.
 */
function drive(rate: number, randomFully: boolean, durationS = 60) {
  const net = new ClusterNetwork(journeyCluster(), { mode: 'iptables', network: 'routed', seed: 11, randomFully });
  const arrivals = new Rng(`arrivals/${rate}`);
  let t = 0;
  let id = 0;
  let delivered = 0;
  let lost = 0;
  for (;;) {
    t += Math.max(1, Math.round(exponential(arrivals, rate) * 1e9));
    if (t >= durationS * 1e9) break;
    const client = CLIENT_BASE + arrivals.int(0, CLIENTS);
    const j = runJourney(
      net,
      { client: { kind: 'external', ip: client, node: NODE_A.name }, dst: { ip: NODE_A.ip, port: NP_CLUSTER.nodePort } },
      t,
      id++,
    );
    if (j.outcome === 'delivered') delivered++;
    if (j.sourcePreserved === false) lost++;
  }
  const s = net.node(net.topology.node(NODE_A.name)).snat.stats;
  return { connections: id, delivered, lost, selections: s.selections, perConnection: s.collisions / s.selections, kept: s.keptOriginal };
}

test('MASQUERADE port collisions rise with the connection rate, and --random-fully lowers them', () => {
  const slow = drive(20, false);
  const fast = drive(200, false);
  const fastRandom = drive(200, true);
  for (const r of [slow, fast, fastRandom]) {
    assert.equal(r.delivered, r.connections, 'every connection got a port');
    assert.equal(r.selections, r.connections, 'every connection was masqueraded on node-a');
    assert.equal(r.lost, r.connections, "the pod saw node-a's address every time");
  }
  assert.ok(
    fast.perConnection > slow.perConnection,
    `collisions per connection: ${fast.perConnection} at 200/s vs ${slow.perConnection} at 20/s`,
  );
  assert.ok(
    fastRandom.perConnection < fast.perConnection,
    `at 200/s: ${fastRandom.perConnection} with --random-fully vs ${fast.perConnection} without`,
  );
  assert.equal(fastRandom.kept, 0, '--random-fully never tries the original port');
});
