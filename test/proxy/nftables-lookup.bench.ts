// Wall-clock benchmark of the nftables data plane's first-packet lookup (tinybench), 1,000 to
// 50,000 services of the default sweep scenario: the service-ips verdict map is one hash
// lookup, so ns per lookup should stay flat. Prints p50/p99 per size and the fitted exponent of
// p50 ~ services^k, beside the simulated clock's price (constant by construction). Not part of
// `npm test` (it builds a 50,000-service table):
//   node --import tsx test/proxy/nftables-lookup.bench.ts [services ...]
import { Bench } from 'tinybench';
import { Rng } from '../../src/engine/rng.ts';
import { fitPowerLaw, summarize } from '../../src/metrics/stats.ts';
import { parseKubeProxyConfig } from '../../src/proxy/load-config.ts';
import { nftablesMode } from '../../src/proxy/nftables/index.ts';
import { newLookupResult, type Packet } from '../../src/proxy/types.ts';
import { generateCluster, scenarioConfig } from '../../src/scenario/generate.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { clusterIPTargets } from '../../src/workload/targets.ts';

const BATCH = 1000;
const scenario = loadScenario(new URL('../../scenarios/scale-sweep.yaml', import.meta.url).pathname);
const sizes = process.argv.slice(2).map(Number);
const xs: number[] = [];
const ys: number[] = [];
console.log('services\twall p50 ns\twall p99 ns\tsimulated ns\trules\tmap lookups');
for (const n of sizes.length > 0 ? sizes : [1000, 5000, 10000, 20000, 50000]) {
  const cluster = generateCluster(scenario, n);
  const config = parseKubeProxyConfig({
    ...(scenario.proxy ?? {}),
    hostnameOverride: 'node-1',
    clusterCIDR: scenarioConfig(scenario).clusterCIDR,
  });
  const plane = nftablesMode.build(cluster, config);
  const targets = clusterIPTargets(cluster);
  const rng = new Rng(`bench/${n}`);
  const batch: Packet[] = [];
  for (let i = 0; i < BATCH; i++) {
    const k = rng.int(0, targets.count);
    batch.push({
      src: 0x0a000102 + (i & 63),
      dst: targets.ip[k],
      dport: targets.port[k],
      proto: targets.proto[k] as Packet['proto'],
      sport: 40000 + i,
    });
  }
  const out = newLookupResult();
  const bench = new Bench({ time: 1000, warmupTime: 200, retainSamples: true });
  bench.add('lookup', () => {
    for (let i = 0; i < BATCH; i++) plane.lookup(batch[i], 'forwarded', rng, out);
  });
  await bench.run();
  const result = bench.tasks[0].result as { latency: { samples?: number[] } };
  const s = summarize((result.latency.samples ?? []).map((ms) => (ms * 1e6) / BATCH));
  const sim = nftablesMode.pricing.lookupNs({}, out);
  console.log([n, s.p50.toFixed(0), s.p99.toFixed(0), sim.toFixed(0), out.rulesEvaluated, out.hashProbes].join('\t'));
  xs.push(n);
  ys.push(s.p50);
}
const fit = fitPowerLaw(xs, ys);
if (fit) console.log(`wall p50 ~ services^${fit.exponent.toFixed(3)} (R² ${fit.r2.toFixed(2)})`);
