// Calibration of the nftables mode's sync prices (docs/nftables.md, "Calibration"): loads
// kpsim-rendered kube-proxy tables with the real `nft -f` in throwaway network namespaces and
// prints, per size, the work the model counts beside the CPU time the load took (user + system
// of the nft process, the least of a few runs), then two micro-loads that isolate the set-list
// walks. Needs root and nftables. Not part of `npm test` (minutes of kernel time):
//   node --import tsx test/proxy/nftables-calibrate.ts [services ...]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKubeProxyConfig } from '../../src/proxy/load-config.ts';
import { type NftablesDataPlane, syncWorkRecord } from '../../src/proxy/nftables/data-plane.ts';
import { nftablesMode } from '../../src/proxy/nftables/index.ts';
import { kernelWalks } from '../../src/proxy/nftables/pricing.ts';
import { generateCluster, scenarioConfig } from '../../src/scenario/generate.ts';
import { loadScenario } from '../../src/scenario/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'kpsim-nft-cal-'));
const RUNS = 2;

/** Least user+system seconds of `nft -f file` over RUNS fresh namespaces, and its wall time. */
function load(file: string): { cpu: number; wall: number } {
  let best = { cpu: Infinity, wall: Infinity };
  for (let r = 0; r < RUNS; r++) {
    const run = spawnSync('/usr/bin/time', ['-f', '%e %U %S', 'unshare', '-n', 'nft', '-f', file], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`nft -f ${file} failed: ${run.stderr.slice(0, 500)}`);
    const [wall, user, sys] = run.stderr.trim().split('\n').pop()!.split(' ').map(Number);
    if (user + sys < best.cpu) best = { cpu: user + sys, wall };
  }
  return best;
}

function micro(name: string, lines: string[]): void {
  const file = join(dir, `${name}.nft`);
  writeFileSync(file, lines.join('\n') + '\n');
  const { cpu } = load(file);
  console.log(`${name}\tcpu_s=${cpu.toFixed(3)}`);
}

try {
  const scenario = loadScenario(new URL('../../scenarios/scale-sweep.yaml', import.meta.url).pathname);
  const sizes = process.argv.slice(2).map(Number);
  console.log('services\tnft_operations\tcommit_list_visits\tuncached\tset_name_compares\tanon_name_scans\tcpu_s\twall_s');
  for (const n of sizes.length > 0 ? sizes : [250, 500, 1000, 2000, 3000, 4000, 5000]) {
    const cluster = generateCluster(scenario, n);
    const config = parseKubeProxyConfig({
      ...(scenario.proxy ?? {}),
      hostnameOverride: 'node-1',
      clusterCIDR: scenarioConfig(scenario).clusterCIDR,
    });
    const plane = nftablesMode.build(cluster, config) as NftablesDataPlane;
    const w = syncWorkRecord(plane.lastWork);
    const k = kernelWalks(w);
    const file = join(dir, `r${n}.nft`);
    writeFileSync(file, plane.render('nft'));
    const { cpu, wall } = load(file);
    console.log(
      [
        n,
        w.nft_operations,
        Math.round(k.commitListVisits),
        Math.round(k.commitListVisitsUncached),
        Math.round(k.setNameCompares),
        Math.round(k.anonNameScans),
        cpu.toFixed(3),
        wall.toFixed(2),
      ].join('\t'),
    );
  }
  // Set-list walks alone: N named sets, then N anonymous vmaps (each in its own chain).
  const N = 8000;
  const head = ['add table ip t'];
  micro('empty', head);
  micro('named-sets-8000', [...head, ...Array.from({ length: N }, (_, i) => `add set ip t s${i} { type ipv4_addr ; }`)]);
  micro('anonymous-vmaps-8000', [
    ...head,
    ...Array.from({ length: N }, (_, i) => [`add chain ip t c${i}`, `add rule ip t c${i} numgen random mod 1 vmap { 0 : accept }`]).flat(),
  ]);
  micro('chains-rules-8000', [
    ...head,
    ...Array.from({ length: N }, (_, i) => [`add chain ip t c${i}`, `add rule ip t c${i} accept`]).flat(),
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
