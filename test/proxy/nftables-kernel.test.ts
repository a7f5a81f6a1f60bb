// Kernel conformance: the transaction the nftables mode writes for 5,000 services loads with the
// real `nft -f` in a throwaway network namespace (`unshare -n`: nothing outside it is touched),
// the kernel then holds the chains and map elements the model says, and a partial sync's
// transaction applies on top. Needs root and the nftables package; skips, saying why, elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKubeProxyConfig } from '../../src/proxy/load-config.ts';
import { nftablesMode } from '../../src/proxy/nftables/index.ts';
import { type NftablesDataPlane, syncWorkRecord } from '../../src/proxy/nftables/data-plane.ts';
import { resolveNftOptions } from '../../src/proxy/nftables/options.ts';
import { buildServiceMap } from '../../src/proxy/service-map.ts';
import { generateCluster, scenarioConfig } from '../../src/scenario/generate.ts';
import { loadScenario } from '../../src/scenario/load.ts';

const SERVICES = 5000;

function skipReason(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root: unshare -n needs CAP_SYS_ADMIN';
  if (spawnSync('nft', ['--version']).status !== 0) return 'nft not installed (Debian package nftables)';
  if (spawnSync('unshare', ['-n', 'true']).status !== 0) return 'unshare -n failed (no network namespaces here)';
  return null;
}

const reason = skipReason();

test(`a ${SERVICES}-service kube-proxy table loads with nft -f in a network namespace`, { skip: reason ?? false }, (t) => {
  const scenario = loadScenario(new URL('../../scenarios/scale-sweep.yaml', import.meta.url).pathname);
  const cluster = generateCluster(scenario, SERVICES);
  const config = parseKubeProxyConfig({
    ...(scenario.proxy ?? {}),
    hostnameOverride: 'node-1',
    clusterCIDR: scenarioConfig(scenario).clusterCIDR,
  });
  const plane = nftablesMode.build(cluster, config) as NftablesDataPlane;
  const stats = plane.stats() as unknown as Record<string, number>;
  const modelled = nftablesMode.pricing.syncNs({}, syncWorkRecord(plane.lastWork), { iptablesProfile: 'modern' });

  // The partial transaction kube-proxy would write next: one more service.
  const proxier = plane.proxier;
  const plusOne = generateCluster(scenario, SERVICES + 1);
  const opts = resolveNftOptions(plusOne, config);
  const partial: string[] = [];
  proxier.sync(buildServiceMap(plusOne, opts.node), opts, 10, false, partial);
  assert.ok(partial.length > 0 && partial.length < 40, `partial transaction of ${partial.length} lines`);

  const dir = mkdtempSync(join(tmpdir(), 'kpsim-nft-'));
  try {
    writeFileSync(join(dir, 'full.nft'), plane.render('nft'));
    writeFileSync(join(dir, 'partial.nft'), partial.join('\n') + '\n');
    const script = [
      'set -e',
      'start=$(date +%s%N)',
      `nft -f ${dir}/full.nft`,
      'end=$(date +%s%N)',
      'echo "load_ns $((end - start))"',
      'echo "chains $(nft list table ip kube-proxy | grep -c "^\\s*chain ")"',
      'echo "service_ips $(nft list map ip kube-proxy service-ips | grep -o " : goto " | wc -l)"',
      `nft -f ${dir}/partial.nft`,
      'echo "service_ips_after $(nft list map ip kube-proxy service-ips | grep -o " : goto " | wc -l)"',
    ].join('\n');
    const run = spawnSync('unshare', ['-n', 'sh', '-c', script], { encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(run.status, 0, `nft failed:\n${run.stderr.slice(0, 2000)}`);
    const got = Object.fromEntries(
      run.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' ') as [string, string]),
    );
    assert.equal(Number(got.chains), stats.nft_chains, 'chains in the kernel = chains in the model');
    const serviceIPs = proxier.table.sets.get('service-ips')!.elements.size;
    assert.equal(Number(got.service_ips_after), serviceIPs, 'service-ips elements after the partial sync');
    assert.equal(Number(got.service_ips_after), Number(got.service_ips) + 1);
    t.diagnostic(
      `nft -f of ${SERVICES} services (${stats.nft_chains} chains): ${(Number(got.load_ns) / 1e9).toFixed(2)} s wall here; ` +
        `the model prices the full sync at ${(modelled / 1e9).toFixed(2)} s simulated`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
