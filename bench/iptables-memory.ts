// Where the iptables data plane's heap goes: each stage of a full sync built and kept in turn,
// the live heap measured after a full collection. Wall clock (this process), noisy on a shared
// machine: compare stages and ratios. Run:
//   node --expose-gc --import tsx bench/iptables-memory.ts [scenario.yaml] [services] [--plane]
// --plane: only the cluster and the real IptablesDataPlane's full sync (its peak RSS and time).
import { loadScenario } from '../src/scenario/load.ts';
import { generateCluster } from '../src/scenario/generate.ts';
import { buildServiceMap } from '../src/proxy/service-map.ts';
import { nodeView } from '../src/proxy/node-view.ts';
import { resolveOptions } from '../src/proxy/iptables/options.ts';
import { renderRestore } from '../src/proxy/iptables/render.ts';
import { buildNodeRuleset } from '../src/proxy/iptables/rule-builder.ts';
import { compileRuleset } from '../src/netfilter/index.ts';
import { parseKubeProxyConfig } from '../src/proxy/load-config.ts';
import { scenarioConfig } from '../src/scenario/generate.ts';
import { IptablesDataPlane } from '../src/proxy/iptables/dataplane.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const live = () => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers; // typed arrays live outside the heap
};
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

const file = process.argv[2] ?? 'scenarios/scale-sweep.yaml';
const scenario = loadScenario(file);
const scale = Number(process.argv[3] ?? 20000);
const keep: unknown[] = [];
let last = live();
const stage = (name: string, make: () => unknown, perRule = 0): unknown => {
  const t0 = performance.now();
  const v = make();
  const ms = performance.now() - t0;
  keep.push(v);
  const now = live();
  console.log(
    `${name.padEnd(28)} +${mb(now - last).padStart(10)}  ${ms.toFixed(0).padStart(7)} ms${perRule ? `  ${((now - last) / perRule).toFixed(0)} B/rule` : ''}`,
  );
  last = now;
  return v;
};

const cluster = stage('cluster model', () => generateCluster(scenario, scale)) as ReturnType<typeof generateCluster>;
const kpc = parseKubeProxyConfig(
  { ...(scenario.proxy ?? {}), mode: 'iptables', hostnameOverride: 'node-1', clusterCIDR: scenarioConfig(scenario).clusterCIDR },
  file,
);
if (process.argv.includes('--plane')) {
  const rssBefore = process.resourceUsage().maxRSS * 1024;
  const plane = stage('data plane full sync', () => new IptablesDataPlane(cluster, kpc)) as IptablesDataPlane;
  console.log(
    `${plane.stats().iptables_rules} rules; peak RSS ${mb(process.resourceUsage().maxRSS * 1024)} (${mb(rssBefore)} before the sync)`,
  );
  process.exit(0);
}
const node = nodeView(cluster, 'node-1');
const opts = resolveOptions(kpc, node, {});
const services = stage('service map', () => buildServiceMap(cluster, node)) as ReturnType<typeof buildServiceMap>;
const payload = renderRestore(services, opts);
keep.push(payload);
const rules = payload.natRules.length + payload.filterRules.length;
let now = live();
console.log(
  `${'rendered rules (RuleBuf)'.padEnd(28)} +${mb(now - last).padStart(10)}  ${rules} rules, ${((now - last) / rules).toFixed(0)} B/rule`,
);
last = now;
const rs = stage('netfilter ruleset (chains)', () => buildNodeRuleset(payload), rules) as ReturnType<typeof buildNodeRuleset>;
stage('compiled tables', () => compileRuleset(rs, { checkLoops: false }), rules);
stage(
  'rule texts (cached)',
  () => {
    for (const r of payload.natRules) void r.text;
    for (const r of payload.filterRules) void r.text;
  },
  rules,
);
console.log(`peak RSS so far ${mb(process.resourceUsage().maxRSS * 1024)}`);
