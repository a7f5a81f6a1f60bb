// Where the nftables data plane's heap goes: the cluster, then the real NftablesDataPlane's
// full sync, the live heap measured after a full collection; then what the table holds, by
// part (each part's share is measured by dropping it). Wall clock, noisy on a shared machine. Run:
//   node --max-old-space-size=8000 --expose-gc --import tsx bench/nftables-memory.ts [scenario.yaml] [services]
import { loadScenario } from '../src/scenario/load.ts';
import { generateCluster, scenarioConfig } from '../src/scenario/generate.ts';
import { parseKubeProxyConfig } from '../src/proxy/load-config.ts';
import { NftablesDataPlane } from '../src/proxy/nftables/data-plane.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const live = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers; // typed arrays live outside the heap
};
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

const file = process.argv[2] ?? 'scenarios/scale-sweep.yaml';
const scenario = loadScenario(file);
const scale = Number(process.argv[3] ?? 20000);
const t0 = performance.now();
const cluster = generateCluster(scenario, scale);
const before = live();
console.log(`cluster model ${mb(before)} (${(performance.now() - t0).toFixed(0)} ms)`);
const kpc = parseKubeProxyConfig(
  { ...(scenario.proxy ?? {}), mode: 'nftables', hostnameOverride: 'node-1', clusterCIDR: scenarioConfig(scenario).clusterCIDR },
  file,
);
const rssBefore = process.resourceUsage().maxRSS * 1024;
const t1 = performance.now();
const plane = new NftablesDataPlane(cluster, kpc);
const syncMs = performance.now() - t1;
const rssPeak = process.resourceUsage().maxRSS * 1024;
const after = live();
const s = plane.stats();
console.log(
  `full sync ${syncMs.toFixed(0)} ms; retained +${mb(after - before)}; ${s.nft_chains} chains, ${s.nft_rules} rules, ${s.nft_elements} elements; ` +
    `peak RSS ${mb(rssPeak)} (${mb(rssBefore)} before the sync)`,
);
const t2 = performance.now();
plane.sync(cluster);
console.log(`partial sync (nothing changed) ${(performance.now() - t2).toFixed(0)} ms; retained +${mb(live() - before)}`);
if (process.argv.includes('--parts')) {
  // Drop parts of the proxier one at a time to see what each holds (the plane is unusable after).
  const p = plane.proxier as unknown as Record<string, unknown>;
  let last = live();
  const drop = (name: string, fn: () => void) => {
    fn();
    const now = live();
    console.log(`  ${name.padEnd(24)} ${mb(last - now).padStart(10)}`);
    last = now;
  };
  drop('service map', () => ((plane as unknown as Record<string, unknown>).services = []));
  drop('records', () => (p.records = new Map()));
  drop('signatures', () => (p.signatures = new Map()));
  drop('storages', () => (p.storages = {}));
  const t = plane.proxier.table as unknown as Record<string, unknown>;
  drop('rules (blobs)', () => (t.blobs = null));
  drop('sets and maps', () => (t.sets = null));
  drop('chains', () => {
    (t.chainByName as Map<string, unknown>).clear();
    (t.chains as unknown[]).length = 0;
  });
  console.log(`  left ${mb(last - before)}`);
}
