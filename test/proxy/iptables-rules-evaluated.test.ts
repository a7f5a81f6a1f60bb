// rulesEvaluated is the cost of the service lookup: every rule whose matches were tested in the
// DNAT hook (nat PREROUTING, or OUTPUT for the node's own packets). On a small cluster the count
// for a pod -> ClusterIP packet is worked out here by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.ts';
import { newLookupResult } from '../../src/proxy/types.ts';
import { parseIPv4 } from '../../src/util/ipv4.ts';
import { makePlane, makeService, makeSlice, traceFlow } from './kube-proxy-test-env.ts';

const N = 4;
// Four ClusterIP services, one endpoint each, in this order in KUBE-SERVICES.
const objects = Array.from({ length: N }, (_, i) => [
  makeService('ns', `svc${i + 1}`, { clusterIP: `172.30.0.${41 + i}`, ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] }),
  makeSlice('ns', `svc${i + 1}`, [{ ip: `10.180.0.${1 + i}` }], [{ name: 'p80', port: 80 }]),
]).flat();

/**
 * A pod -> ClusterIP packet of the service at position k (1-based) in nat KUBE-SERVICES:
 *   nat PREROUTING       1  (its jump to KUBE-SERVICES)
 *   nat KUBE-SERVICES    k  (the k-1 services before it, then its own rule)
 *   nat KUBE-SVC-...     2  (the `! -s 10.0.0.0/8` masquerade check, the jump to the only endpoint)
 *   nat KUBE-SEP-...     2  (the hairpin `-s <endpoint>` check, the DNAT)
 * = k + 5: the rules before it plus its own chains. (The filter and nat POSTROUTING hooks are
 * walked too, for the verdict and the masquerade decision; the trace lists their counts.)
 */
const byHand = (k: number) => 1 + k + 2 + 2;

test('rulesEvaluated: a ClusterIP service at position k costs the rules before it plus its own chain', () => {
  const plane = makePlane(objects);
  const rng = new Rng(1);
  const out = newLookupResult();
  for (let k = 1; k <= N; k++) {
    const dst = `172.30.0.${40 + k}`;
    const traced = traceFlow(plane, '10.0.0.2', dst, 80);
    assert.equal(traced.endpoints[0], `10.180.0.${k}:80`);
    assert.equal(traced.rulesEvaluated, byHand(k), `trace, service ${k}`);
    plane.lookup({ src: parseIPv4('10.0.0.2'), dst: parseIPv4(dst), proto: 6, sport: 1, dport: 80 }, 'forwarded', rng, out);
    assert.equal(out.rulesEvaluated, byHand(k), `lookup, service ${k}`);
  }
});

test('rulesEvaluated: a miss walks all of KUBE-SERVICES, including the NodePort tail rule', () => {
  const plane = makePlane(objects);
  // PREROUTING 1 + KUBE-SERVICES: the 4 services and the KUBE-NODEPORTS tail rule.
  const miss = traceFlow(plane, '10.0.0.2', '172.30.0.99', 80);
  assert.equal(miss.rulesEvaluated, 1 + (N + 1));
  assert.equal(miss.verdict, 'NONE');
});

test('rulesEvaluated: explore mode walks every endpoint branch, lookup stops at the chosen one', () => {
  const plane = makePlane([
    makeService('ns', 'multi', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] }),
    makeSlice(
      'ns',
      'multi',
      ['10.180.0.1', '10.180.0.2', '10.180.0.3'].map((ip) => ({ ip })),
      [{ name: 'p80', port: 80 }],
    ),
  ]);
  // SVC chain: masquerade check + 3 endpoint rules, each followed into its 2-rule SEP chain.
  const explored = 1 + 1 + (1 + 3 + 3 * 2);
  assert.equal(traceFlow(plane, '10.0.0.2', '172.30.0.41', 80).rulesEvaluated, explored);
  const out = newLookupResult();
  const seen = new Set<number>();
  const rng = new Rng(3);
  for (let i = 0; i < 50; i++) {
    plane.lookup({ src: parseIPv4('10.0.0.2'), dst: parseIPv4('172.30.0.41'), proto: 6, sport: i, dport: 80 }, 'forwarded', rng, out);
    // Endpoint j (1-based) is reached after testing j statistic/jump rules, then its 2 SEP rules.
    const j = out.endpointIP & 0xff;
    assert.equal(out.rulesEvaluated, 1 + 1 + (1 + j + 2));
    seen.add(j);
  }
  assert.deepEqual([...seen].sort(), [1, 2, 3]);
});
