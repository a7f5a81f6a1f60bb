// A real node's iptables-save output (test/fixtures/iptables/overall.node-save.txt: kube-proxy's
// expected TestOverallIPTablesRules ruleset with its jump rules, iptables-save comments and
// counters, a DROP policy and a CNI chain) loads, saves back byte for byte, and traces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { lintRuleset, parseIptablesSave } from '../../src/netfilter/index.ts';
import { IptablesDumpPlane } from '../../src/proxy/iptables/dump-plane.ts';
import { parseIPv4 } from '../../src/util/ipv4.ts';
import { InputError } from '../../src/util/errors.ts';
import {
  LOCAL_IPS,
  tracerOutput,
  testExternalClient,
  testExternalClientBlocked,
  testNodeIP,
  type FlowTest,
} from './kube-proxy-test-env.ts';

const file = new URL('../fixtures/iptables/overall.node-save.txt', import.meta.url).pathname;
const text = readFileSync(file, 'utf8');
const nodeIPs = [...LOCAL_IPS].filter((ip) => ip !== '127.0.0.1').map(parseIPv4);

test('iptables-save dump: loads and saves back byte-identically', () => {
  const plane = new IptablesDumpPlane(text, nodeIPs);
  assert.equal(plane.render('iptables-save'), text);
  const stats = plane.stats();
  assert.equal(stats.iptables_rules, text.split('\n').filter((l) => /^(\[\d+:\d+\] )?-A /.test(l)).length);
  // Only the CNI rule with `-m set` is beyond a dump: its set's contents are not in it (nfacct is handled by the adapter).
  assert.deepEqual(
    lintRuleset(parseIptablesSave(text))
      .filter((i) => !i.message.includes('nfacct'))
      .map((i) => `${i.chain}#${i.index}`),
    ['CNI-FORWARD#2'],
  );
});

test('iptables-save dump: packets trace as kube-proxy expects, plus the DROP policy', () => {
  const plane = new IptablesDumpPlane(text, nodeIPs);
  const cases: FlowTest[] = [
    { name: 'single endpoint', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: '10.180.0.1:80' },
    { name: 'multiple endpoints', sourceIP: '10.0.0.2', destIP: '172.30.0.44', destPort: 80, output: '10.180.0.4:80, 10.180.0.5:80' },
    { name: 'LOCAL, KUBE-MARK-MASQ', sourceIP: testNodeIP, destIP: '192.168.99.22', destPort: 80, output: '10.180.0.2:80', masq: true },
    { name: 'DROP', sourceIP: testExternalClient, destIP: '192.168.99.22', destPort: 80, output: 'DROP' },
    { name: 'ACCEPT (NodePortHealthCheck)', sourceIP: testNodeIP, destIP: testNodeIP, destPort: 30000, output: 'ACCEPT' },
    { name: 'REJECT', sourceIP: '10.0.0.2', destIP: '172.30.0.46', destPort: 80, output: 'REJECT' },
    { name: 'LB source range blocked', sourceIP: testExternalClientBlocked, destIP: '5.6.7.8', destPort: 80, output: 'DROP' },
    {
      name: 'external to NodePort, masqueraded',
      sourceIP: testExternalClient,
      destIP: testNodeIP,
      destPort: 3003,
      output: '10.180.0.3:80',
      masq: true,
    },
    // Not a service: pod traffic is accepted by the CNI chain...
    { name: 'pod to pod, accepted by CNI', sourceIP: '10.0.0.2', destIP: '10.180.0.9', destPort: 80, output: 'ACCEPT' },
    // ...an outsider reaching a pod directly falls off FORWARD, whose policy is DROP.
    { name: 'external to pod: FORWARD policy DROP', sourceIP: testExternalClient, destIP: '10.180.0.9', destPort: 80, output: 'DROP' },
  ];
  const failures: string[] = [];
  for (const c of cases) {
    const origin = LOCAL_IPS.has(c.sourceIP) ? 'local' : 'forwarded';
    const r = plane.trace({ src: parseIPv4(c.sourceIP), dst: parseIPv4(c.destIP), proto: 6, sport: 40000, dport: c.destPort }, origin);
    if (tracerOutput(r) !== c.output || r.masquerade !== (c.masq ?? false))
      failures.push(`${c.name}: got ${tracerOutput(r)} masq=${r.masquerade}`);
  }
  assert.deepEqual(failures, []);
});

test('iptables-save dump: a malformed dump is an InputError naming the line', () => {
  const bad = text.replace('-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000', '-A KUBE-MARK-MASQ -j MARK --or-mark');
  assert.throws(
    () => new IptablesDumpPlane(bad, nodeIPs, 0x4000, 'node.txt'),
    (e: unknown) => e instanceof InputError && /node\.txt: line \d+/.test(e.message),
  );
});
