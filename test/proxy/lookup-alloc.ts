// Child process of the data-plane contract: bytes the heap grows by over 100,000 first-packet
// lookups of one mode (least of three rounds, heap-growth.ts), after a warm-up (JIT, lazily built
// state). Run with heap-growth.ts's CHILD_FLAGS:
//   node --expose-gc --no-concurrent-recompilation --max-semi-space-size=64 --import tsx test/proxy/lookup-alloc.ts MODE
import { Rng } from '../../src/engine/rng.ts';
import { parseKubeProxyConfig } from '../../src/proxy/load-config.ts';
import { getMode } from '../../src/proxy/modes.ts';
import { newLookupResult, type Packet } from '../../src/proxy/types.ts';
import { generateCluster, scenarioConfig } from '../../src/scenario/generate.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { clusterIPTargets } from '../../src/workload/targets.ts';
import { parseCidr } from '../../src/util/ipv4.ts';
import { leastHeapGrowth } from './heap-growth.ts';

const mode = getMode(process.argv[2] ?? 'iptables');
const scenario = parseScenario(
  'seed: 3\nnodes: 100\nservices: 2000\nendpointsPerService: 3\nserviceTypes: { ClusterIP: 0.8, NodePort: 0.2 }\n',
  '(contract)',
);
const cluster = generateCluster(scenario, 2000);
const config = parseKubeProxyConfig({ mode: mode.name, hostnameOverride: 'node-1', clusterCIDR: scenarioConfig(scenario).clusterCIDR });
const dp = mode.build(cluster, config);
const targets = clusterIPTargets(cluster);
const pod = parseCidr(cluster.nodes[0].spec.podCIDR ?? '10.244.0.0/24').addr + 5;
const rng = new Rng(7);
const packets: Packet[] = [];
for (let i = 0; i < 1024; i++) {
  const k = rng.int(0, targets.count);
  packets.push({ src: pod, dst: targets.ip[k], proto: targets.proto[k] as Packet['proto'], sport: 30000 + i, dport: targets.port[k] });
}
const out = newLookupResult();
const run = (n: number) => {
  for (let i = 0; i < n; i++) dp.lookup(packets[i & 1023], 'forwarded', rng, out);
};
run(200_000);
const heapDeltaBytes = leastHeapGrowth(() => run(100_000));
process.stdout.write(`${JSON.stringify({ mode: mode.name, lookups: 100_000, heapDeltaBytes })}\n`);
