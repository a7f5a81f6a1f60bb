// Golden rulesets transcribed from kube-proxy's own tests (pkg/proxy/iptables/proxier_test.go):
// TestOverallIPTablesRules and the first sync of TestSyncProxyRulesRepeated. Inputs are in
// test/fixtures/iptables/*.cluster.json (the tests' Services and EndpointSlices) with the
// fake proxier's settings in test-node.kube-proxy.yaml; expected texts in *.expected.txt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readClusterFile } from '../../src/cluster/k8s-io.ts';
import { loadKubeProxyConfig } from '../../src/proxy/load-config.ts';
import { IptablesDataPlane } from '../../src/proxy/iptables/dataplane.ts';
import { endpointChainName, serviceChainNames, base32 } from '../../src/proxy/iptables/chain-names.ts';
import { probability } from '../../src/proxy/iptables/probability.ts';
import { sortIPTablesRules, withoutBuiltinChains } from './iptables-golden-sort.ts';

const fixture = (name: string) => new URL(`../fixtures/iptables/${name}`, import.meta.url).pathname;
const CONFIG = fixture('test-node.kube-proxy.yaml');

function plane(clusterFile: string): IptablesDataPlane {
  return new IptablesDataPlane(readClusterFile(fixture(clusterFile)).cluster, loadKubeProxyConfig(CONFIG));
}

for (const [name, clusterFile, expectedFile] of [
  ['TestOverallIPTablesRules', 'overall.cluster.json', 'overall.expected.txt'],
  ['TestSyncProxyRulesRepeated (first sync)', 'repeated.cluster.json', 'repeated.expected.txt'],
] as const) {
  test(`golden: ${name}, restore input equals kube-proxy's after its sort`, () => {
    const expected = readFileSync(fixture(expectedFile), 'utf8');
    assert.equal(sortIPTablesRules(plane(clusterFile).restoreText()), expected);
  });

  test(`golden: ${name}, render('iptables-save') has the same KUBE chains rule for rule`, () => {
    const expected = readFileSync(fixture(expectedFile), 'utf8');
    const rendered = plane(clusterFile).render('iptables-save');
    assert.equal(sortIPTablesRules(withoutBuiltinChains(rendered)), expected);
  });
}

test('golden comparison fails on a one-rule difference (the test can fail)', () => {
  const expected = readFileSync(fixture('overall.expected.txt'), 'utf8');
  const p = plane('overall.cluster.json');
  const broken = p.restoreText().replace('--probability 0.5000000000', '--probability 0.5000000001');
  assert.notEqual(sortIPTablesRules(broken), expected);
});

test('render("iptables-save") adds the jump rules kube-proxy installs with EnsureRule(Prepend)', () => {
  const text = plane('repeated.cluster.json').render('iptables-save');
  const lines = text.split('\n');
  const chain = (c: string) => lines.filter((l) => l.startsWith(`-A ${c} `));
  // Prepending reverses the order of iptablesJumpChains within each built-in chain.
  assert.deepEqual(chain('INPUT'), [
    '-A INPUT -j KUBE-FIREWALL',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
  ]);
  assert.deepEqual(chain('PREROUTING'), ['-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES']);
  assert.deepEqual(chain('POSTROUTING'), ['-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING']);
  assert.match(text, /^\*filter\n:INPUT ACCEPT \[0:0\]\n:FORWARD ACCEPT \[0:0\]\n:OUTPUT ACCEPT \[0:0\]\n/);
});

test('chain names: first 16 characters of base32(sha256(name + protocol [+ endpoint]))', () => {
  assert.equal(base32(Buffer.from('foobar')), 'MZXW6YTBOI======'); // RFC 4648 test vector
  assert.equal(base32(Buffer.from('f')), 'MY======');
  // Names from TestOverallIPTablesRules / TestSyncProxyRulesRepeated.
  assert.equal(serviceChainNames('ns1/svc1:p80', 'TCP').cluster, 'KUBE-SVC-XPGD46QRK7WJZT7O');
  assert.equal(serviceChainNames('ns2/svc2:p8080', 'TCP').cluster, 'KUBE-SVC-2VJB64SDSIJUP5T6');
  assert.deepEqual(serviceChainNames('ns2/svc2:p80', 'TCP'), {
    cluster: 'KUBE-SVC-GNZBNJ2PO5MGZ6GT',
    local: 'KUBE-SVL-GNZBNJ2PO5MGZ6GT',
    external: 'KUBE-EXT-GNZBNJ2PO5MGZ6GT',
    firewall: 'KUBE-FW-GNZBNJ2PO5MGZ6GT',
  });
  assert.equal(endpointChainName('ns1/svc1:p80', 'TCP', '10.180.0.1:80'), 'KUBE-SEP-SXIVWICOYRO3J4NJ');
  assert.equal(endpointChainName('ns5/svc5:p80', 'TCP', '10.180.0.3:80'), 'KUBE-SEP-I77PXRDZVX7PMWMN');
  assert.equal(endpointChainName('ns2/svc2:p8080', 'TCP', '10.0.2.1:8080'), 'KUBE-SEP-UHEGFW77JX3KXTOV');
  // The protocol is part of the hash: UDP on the same port gets another chain.
  assert.notEqual(serviceChainNames('ns1/svc1:p80', 'UDP').cluster, 'KUBE-SVC-XPGD46QRK7WJZT7O');
});

test('probabilities: Go "%0.10f" of 1/n (values from TestComputeProbability)', () => {
  const expected: Record<number, string> = {
    1: '1.0000000000',
    2: '0.5000000000',
    10: '0.1000000000',
    100: '0.0100000000',
    1000: '0.0010000000',
    10000: '0.0001000000',
    100000: '0.0000100000',
    100001: '0.0000099999',
  };
  for (const [n, p] of Object.entries(expected)) assert.equal(probability(Number(n)), p, `n=${n}`);
  assert.equal(probability(3), '0.3333333333');
  // 1/2048 = 0.00048828125 is an exact tie: Go rounds half to even.
  assert.equal(probability(2048), '0.0004882812');
  let prev = 0;
  for (let n = 5000; n > 1; n--) {
    const p = Number(probability(n));
    assert.ok(p > prev, `probability(${n}) must grow as n shrinks`);
    prev = p;
  }
});

test('sha256 matches node:crypto (chain names use a small JS implementation)', async () => {
  const { createHash } = await import('node:crypto');
  const { sha256 } = await import('../../src/proxy/iptables/sha256.ts');
  const inputs = [
    '',
    'abc',
    'ns1/svc1:p80tcp',
    'x'.repeat(55),
    'y'.repeat(56),
    'z'.repeat(64),
    'é€😀',
    'ns-1/svc-12345:https-alttcp10.244.12.34:8443',
  ];
  for (let n = 0; n < 200; n++) inputs.push('k'.repeat(n) + n);
  for (const s of inputs)
    assert.equal(Buffer.from(sha256(s)).toString('hex'), createHash('sha256').update(s, 'utf8').digest('hex'), JSON.stringify(s));
});
