import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hopsCsvChunks, simulate, summarizeRun, type SimulateOptions } from '../../src/journey/index.ts';
import { generateCluster } from '../../src/scenario/generate.ts';
import { loadScenario } from '../../src/scenario/load.ts';

const scenario = loadScenario('scenarios/small.yaml');
const cluster = () => generateCluster(scenario, 20);
const base: SimulateOptions = { mode: 'iptables', durationNs: 2e9, rate: 150, external: 0.3, byName: 0.5, seed: 5 };
const csv = (o: SimulateOptions) => [...hopsCsvChunks(simulate(cluster(), o).journeys)].join('');
const meta = (o: SimulateOptions) => ({
  scenario: 'small',
  services: 20,
  seed: o.seed ?? 1,
  durationNs: o.durationNs,
  rate: o.rate,
  external: o.external,
  byName: o.byName,
});

test('simulate() is deterministic for a seed, whatever the options', () => {
  for (const extra of [
    {},
    { nodeLocalDns: true, autopath: true },
    { mode: 'userspace' as const, randomFully: true, network: 'routed' as const },
  ]) {
    const o = { ...base, ...extra };
    assert.equal(csv(o), csv(o));
  }
  assert.notEqual(csv(base), csv({ ...base, seed: 6 }));
});

test('the summary adds up: outcomes, clients, source IPs, DNS amplification', () => {
  const run = simulate(cluster(), base);
  const s = summarizeRun(run, meta(base));
  const c = s.connections;
  assert.equal(c.total, run.journeys.length);
  assert.ok(c.total > 200 && c.total < 400, `${c.total} arrivals for 2 s at 150/s`);
  assert.equal(
    Object.values(c.outcomes).reduce((a, b) => a + b, 0),
    c.total,
  );
  assert.equal(c.pod + c.external, c.total);
  const reached = run.journeys.filter((j) => j.podSaw !== null).length;
  assert.equal(s.sourceIP.pod.preserved + s.sourceIP.pod.lost + s.sourceIP.external.preserved + s.sourceIP.external.lost, reached);
  // externalTrafficPolicy Cluster masquerades: every external connection that is not Local lost its source.
  assert.ok(s.sourceIP.external.lost > 0);
  assert.ok(s.sourceIP.pod.preserved > s.sourceIP.pod.lost, "pod to ClusterIP keeps the pod's address");
  assert.equal(s.dns.lookups, c.byName);
  assert.equal(s.dns.amplification, Number((s.dns.queries / s.dns.lookups).toFixed(3)));
  assert.equal(
    s.hops,
    run.journeys.reduce((n, j) => n + j.hops.length, 0),
  );
  for (const j of run.journeys) {
    const sum = (phase: string) => j.hops.filter((h) => h.phase === phase).reduce((n, h) => n + h.ns, 0);
    assert.equal(j.totalNs, j.dnsNs + j.requestNs + j.replyNs);
    assert.equal(j.requestNs, sum('request'), `journey ${j.id}: the request's hops follow each other`);
    assert.equal(j.replyNs, sum('reply'));
    // A and AAAA travel together: DNS time is at most the sum of its hops.
    assert.ok(j.dnsNs <= sum('dns') && (j.dns === null) === (j.dnsNs === 0));
    const rest = j.hops.filter((h) => h.phase !== 'dns');
    for (let i = 1; i < rest.length; i++) assert.equal(rest[i].startNs, rest[i - 1].startNs + rest[i - 1].ns);
  }
  assert.ok(s.latencyUs.hopKinds.rules!.n > 0 && s.latencyUs.endToEnd.p50 > 0);
});
