// Rules evaluated per packet in IPVS mode do not grow with the number of services: the
// iptables part is a fixed ruleset matching ipsets, and the IPVS part is one hash lookup.
// The hash chains do grow with services / buckets (the kernel's table has 256 buckets), so
// with the default table the probes grow slowly; with a table sized for the load they stay
// at about one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from '../../src/cluster/model.ts';
import { DEFAULT_KUBE_PROXY_CONFIG, type KubeProxyConfiguration } from '../../src/proxy/config.ts';
import { createIpvsMode, IpvsDataPlane } from '../../src/proxy/ipvs/index.ts';
import { servicePorts } from '../../src/proxy/service-map.ts';
import { generateCluster } from '../../src/scenario/generate.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { makeService, makeSlice } from './kube-proxy-test-env.ts';

const scenario = loadScenario(new URL('../../scenarios/scale-sweep.yaml', import.meta.url).pathname);
const clusters = new Map<number, Cluster>();

/**
 * The generated cluster plus one NodePort and one LoadBalancer service (eTP Local), so both
 * sizes have the same kinds of services and so the same non-empty sets: which rules exist
 * depends on the kinds of services, never on how many there are.
 */
function clusterOf(n: number): Cluster {
  let c = clusters.get(n);
  if (c) return c;
  c = generateCluster(scenario, n);
  const extra = [
    makeService('kinds', 'np', {
      type: 'NodePort',
      clusterIP: '172.30.255.1',
      externalTrafficPolicy: 'Local',
      ports: [{ name: 'p', port: 80, protocol: 'TCP', nodePort: 32767 }],
    }),
    makeService(
      'kinds',
      'lb',
      {
        type: 'LoadBalancer',
        clusterIP: '172.30.255.2',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 32765,
        ports: [{ name: 'p', port: 80, protocol: 'TCP', nodePort: 32766 }],
      },
      ['198.19.255.1'],
    ),
    makeSlice('kinds', 'np', [{ ip: '100.64.0.250', node: 'node-1' }], [{ name: 'p', port: 8080 }]),
    makeSlice('kinds', 'lb', [{ ip: '100.64.0.251', node: 'node-1' }], [{ name: 'p', port: 8080 }]),
  ];
  c = {
    ...c,
    services: [...c.services, ...(extra.slice(0, 2) as Cluster['services'])],
    endpointSlices: [...c.endpointSlices, ...(extra.slice(2) as Cluster['endpointSlices'])],
  };
  clusters.set(n, c);
  return c;
}
const config: KubeProxyConfiguration = {
  ...DEFAULT_KUBE_PROXY_CONFIG,
  mode: 'ipvs',
  hostnameOverride: 'node-1',
  clusterCIDR: scenario.cluster.clusterCIDR ?? '10.244.0.0/16',
};

const planes = new Map<string, IpvsDataPlane>();
function planeOf(n: number, tableBits = 8): IpvsDataPlane {
  const key = `${n}/${tableBits}`;
  let p = planes.get(key);
  if (!p) planes.set(key, (p = createIpvsMode({ tableBits }).build(clusterOf(n), config) as IpvsDataPlane));
  return p;
}

/** rulesEvaluated and IPVS probes for a pod-to-ClusterIP packet to every ClusterIP service port. */
function measure(plane: IpvsDataPlane, cluster: Cluster) {
  const iptables = new Set<number>();
  let probes = 0,
    maxProbes = 0,
    n = 0;
  for (const svc of cluster.services) {
    if (svc.spec.type !== 'ClusterIP') continue;
    for (const sp of servicePorts(svc)) {
      const r = plane.trace({ src: 0x0af40105, dst: sp.clusterIP, proto: sp.protoNumber, sport: 40000, dport: sp.port }, 'forwarded');
      if (r.verdict !== 'DNAT') continue; // a service without endpoints stops before POSTROUTING
      const p = plane.ipvs.lastProbes;
      iptables.add(r.rulesEvaluated);
      probes += p;
      maxProbes = Math.max(maxProbes, p);
      n++;
    }
  }
  return { iptables: [...iptables], meanProbes: probes / n, maxProbes, vs: plane.ipvs.serviceCount };
}

test('rulesEvaluated: iptables part identical at 100 and 10,000 services', () => {
  const small = measure(planeOf(100), clusterOf(100));
  const big = measure(planeOf(10000), clusterOf(10000));
  // Every ClusterIP packet tests the same fixed rules, whatever the number of services.
  assert.equal(small.iptables.length, 1);
  assert.deepEqual(big.iptables, small.iptables);
  assert.ok(small.iptables[0] < 20, `iptables rules per packet: ${small.iptables[0]}`);
  // The kernel's 256 buckets: about 1 + virtual servers / 512 probes on a hit.
  assert.ok(big.meanProbes < 1 + big.vs / 256, `mean probes ${big.meanProbes} for ${big.vs} virtual servers`);
  assert.ok(big.meanProbes > 1 + big.vs / 1024, `mean probes ${big.meanProbes} for ${big.vs} virtual servers`);
  assert.ok(small.meanProbes < 2);
});

test('rulesEvaluated: constant at 100 and 10,000 services with a table sized for the load', () => {
  const small = measure(planeOf(100, 16), clusterOf(100));
  const big = measure(planeOf(10000, 16), clusterOf(10000));
  assert.deepEqual(big.iptables, small.iptables);
  assert.ok(big.meanProbes < 1.2 && big.maxProbes <= 4, `mean ${big.meanProbes} max ${big.maxProbes}`);
  assert.ok(small.meanProbes < 1.05);
});

test('the ruleset and its restore input stay the same size; sets and IPVS grow', () => {
  const a = planeOf(100);
  const b = planeOf(10000);
  assert.equal(a.stats().iptables_rules, b.stats().iptables_rules);
  assert.equal(a.sync(clusterOf(100)).restoreLines, b.sync(clusterOf(10000)).restoreLines);
  assert.ok(b.stats().ipset_entries > 50 * a.stats().ipset_entries);
  assert.ok(b.stats().ipvs_virtual_servers > 50 * a.stats().ipvs_virtual_servers);
});
