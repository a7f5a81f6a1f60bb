// The one cluster loader: shapes, names, the service CIDR's sources, warnings and --strict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCluster } from '../../src/cluster/load.ts';
import { InputError } from '../../src/util/errors.ts';
import { isDns1035Label, isDns1123Label, isDns1123Subdomain, isLabelKey, isLabelValue } from '../../src/dns/names.ts';
import { kpsim } from '../helpers/cli.ts';

const F = 'test/fixtures/errors';
const read = (f: string) => readFileSync(f, 'utf8');

/**
 * kube-proxy's TestSyncProxyRulesRepeated cluster as its tests have it: ClusterIPs in 172.30.0.0/16,
 * a Node without a pod CIDR (kube-proxy's test node has none), no kpsim ConfigMap.
 */
function kubeProxyDump(): string {
  const list = JSON.parse(read('test/fixtures/iptables/repeated.cluster.json'));
  list.items = list.items.filter((i: { kind: string }) => i.kind !== 'ConfigMap');
  for (const i of list.items) if (i.kind === 'Node') delete i.spec.podCIDR;
  return JSON.stringify(list);
}

test("kube-proxy's own test cluster validates with --service-cidr 172.30.0.0/16, not against the default", () => {
  assert.throws(
    () => parseCluster(kubeProxyDump(), 'kp.json'),
    /clusterIP is outside the service CIDR 10\.96\.0\.0\/12 \[and 1 more error\] \(got "172\.30\.0\.41"\); that range is kpsim's default: give the cluster's own with --service-cidr$/,
  );
  const { cluster } = parseCluster(kubeProxyDump(), 'kp.json', { serviceCidr: '172.30.0.0/16' });
  assert.equal(cluster.config.serviceCIDR, '172.30.0.0/16', 'the one value every mode reads');
  const r = kpsim(['validate', '--service-cidr', '172.30.0.0/16', 'test/fixtures/errors/kube-proxy-repeated.json']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /service CIDR: +172\.30\.0\.0\/16/);
});

test("the pod range: kpsim's ConfigMap, else --cluster-cidr, else 10.244.0.0/16; the message says which flag", () => {
  const plain = read(`${F}/podcidr-outside-plain.json`);
  assert.throws(
    () => parseCluster(plain, 'p.json'),
    /pod CIDR is outside the cluster CIDR 10\.244\.0\.0\/16 \(got "10\.1\.0\.0\/24"\); that range is kpsim's default: give the cluster's own with --cluster-cidr$/,
  );
  assert.equal(parseCluster(plain, 'p.json', { clusterCidr: '10.1.0.0/16' }).cluster.config.clusterCIDR, '10.1.0.0/16');
  assert.throws(
    () => parseCluster(read(`${F}/podcidr-outside.json`), 'p.json'),
    /outside the cluster CIDR 10\.244\.0\.0\/16 \(got "10\.1\.0\.0\/24"\)$/,
  );
});

test('the service CIDR comes from ServiceCIDR objects, else the flag, else 10.96.0.0/12; a contradicting flag is refused', () => {
  assert.equal(parseCluster(read(`${F}/cluster.json`), 'c.json').cluster.config.serviceCIDR, '10.96.0.0/12');
  assert.equal(
    parseCluster(read(`${F}/cluster.json`), 'c.json', { serviceCidr: '10.96.0.0/16' }).cluster.config.serviceCIDR,
    '10.96.0.0/16',
  );
  assert.equal(parseCluster(read(`${F}/servicecidr.json`), 's.json').cluster.config.serviceCIDR, '10.96.0.0/16');
  assert.equal(
    parseCluster(read(`${F}/servicecidr.json`), 's.json', { serviceCidr: '10.96.0.0/16' }).cluster.config.serviceCIDR,
    '10.96.0.0/16',
  );
  assert.throws(
    () => parseCluster(read(`${F}/servicecidr.json`), 's.json', { serviceCidr: '10.0.0.0/16' }),
    /--service-cidr: the cluster file sets/,
  );
  // A dual-stack ServiceCIDR: kpsim models the IPv4 range.
  const dual = JSON.parse(read(`${F}/servicecidr.json`));
  dual.items.at(-1).spec.cidrs = ['10.96.0.0/16', 'fd00:10:96::/112'];
  assert.equal(parseCluster(JSON.stringify(dual), 'd.json').cluster.config.serviceCIDR, '10.96.0.0/16');
});

test('an EndpointSlice whose Service is missing is a warning; --strict makes it an error', () => {
  const { warnings } = parseCluster(read(`${F}/orphan-slice.json`), 'o.json');
  assert.deepEqual(
    warnings.map((w) => w.message),
    ["the slice's Service app/gone is not in the cluster: no Service will use it"],
  );
  assert.throws(
    () => parseCluster(read(`${F}/orphan-slice.json`), 'o.json', { strict: true }),
    (e: unknown) => e instanceof InputError && /EndpointSlice app\/gone-xyz12.*\(--strict\)/.test(e.message),
  );
  const r = kpsim(['rules', '--cluster', `${F}/orphan-slice.json`]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stderr,
    /^kpsim: warning: test\/fixtures\/errors\/orphan-slice\.json: EndpointSlice app\/gone-xyz12\.metadata\.labels\.kubernetes\.io\/service-name: /m,
  );
  assert.match(r.stdout, /^\*filter/);
});

test('every name shape is checked; an injected name never reaches the output, and the message shows it escaped', () => {
  for (const f of ['injected-name.json', 'bad-service-name.json', 'long-namespace.json', 'bad-port-name.json', 'bad-label.json']) {
    assert.throws(
      () => parseCluster(read(`${F}/${f}`), f),
      (e: unknown) => e instanceof InputError && !e.message.includes('\n') && /not a valid (name|label)/.test(e.message),
      f,
    );
  }
});

test('Kubernetes name rules (apimachinery validation)', () => {
  assert.ok(isDns1035Label('web-1') && !isDns1035Label('1web') && !isDns1035Label('Web') && !isDns1035Label('a'.repeat(64)));
  assert.ok(isDns1123Label('1web') && !isDns1123Label('-web') && !isDns1123Label('web_1') && isDns1123Label('a'.repeat(63)));
  assert.ok(isDns1123Subdomain('node-1.example.com') && !isDns1123Subdomain('node..1') && !isDns1123Subdomain('a'.repeat(254)));
  assert.ok(isLabelKey('kubernetes.io/service-name') && isLabelKey('app') && !isLabelKey('bad key') && !isLabelKey('Bad_/x'));
  assert.ok(isLabelValue('') && isLabelValue('v1.2_b') && !isLabelValue('web server') && !isLabelValue('-x'));
});

test('shapes come first: wrong JSON types are named by item, object and field', () => {
  assert.throws(
    () => parseCluster(read(`${F}/port-eighty.json`), 'p.json'),
    /p\.json: items\[1\] \(Service app\/web\)\.spec\.ports\[0\]\.port: .*\(got "eighty"\)/,
  );
  assert.throws(
    () => parseCluster(read(`${F}/ports-not-array.json`), 'p.json'),
    /items\[1\] \(Service app\/web\)\.spec\.ports: .*expected array/,
  );
  // Fields kpsim does not read pass through, as real dumps are full of them.
  const list = JSON.parse(read(`${F}/cluster.json`));
  list.items[1].metadata.managedFields = [{ manager: 'kubectl' }];
  list.items[1].status = { conditions: [] };
  assert.equal(parseCluster(JSON.stringify(list), 'c.json').cluster.services.length, 2);
});
