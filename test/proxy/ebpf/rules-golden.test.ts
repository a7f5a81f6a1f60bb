// `kpsim rules --mode ebpf` on kube-proxy's TestOverallIPTablesRules cluster: the maps as
// `cilium-dbg service list`, `cilium-dbg bpf lb list` and `... --backends` print them. The
// expected files were checked by hand against the layout of those commands in Cilium's
// documentation (kubeproxy-free.rst, "Validate the Setup") and against the cluster: every
// service port's ClusterIP, NodePorts on 0.0.0.0 and each node address, externalIPs, LB IPs;
// eTP=Local services with an empty external scope and a full internal one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { kpsim } from '../../helpers/cli.ts';

const base = [
  '--cluster',
  'test/fixtures/iptables/overall.cluster.json',
  '--proxy-config',
  'test/fixtures/iptables/test-node.kube-proxy.yaml',
];

for (const format of ['service-list', 'bpf-lb-list', 'bpf-lb-backends']) {
  test(`kpsim rules --mode ebpf --format ${format} matches the golden output`, () => {
    const r = kpsim(['rules', ...base, '--mode', 'ebpf', '--format', format]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(`test/fixtures/ebpf/overall.${format}.txt`, 'utf8'));
  });
}

test('kpsim rules --mode ebpf prints the service list by default; an unknown format is an input error', () => {
  assert.equal(kpsim(['rules', ...base, '--mode', 'ebpf']).stdout, readFileSync('test/fixtures/ebpf/overall.service-list.txt', 'utf8'));
  const bad = kpsim(['rules', ...base, '--mode', 'ebpf', '--format', 'iptables-save']);
  assert.equal(bad.status, 2);
  assert.equal(bad.stdout, '');
});
