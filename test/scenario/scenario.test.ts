import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario, loadScenario } from '../../src/scenario/load.ts';
import { generateCluster, generateWithOneMore } from '../../src/scenario/generate.ts';
import { clusterToJson, parseClusterText } from '../../src/cluster/k8s-io.ts';
import { validateCluster } from '../../src/cluster/validate.ts';
import { summarize } from '../../src/cluster/summary.ts';
import { ROOT } from '../helpers/cli.ts';

const small = () => loadScenario(`${ROOT}/scenarios/small.yaml`);

test('schema errors name the file, the field path and the bad value', () => {
  assert.throws(() => parseScenario('services: 10\nnodes: 0\n', 's.yaml'), /^InputError: s\.yaml: nodes: .*>=1.* \(got 0\)/);
  assert.throws(
    () => parseScenario('services: 10\nendpointsPerService: { kind: uniform, min: 5, max: 2 }\n', 's.yaml'),
    /s\.yaml: endpointsPerService\.max: min must not exceed max/,
  );
  assert.throws(() => parseScenario('services: 10\nnodez: 3\n', 's.yaml'), /s\.yaml: nodez: unknown field nodez/);
  assert.throws(() => parseScenario('services: [100, 50]\n', 's.yaml'), /s\.yaml: services: scales must be strictly increasing/);
  assert.throws(() => parseScenario('services: "many"\n', 's.yaml'), /s\.yaml: services: .*\(got "many"\)/);
  assert.throws(() => parseScenario('nodes: 3\n', 's.yaml'), /s\.yaml: services: .*\(missing\)/);
  assert.throws(
    () => parseScenario('services: 10\ncluster: { serviceCIDR: 10.96.0.0/12, bogus: 1 }\n', 's.yaml'),
    /s\.yaml: cluster\.bogus: unknown field/,
  );
  assert.throws(() => parseScenario('services: [10\n', 's.yaml'), /s\.yaml: malformed YAML at line 2, column 1: Flow sequence/);
  assert.throws(() => parseScenario('{"services": 10,', 's.json'), /s\.json: malformed JSON at line 1, column 17/);
});

test('generator errors: overlapping CIDRs, exhausted NodePorts, no room for pods', () => {
  const overlap = parseScenario('services: 10\ncluster: { clusterCIDR: 10.96.0.0/16 }\n', 'o.yaml');
  assert.throws(
    () => generateCluster(overlap, 10),
    /o\.yaml: cluster\.serviceCIDR: clusterCIDR 10\.96\.0\.0\/16 overlaps serviceCIDR 10\.96\.0\.0\/12/,
  );
  const ports = parseScenario('services: 10\nserviceTypes: { NodePort: 1 }\ncluster: { nodePortRange: 30000-30004 }\n', 'p.yaml');
  assert.throws(() => generateCluster(ports, 10), /NodePort range 30000-30004 is exhausted \(5 ports\)/);
  const pods = parseScenario('services: 10\nnodes: 1\nendpointsPerService: 20\ncluster: { maxPodsPerNode: 50 }\n', 'n.yaml');
  assert.throws(() => generateCluster(pods, 10), /n\.yaml: nodes: no room for more pods: 1 nodes x 50 pods each are all used.*\(got 1\)/);
});

test('the same seed gives a byte-identical cluster; another seed does not', () => {
  const s = small();
  const a = clusterToJson(generateCluster(s, 20));
  assert.equal(clusterToJson(generateCluster(s, 20)), a);
  assert.notEqual(clusterToJson(generateCluster({ ...s, seed: 43 }, 20)), a);
});

test('generate -> load -> write round-trips byte for byte', () => {
  const text = clusterToJson(generateCluster(small(), 20));
  const { cluster, skipped } = parseClusterText(text, 'c.json');
  assert.deepEqual(skipped, {});
  assert.equal(clusterToJson(cluster), text);
});

test('generated clusters are valid, honour the mix and the real reservations', () => {
  const s = small();
  const cluster = generateCluster(s, 20);
  assert.deepEqual(
    validateCluster(cluster).filter((p) => p.level === 'error'),
    [],
  );
  const sum = summarize(cluster);
  assert.equal(sum.services, 22); // 20 + kubernetes + kube-dns
  const k8s = cluster.services.find((x) => x.metadata.name === 'kubernetes')!;
  assert.equal(k8s.spec.clusterIP, '10.96.0.1');
  const dns = cluster.services.find((x) => x.metadata.name === 'kube-dns')!;
  assert.equal(dns.spec.clusterIP, '10.96.0.10');
  assert.deepEqual(
    dns.spec.ports?.map((p) => `${p.port}/${p.protocol}`),
    ['53/UDP', '53/TCP', '9153/TCP'],
  );
  for (const svc of cluster.services) {
    for (const p of svc.spec.ports ?? []) if (p.nodePort !== undefined) assert.ok(p.nodePort >= 30000 && p.nodePort <= 32767);
  }
  // Pod IPs come from their node's pod CIDR, skipping .0 and the .1 gateway.
  const podCidr = new Map(cluster.nodes.map((n) => [n.metadata.name, n.spec.podCIDR!.replace(/\.0\/24$/, '.')]));
  for (const pod of cluster.pods) {
    if (!pod.nodeName) continue;
    assert.ok(pod.ip.startsWith(podCidr.get(pod.nodeName)!), `${pod.ip} on ${pod.nodeName}`);
    assert.ok(!/\.(0|1)$/.test(pod.ip));
  }
});

test("a larger scale keeps the smaller one's services as a prefix", () => {
  const s = { ...small(), serviceTypes: { ClusterIP: 1 } };
  const a = generateCluster(s, 10).services.map((x) => `${x.metadata.name}=${x.spec.clusterIP}`);
  const b = generateCluster(s, 30).services.map((x) => `${x.metadata.name}=${x.spec.clusterIP}`);
  assert.deepEqual(b.slice(0, a.length), a);
});

test('generateWithOneMore: the cluster at n is exactly generateCluster(n), the other exactly generateCluster(n + 1)', () => {
  const mixes = [
    small(),
    // Every kind (ExternalName has no slices, Headless no IP), several ports, big services split into slices.
    {
      ...small(),
      serviceTypes: { ClusterIP: 1, NodePort: 1, LoadBalancer: 1, ExternalName: 1, Headless: 1 },
      portsPerService: { kind: 'uniform' as const, min: 1, max: 3 },
      endpointsPerService: { kind: 'uniform' as const, min: 0, max: 130 },
      nodes: 40,
    },
  ];
  for (const s of mixes)
    for (const n of [0, 1, 7, 40]) {
      const { cluster, plusOne } = generateWithOneMore(s, n);
      const expected = generateCluster(s, n);
      assert.equal(clusterToJson(cluster), clusterToJson(expected), `cluster at ${n}`);
      assert.deepEqual(cluster.pods, expected.pods, `pods at ${n}`);
      assert.equal(clusterToJson(plusOne), clusterToJson(generateCluster(s, n + 1)), `cluster at ${n} + 1`);
    }
});
