import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG, checkConfig } from '../../src/cluster/config.ts';
import { type Cluster, emptyCluster } from '../../src/cluster/model.ts';
import type { Service } from '../../src/cluster/k8s-types.ts';
import { assertValidCluster, validateCluster } from '../../src/cluster/validate.ts';
import { ClusterIPAllocator, NodePortAllocator, PodIPAllocator, podCIDRFor } from '../../src/cluster/allocators.ts';
import { Rng } from '../../src/engine/rng.ts';
import { formatIPv4, parseCidr } from '../../src/util/ipv4.ts';

function svc(name: string, spec: Partial<Service['spec']>): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'ns1' },
    spec: { type: 'ClusterIP', clusterIP: '10.96.0.20', ports: [{ port: 80, protocol: 'TCP' }], ...spec },
  };
}

function clusterWith(...services: Service[]): Cluster {
  const c = emptyCluster();
  c.services = services;
  return c;
}

test('overlapping cluster and service CIDRs are rejected, naming both', () => {
  assert.throws(
    () => checkConfig({ ...DEFAULT_CONFIG, clusterCIDR: '10.0.0.0/8' }, 'x.yaml', 'cluster'),
    /x\.yaml: cluster\.serviceCIDR: clusterCIDR 10\.0\.0\.0\/8 overlaps serviceCIDR 10\.96\.0\.0\/12/,
  );
  assert.throws(
    () => checkConfig({ ...DEFAULT_CONFIG, serviceCIDR: '10.96.0.1/12' }, 'x.yaml'),
    /config\.serviceCIDR: not a valid IPv4 CIDR.*"10\.96\.0\.1\/12"/,
  );
});

test('pod CIDR outside the cluster CIDR, and overlapping node pod CIDRs', () => {
  const c = emptyCluster();
  const node = (name: string, podCIDR: string) => ({
    apiVersion: 'v1' as const,
    kind: 'Node' as const,
    metadata: { name },
    spec: { podCIDR },
    status: {},
  });
  c.nodes = [node('a', '10.244.1.0/24'), node('b', '10.245.0.0/24'), node('c', '10.244.1.0/25')];
  const errors = validateCluster(c).filter((p) => p.level === 'error');
  assert.ok(errors.some((e) => e.field === 'Node b.spec.podCIDR' && /outside the cluster CIDR 10\.244\.0\.0\/16/.test(e.message)));
  assert.ok(errors.some((e) => /overlaps Node .*podCIDR/.test(e.message)));
});

test('ClusterIP outside the service CIDR, duplicate ClusterIP, headless NodePort', () => {
  assert.throws(
    () => assertValidCluster(clusterWith(svc('a', { clusterIP: '10.200.0.1' })), 'c.json'),
    /c\.json: Service ns1\/a\.spec\.clusterIP: clusterIP is outside the service CIDR 10\.96\.0\.0\/12 \(got "10\.200\.0\.1"\)/,
  );
  assert.throws(
    () => assertValidCluster(clusterWith(svc('a', {}), svc('b', {}))),
    /Service ns1\/b\.spec\.clusterIP: clusterIP already allocated to Service ns1\/a/,
  );
  assert.throws(
    () => assertValidCluster(clusterWith(svc('a', { type: 'NodePort', clusterIP: 'None' }))),
    /headless .* only valid for type ClusterIP/,
  );
});

test('NodePorts: out of range, duplicate across services, allowed for TCP+UDP of one service', () => {
  assert.throws(
    () => assertValidCluster(clusterWith(svc('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 29999 }] }))),
    /ports\[0\]\.nodePort: nodePort is outside the range 30000-32767 \(got 29999\)/,
  );
  assert.throws(
    () =>
      assertValidCluster(
        clusterWith(
          svc('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }),
          svc('b', { clusterIP: '10.96.0.21', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }),
        ),
      ),
    /Service ns1\/b\.spec\.ports\[0\]\.nodePort: nodePort already allocated to Service ns1\/a \(got 30080\)/,
  );
  const dns = svc('dns', {
    type: 'NodePort',
    ports: [
      { name: 'u', port: 53, protocol: 'UDP', nodePort: 30053 },
      { name: 't', port: 53, protocol: 'TCP', nodePort: 30053 },
    ],
  });
  assert.equal(validateCluster(clusterWith(dns)).filter((p) => p.level === 'error').length, 0);
  assert.throws(
    () => assertValidCluster(clusterWith(svc('a', { ports: [{ port: 80, nodePort: 30001 }] }))),
    /only allowed for NodePort and LoadBalancer/,
  );
});

test('unknown protocol is named with its value', () => {
  assert.throws(
    () => assertValidCluster(clusterWith(svc('a', { ports: [{ port: 80, protocol: 'ICMP' as never }] }))),
    /Service ns1\/a\.spec\.ports\[0\]\.protocol: unknown protocol \(expected TCP, UDP, SCTP\) \(got "ICMP"\)/,
  );
});

test('a selector without pods is a warning', () => {
  const problems = validateCluster(clusterWith(svc('a', { selector: { app: 'a' } })));
  assert.deepEqual(
    problems.map((p) => [p.level, p.field]),
    [['warning', 'Service ns1/a.spec.selector']],
  );
  assert.match(problems[0].message, /selector matches no pods/);
});

test('allocators: reserved addresses, no duplicates, exhaustion', () => {
  const rng = new Rng(1);
  const ips = new ClusterIPAllocator(parseCidr('10.96.0.0/29'), rng);
  assert.equal(formatIPv4(ips.kubernetesIP()), '10.96.0.1');
  const got = new Set<string>();
  for (let i = 0; i < 5; i++) got.add(formatIPv4(ips.allocate()));
  // /29: .0 network, .7 broadcast, .1 kubernetes.default; .2-.6 remain.
  assert.deepEqual([...got].sort(), ['10.96.0.2', '10.96.0.3', '10.96.0.4', '10.96.0.5', '10.96.0.6']);
  assert.throws(() => ips.allocate(), /service CIDR 10\.96\.0\.0\/29 is exhausted/);

  const ports = new NodePortAllocator(30000, 30002, rng);
  assert.deepEqual([ports.allocate(), ports.allocate(), ports.allocate()].sort(), [30000, 30001, 30002]);
  assert.throws(() => ports.allocate(), /NodePort range 30000-30002 is exhausted \(3 ports\)/);

  const pods = new PodIPAllocator(parseCidr('10.244.3.0/30'), 110);
  assert.equal(pods.capacity, 1);
  assert.equal(formatIPv4(pods.allocate()), '10.244.3.2');
  assert.throws(() => pods.allocate(), /is full/);
  assert.throws(() => podCIDRFor(parseCidr('10.244.0.0/23'), 24, 2), /has room for 2 node pod CIDRs of \/24; node 3 does not fit/);
});
