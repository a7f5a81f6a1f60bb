// Golden `ipvsadm -Ln`, `ipset list` and `iptables-save` output of the IPVS data plane for
// a small cluster (test/fixtures/ipvs/small.*, reviewed by hand against kube-proxy 1.25 and
// ipvsadm's print format; lines keep ipvsadm's trailing padding).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { IpvsDataPlane } from '../../src/proxy/ipvs/index.ts';
import { fakeProxyConfig } from './kube-proxy-test-env.ts';
import { smallIpvsCluster } from './ipvs-small-cluster.ts';

const golden = (name: string) => readFileSync(new URL(`../fixtures/ipvs/${name}`, import.meta.url), 'utf8');
const plane = () => new IpvsDataPlane(smallIpvsCluster(), fakeProxyConfig({ mode: 'ipvs' }));

test('ipvsadm -Ln golden', () => {
  const text = plane().render('ipvsadm');
  assert.equal(text, golden('small.ipvsadm.txt'));
  // Spot checks that do not depend on the golden file.
  assert.ok(
    text.startsWith(
      'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n',
    ),
  );
  assert.ok(text.includes('TCP  10.96.0.1:443 rr\n  -> 192.168.0.2:6443             Masq    1      0          0         \n'));
  assert.ok(text.includes('TCP  10.96.12.34:80 rr persistent 10800\n'));
  // NodePorts on every node address; eTP Local NodePort/LB only to the local endpoint.
  for (const a of ['192.168.0.2', '192.168.1.2', '192.168.99.11']) {
    assert.ok(text.includes(`TCP  ${a}:31443 rr\n  -> 10.244.0.30:8443             Masq    1      0          0         \nTCP`));
  }
  assert.ok(
    text.includes('TCP  10.96.200.7:443 rr\n  -> 10.244.0.30:8443             Masq    1      0          0         \n  -> 10.244.1.31:8443'),
  );
});

test('ipset list golden', () => {
  const text = plane().render('ipset');
  assert.equal(text, golden('small.ipset.txt'));
  assert.equal(text.match(/^Name: /gm)!.length, 16);
  assert.ok(text.includes('Name: KUBE-LOAD-BALANCER-SOURCE-CIDR\nType: hash:ip,port,net\n'));
  assert.ok(text.includes('Members:\n198.51.100.9,tcp:443,203.0.113.0/24\n'));
});

test('iptables-save golden: the fixed ruleset', () => {
  const text = plane().render('iptables-save');
  assert.equal(text, golden('small.iptables-save.txt'));
  assert.ok(
    text.includes(
      '-A KUBE-SERVICES -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ\n',
    ),
  );
  assert.ok(
    text.includes(
      '-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port with externalTrafficPolicy=local" -m set --match-set KUBE-NODE-PORT-LOCAL-TCP dst -j RETURN\n',
    ),
  );
});

test('stats count what the renders show', () => {
  const p = plane();
  const s = p.stats();
  const ipvsadm = p.render('ipvsadm');
  assert.equal(s.ipvs_virtual_servers, (ipvsadm.match(/^(TCP|UDP|SCTP) /gm) ?? []).length);
  assert.equal(s.ipvs_real_servers, (ipvsadm.match(/^ {2}-> \d/gm) ?? []).length);
  assert.equal(s.iptables_rules, (p.render('iptables-save').match(/^-A /gm) ?? []).length);
  assert.equal(s.ipset_entries, 18);
  assert.deepEqual(
    { ...s, ipset_entries: 0 },
    { iptables_rules: 27, iptables_chains: 9, ipset_entries: 0, ipvs_virtual_servers: 12, ipvs_real_servers: 19 },
  );
});

test('masqueradeAll and no local detector change only the KUBE-CLUSTER-IP rule', () => {
  const all = new IpvsDataPlane(smallIpvsCluster(), fakeProxyConfig({ mode: 'ipvs', masqueradeAll: true })).render('iptables-save');
  assert.ok(all.includes('-m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ\n'));
  const none = new IpvsDataPlane(smallIpvsCluster(), fakeProxyConfig({ mode: 'ipvs', clusterCIDR: '' })).render('iptables-save');
  assert.ok(none.includes('-m set --match-set KUBE-CLUSTER-IP src,dst -j KUBE-MARK-MASQ\n'));
  assert.throws(() => plane().render('bogus'), /cannot render/);
});
