// `kpsim trace --packets` at scale: 10,000 packets on a generated 10,000-service cluster (the
// data plane is built once, then each packet walks the compiled rules), and rulesEvaluated
// grows with the service's position in KUBE-SERVICES. The elapsed time is reported, not
// asserted: tests check behaviour and shape, never absolute times (README, Benchmarks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeClusterFile } from '../../src/cluster/k8s-io.ts';
import { SERVICE_NAME_LABEL } from '../../src/cluster/k8s-types.ts';
import { generateCluster } from '../../src/scenario/generate.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { kpsim, tempDir } from '../helpers/cli.ts';

test('trace --packets: 10,000 packets on a 10,000-service cluster; cost grows with position', (t) => {
  const dir = tempDir();
  const cluster = generateCluster(loadScenario('scenarios/scale-sweep.yaml'), 10000);
  const clusterFile = join(dir, 'cluster.json');
  writeClusterFile(cluster, clusterFile);
  const configFile = join(dir, 'kube-proxy.yaml');
  writeFileSync(configFile, `hostnameOverride: ${cluster.nodes[0].metadata.name}\nclusterCIDR: ${cluster.config.clusterCIDR}\n`);

  // Pod -> ClusterIP packets, cycling through every ClusterIP service that has endpoints.
  const withEndpoints = new Set(
    cluster.endpointSlices
      .filter((s) => (s.endpoints ?? []).length > 0)
      .map((s) => `${s.metadata.namespace}/${s.metadata.labels?.[SERVICE_NAME_LABEL]}`),
  );
  const targets = cluster.services.filter(
    (s) =>
      (s.spec.type ?? 'ClusterIP') === 'ClusterIP' &&
      s.spec.clusterIP !== 'None' &&
      withEndpoints.has(`${s.metadata.namespace}/${s.metadata.name}`),
  );
  assert.ok(targets.length > 5000);
  const lines: string[] = [];
  for (let i = 0; i < 10000; i++) {
    const s = targets[(i * 7919) % targets.length];
    const p = s.spec.ports![0];
    lines.push(JSON.stringify({ src: '100.127.255.254', dst: s.spec.clusterIP, dport: p.port, proto: p.protocol ?? 'TCP' }));
  }
  const packetsFile = join(dir, 'packets.jsonl');
  writeFileSync(packetsFile, lines.join('\n') + '\n');

  const started = performance.now();
  const r = kpsim(['trace', '--cluster', clusterFile, '--proxy-config', configFile, '--packets', packetsFile, '--json']);
  const elapsed = performance.now() - started;
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { verdict: string; endpoints: string[]; rulesEvaluated: number; path: string[] });
  assert.equal(out.length, 10000);
  assert.ok(out.every((o) => o.verdict === 'DNAT'));
  t.diagnostic(`kpsim trace of 10,000 packets on 10,000 services: ${elapsed.toFixed(0)} ms (process start included)`);

  // Position of the matching rule in nat KUBE-SERVICES, from the path.
  const position = (o: (typeof out)[number]) =>
    Number(/^nat KUBE-SERVICES #(\d+) /.exec(o.path.find((s) => s.startsWith('nat KUBE-SERVICES #'))!)![1]);
  // With the same number of endpoints the rest of the walk is the same: the cost is the
  // position plus a constant.
  const three = out.filter((o) => o.endpoints.length === 3);
  assert.ok(three.length > 100);
  const offsets = new Set(three.map((o) => o.rulesEvaluated - position(o)));
  assert.equal(offsets.size, 1, `rulesEvaluated - position: ${[...offsets].join(', ')}`);
  const sample = [...three].sort((a, b) => position(a) - position(b)).filter((_, i, a) => i % Math.floor(a.length / 20) === 0);
  for (let i = 1; i < sample.length; i++) {
    if (position(sample[i]) > position(sample[i - 1])) assert.ok(sample[i].rulesEvaluated > sample[i - 1].rulesEvaluated);
  }
  assert.ok(position(sample[sample.length - 1]) > 8000 && position(sample[0]) < 1000);
});
