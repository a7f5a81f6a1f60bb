// The simulated clock against published nftables sync figures (data/published-figures.json):
// a kube-proxy-shaped table loaded with nft -f (kernel-netns-2026-12: 1k, 10k, 30k services,
// strongly super-linear) and one service added to 10,000 with partial sync
// (k8s126013-nftables-partial-sync: ~141 ms). The prices come from the mode's own cost list;
// the work from the table model (tx.ts), not from a curve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { nftablesMode } from '../../src/proxy/nftables/index.ts';
import { type NftablesDataPlane, syncWorkRecord } from '../../src/proxy/nftables/data-plane.ts';
import { M_L4PROTO, Match, Rule, S_DNAT, S_NUMGEN, S_VMAP } from '../../src/proxy/nftables/rule.ts';
import { NftTable, V_GOTO, verdictCode } from '../../src/proxy/nftables/table.ts';
import { protoPort, Transaction } from '../../src/proxy/nftables/tx.ts';
import { makeService, makeSlice } from './kube-proxy-test-env.ts';
import { nftCluster, nftConfig } from './nftables-test-env.ts';

interface Figure {
  id: string;
  points: { services: number; what: string; value: number }[];
}
const figures: Figure[] = JSON.parse(readFileSync(new URL('../../data/published-figures.json', import.meta.url), 'utf8')).figures;
const figure = (id: string) => figures.find((f) => f.id === id)!;
const price = (w: Readonly<Record<string, number>>) => nftablesMode.pricing.syncNs({}, w, { iptablesProfile: 'modern' });

/** "5 lines per service": service and endpoint chains, the numgen vmap, the DNAT, the service-ips element. */
function kubeProxyShapedLoad(services: number): number {
  const tx = new Transaction(new NftTable('kube-proxy'));
  tx.addTable('rules for kube-proxy');
  const serviceIPs = tx.addMap('service-ips', 'ClusterIP, ExternalIP and LoadBalancer IP traffic', true);
  tx.addRule(tx.addChain('services'), new Rule([], S_VMAP, null, serviceIPs));
  for (let i = 0; i < services; i++) {
    const svc = tx.addChain(`service-${i}`);
    const ep = tx.addChain(`endpoint-${i}`);
    tx.addRule(ep, new Rule([new Match(M_L4PROTO, false, 6)], S_DNAT, null, null, null, 0x0a000000 + i, 80));
    tx.addRule(svc, new Rule([], S_NUMGEN, null, null, [ep]));
    tx.addMapElement(serviceIPs, 0xac100000 + i, protoPort(6, 80), verdictCode(V_GOTO, svc));
  }
  const w = tx.work;
  return price({
    nft_operations: w.operations,
    nft_invocations: 1,
    anonymous_sets_created: w.anonymousSetsCreated,
    sets_created: w.setsCreated,
    commit_entries: w.commitEntries,
    set_list_walks: w.setListWalks,
    set_lookup_compares: w.setLookupCompares,
  });
}

test('nft -f of a kube-proxy-shaped table: the published super-linear load times, within a factor of 1.5', (t) => {
  const points = figure('kernel-netns-2026-12').points.filter((p) => p.what.startsWith('nft -f load'));
  assert.deepEqual(
    points.map((p) => p.services),
    [1000, 10000, 30000],
  );
  const modelled = points.map((p) => kubeProxyShapedLoad(p.services) / 1e9);
  for (const [i, p] of points.entries()) {
    t.diagnostic(`${p.services} services: published ${p.value} s, simulated ${modelled[i].toFixed(2)} s`);
    assert.ok(modelled[i] / p.value < 1.5 && p.value / modelled[i] < 1.5, `${p.services}: ${modelled[i]} s vs ${p.value} s`);
  }
  // The shape: more than quadratic from 10k to 30k, as published (26x for 3x the services).
  assert.ok(modelled[2] / modelled[1] > 9, `30k/10k = ${modelled[2] / modelled[1]}`);
});

test('one service added to 10,000 (2 endpoints each) with partial sync: ~141 ms published, within a factor of 1.5', (t) => {
  const objects = (n: number) => {
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const ip = `172.30.${i >> 8}.${i & 255}`;
      out.push(
        makeService(`ns${i}`, `svc${i}`, { clusterIP: ip, ports: [{ name: 'p', port: 80, protocol: 'TCP' }] }),
        makeSlice(
          `ns${i}`,
          `svc${i}`,
          [{ ip: `10.1.${i >> 8}.${i & 255}` }, { ip: `10.2.${i >> 8}.${i & 255}` }],
          [{ name: 'p', port: 80 }],
        ),
      );
    }
    return out;
  };
  const plane = nftablesMode.build(nftCluster(objects(10000)), nftConfig()) as NftablesDataPlane;
  const full = price(syncWorkRecord(plane.lastWork));
  const added = price(plane.sync(nftCluster(objects(10001))));
  const published = figure('k8s126013-nftables-partial-sync').points.find((p) => p.what === 'add one service, after the fix')!.value;
  t.diagnostic(
    `add one service: published ${published} s, simulated ${(added / 1e9).toFixed(3)} s; full sync simulated ${(full / 1e9).toFixed(1)} s`,
  );
  assert.ok(added / 1e9 / published < 1.5 && published / (added / 1e9) < 1.5);
  assert.ok(full > 20 * added);
});
