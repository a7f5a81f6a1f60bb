// The queueing model: hand-computed Erlang C values and the published calibration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  COREDNS_EXTERNAL_LOOKUPS_PER_S,
  COREDNS_QPS_PER_REPLICA,
  DnsServerModel,
  erlangC,
  queueingDelayNs,
} from '../../src/dns/capacity.ts';

const close = (a: number, b: number, rel = 1e-9) => assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${a} vs ${b}`);

test('Erlang C: M/M/1 waits with probability rho; M/M/2 at 1 Erlang waits with probability 1/3', () => {
  close(erlangC(1, 0.7), 0.7);
  close(erlangC(2, 1), 1 / 3); // B(2) = 0.5/2.5 = 0.2; C = 2·0.2 / (2 − 0.8)
  assert.equal(erlangC(4, 0), 0);
  assert.equal(erlangC(2, 2), 1);
});

test('M/M/1 response time is 1/(mu - lambda)', () => {
  const m = new DnsServerModel({ replicas: 1, coresPerReplica: 1, qpsPerReplica: 1000 });
  close(m.meanServiceNs, 1e6);
  close(m.serviceTimeNs(900), 1e9 / (1000 - 900));
});

test('default model: 2 replicas × 33,669 QPS, ≈ service time below capacity, rising with load, unbounded at capacity', () => {
  const m = new DnsServerModel();
  assert.equal(m.capacityQps, 2 * COREDNS_QPS_PER_REPLICA);
  close(m.meanServiceNs, (2 / 33669) * 1e9); // ≈ 59,402 ns
  close(m.serviceTimeNs(10), m.meanServiceNs, 1e-3); // light load: just the service time
  // Half load: each replica is M/M/2 at a = 1 Erlang: Wq = (1/3)/(2μ − μ) = S/3, so W = 4/3 · S.
  close(m.serviceTimeNs(m.capacityQps / 2), (4 / 3) * m.meanServiceNs);
  let prev = 0;
  for (const u of [0.1, 0.3, 0.5, 0.7, 0.9, 0.99]) {
    const w = m.serviceTimeNs(u * m.capacityQps);
    assert.ok(w > prev, `latency rises at utilization ${u}`);
    prev = w;
  }
  assert.ok(m.serviceTimeNs(0.99 * m.capacityQps) > 40 * m.meanServiceNs);
  assert.equal(m.serviceTimeNs(m.capacityQps), Infinity);
  assert.equal(m.utilization(m.capacityQps / 4), 0.25);
  // More replicas, less wait at the same offered load.
  assert.ok(new DnsServerModel({ replicas: 4 }).serviceTimeNs(60000) < m.serviceTimeNs(60000));
});

test("calibration: 6,733 external lookups/s × 5 queries each ≈ one replica's 33,669 queries/s", () => {
  const offered = DnsServerModel.offeredQps(COREDNS_EXTERNAL_LOOKUPS_PER_S, 3 + 1 + 1);
  assert.ok(Math.abs(offered / COREDNS_QPS_PER_REPLICA - 1) < 0.001);
  assert.equal(queueingDelayNs({ offeredQps: 0, replicas: 1, serversPerReplica: 2, serviceTimeNs: 1000 }), 0);
});
