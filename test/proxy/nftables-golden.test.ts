// kube-proxy's TestOverallNFTablesRules (pkg/proxy/nftables/proxier_test.go, kubernetes commit
// 81810de6): the six services of TestOverallIPTablesRules (test/fixtures/iptables/
// overall.cluster.json) on the fake proxier (nodePortAddresses 192.168.0.2/32, local-traffic
// detector 10.0.0.0/8, service CIDR 172.30.0.0/16) give this table, compared as the test
// compares (assertNFTablesTransactionEqual: sorted by object type and name, rule order kept).
// The expected text is written from what the test states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readClusterFile } from '../../src/cluster/k8s-io.ts';
import { endpointChainNameBase, servicePortChainNameBase } from '../../src/proxy/nftables/names.ts';
import { NftablesDataPlane } from '../../src/proxy/nftables/data-plane.ts';
import { BASE_RULES, dedent, nftConfig, sortNFTablesTransaction } from './nftables-test-env.ts';

const OVERALL = dedent(`
  # svc1
  add chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80
  add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
  add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 }

  add chain ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
  add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 ip saddr 10.180.0.1 jump mark-for-masquerade
  add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 meta l4proto tcp dnat to 10.180.0.1:80

  add element ip kube-proxy cluster-ips { 172.30.0.41 }
  add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }

  # svc2
  add chain ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80
  add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 ip daddr 172.30.0.42 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
  add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 }
  add chain ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80
  add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"
  add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"
  add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit local traffic"
  add chain ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80
  add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 ip saddr 10.180.0.2 jump mark-for-masquerade
  add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 meta l4proto tcp dnat to 10.180.0.2:80

  add element ip kube-proxy cluster-ips { 172.30.0.42 }
  add element ip kube-proxy service-ips { 172.30.0.42 . tcp . 80 : goto service-42NFTM6N-ns2/svc2/tcp/p80 }
  add element ip kube-proxy service-ips { 192.168.99.22 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
  add element ip kube-proxy service-ips { 1.2.3.4 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
  add element ip kube-proxy service-nodeports { tcp . 3001 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }

  add element ip kube-proxy no-endpoint-nodeports { tcp . 3001 comment "ns2/svc2:p80" : drop }
  add element ip kube-proxy no-endpoint-services { 1.2.3.4 . tcp . 80 comment "ns2/svc2:p80" : drop }
  add element ip kube-proxy no-endpoint-services { 192.168.99.22 . tcp . 80 comment "ns2/svc2:p80" : drop }

  # svc3
  add chain ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80
  add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 ip daddr 172.30.0.43 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
  add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 }
  add chain ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80
  add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 jump mark-for-masquerade
  add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 goto service-4AT6LBPK-ns3/svc3/tcp/p80
  add chain ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80
  add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
  add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80

  add element ip kube-proxy cluster-ips { 172.30.0.43 }
  add element ip kube-proxy service-ips { 172.30.0.43 . tcp . 80 : goto service-4AT6LBPK-ns3/svc3/tcp/p80 }
  add element ip kube-proxy service-nodeports { tcp . 3003 : goto external-4AT6LBPK-ns3/svc3/tcp/p80 }

  # svc4
  add chain ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80
  add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 ip daddr 172.30.0.44 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
  add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 , 1 : goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 }
  add chain ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80
  add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 jump mark-for-masquerade
  add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 goto service-LAUZTJTB-ns4/svc4/tcp/p80
  add chain ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80
  add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 ip saddr 10.180.0.5 jump mark-for-masquerade
  add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 meta l4proto tcp dnat to 10.180.0.5:80
  add chain ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
  add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 ip saddr 10.180.0.4 jump mark-for-masquerade
  add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 meta l4proto tcp dnat to 10.180.0.4:80

  add element ip kube-proxy cluster-ips { 172.30.0.44 }
  add element ip kube-proxy service-ips { 172.30.0.44 . tcp . 80 : goto service-LAUZTJTB-ns4/svc4/tcp/p80 }
  add element ip kube-proxy service-ips { 192.168.99.33 . tcp . 80 : goto external-LAUZTJTB-ns4/svc4/tcp/p80 }

  # svc5
  add set ip kube-proxy affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }
  add chain ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80
  add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip daddr 172.30.0.45 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
  add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
  add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 }
  add chain ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80
  add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 jump mark-for-masquerade
  add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 goto service-HVFWP5L3-ns5/svc5/tcp/p80

  add chain ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
  add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
  add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 update @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { ip saddr }
  add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80

  add chain ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80
  add rule ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr != { 203.0.113.0/25 } drop

  add element ip kube-proxy cluster-ips { 172.30.0.45 }
  add element ip kube-proxy service-ips { 172.30.0.45 . tcp . 80 : goto service-HVFWP5L3-ns5/svc5/tcp/p80 }
  add element ip kube-proxy service-ips { 5.6.7.8 . tcp . 80 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
  add element ip kube-proxy service-nodeports { tcp . 3002 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
  add element ip kube-proxy firewall-ips { 5.6.7.8 . tcp . 80 : goto firewall-HVFWP5L3-ns5/svc5/tcp/p80 }

  # svc6
  add element ip kube-proxy cluster-ips { 172.30.0.46 }
  add element ip kube-proxy no-endpoint-services { 172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }
`);

const fixture = (name: string) => new URL(`../fixtures/iptables/${name}`, import.meta.url).pathname;

function overallPlane(): NftablesDataPlane {
  return new NftablesDataPlane(readClusterFile(fixture('overall.cluster.json')).cluster, nftConfig());
}

test('golden: TestOverallNFTablesRules, the table equals kube-proxy’s after its sort', () => {
  assert.equal(sortNFTablesTransaction(overallPlane().render('nft-state')), sortNFTablesTransaction(BASE_RULES + OVERALL));
});

test('golden comparison fails on a one-character difference and on a reordered rule (the test can fail)', () => {
  const got = sortNFTablesTransaction(overallPlane().render('nft-state'));
  assert.notEqual(got, sortNFTablesTransaction(BASE_RULES + OVERALL.replace('mod 2 vmap', 'mod 3 vmap')));
  const swapped = BASE_RULES.replace(
    'add rule ip kube-proxy masquerading mark and 0x4000 == 0 return\nadd rule ip kube-proxy masquerading mark set mark xor 0x4000',
    'add rule ip kube-proxy masquerading mark set mark xor 0x4000\nadd rule ip kube-proxy masquerading mark and 0x4000 == 0 return',
  );
  assert.notEqual(swapped, BASE_RULES);
  assert.notEqual(got, sortNFTablesTransaction(swapped + OVERALL));
});

test('sortNFTablesTransaction: kube-proxy’s Test_sortNFTablesTransaction ordering', () => {
  const input = dedent(`
    add table ip testing { comment "rules for kube-proxy" ; }
    add chain ip testing mark-for-masquerade
    add rule ip testing mark-for-masquerade mark set mark or 0x4000
    add chain ip testing masquerading
    add rule ip testing masquerading mark and 0x4000 == 0 return
    add rule ip testing masquerading mark set mark xor 0x4000
    add set ip testing firewall { type ipv4_addr . inet_proto . inet_service ; }
    add element ip testing service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }
    add element ip testing service-ips { 1.2.3.4 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
  `);
  assert.equal(
    sortNFTablesTransaction(input),
    [
      'add table ip testing { comment "rules for kube-proxy" ; }',
      'add chain ip testing mark-for-masquerade',
      'add chain ip testing masquerading',
      'add rule ip testing mark-for-masquerade mark set mark or 0x4000',
      'add rule ip testing masquerading mark and 0x4000 == 0 return',
      'add rule ip testing masquerading mark set mark xor 0x4000',
      'add set ip testing firewall { type ipv4_addr . inet_proto . inet_service ; }',
      'add element ip testing service-ips { 1.2.3.4 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }',
      'add element ip testing service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }',
    ].join('\n'),
  );
});

test('names: Test_servicePortChainNameBase and Test_servicePortEndpointChainNameBase (IPv4 cases)', () => {
  assert.equal(servicePortChainNameBase('testing', 'service', 'tcp', 'http'), 'P4ZYZVCF-testing/service/tcp/http');
  assert.equal(servicePortChainNameBase('testing', 'service', 'tcp', 'https'), 'LZBRENCP-testing/service/tcp/https');
  const ns = 'very-long-namespace-name-abcdefghijklmnopqrstuvwxyz0123456789xx';
  const svc = 'very-long-service-name-why-would-you-even-do-this-i-mean-really';
  const port = 'port-443-providing-the-hypertext-transmission-protocol-with-tls';
  assert.equal(servicePortChainNameBase(ns, svc, 'sctp', port), `KR6NACJP-${ns}/${svc}/sctp/${port}`);
  assert.equal(
    endpointChainNameBase('testing', 'service', 'tcp', 'http', '10.180.0.1:80'),
    'JO2XBXZR-testing/service/tcp/http__10.180.0.1/80',
  );
  assert.equal(
    endpointChainNameBase('testing', 'service', 'tcp', 'http', '10.180.0.2:80'),
    '5S6H3H22-testing/service/tcp/http__10.180.0.2/80',
  );
});

test("render('nft') is the full-sync transaction: table, add+delete of base chains once, flushes, every object", () => {
  const text = overallPlane().render('nft');
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], 'add table ip kube-proxy { comment "rules for kube-proxy" ; }');
  assert.deepEqual(lines.slice(1, 3), [
    'add chain ip kube-proxy filter-prerouting-pre-dnat',
    'delete chain ip kube-proxy filter-prerouting-pre-dnat',
  ]);
  assert.ok(lines.includes('flush map ip kube-proxy service-ips'));
  assert.ok(lines.includes('flush chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80'));
  // nodePortAddresses is set: nodeport-ips is flushed and filled, not deleted.
  assert.ok(lines.includes('flush set ip kube-proxy nodeport-ips'));
  assert.ok(!lines.includes('delete set ip kube-proxy nodeport-ips'));
  // Every line of the table's state is in the transaction.
  const state = overallPlane().render('nft-state').trimEnd().split('\n');
  for (const l of state) assert.ok(lines.includes(l), l);
});

test('the nftables: section gives the mode its masquerade bit and masqueradeAll (not iptables:)', () => {
  const cluster = readClusterFile(fixture('overall.cluster.json')).cluster;
  const rules = (cfg: Record<string, unknown>) => new NftablesDataPlane(cluster, nftConfig(cfg)).render('nft-state');
  const mark = (text: string) => text.split('\n').find((l) => l.startsWith('add rule ip kube-proxy mark-for-masquerade '));
  assert.equal(mark(rules({})), 'add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000');
  assert.equal(mark(rules({ iptables: { masqueradeBit: 15 } })), 'add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000');
  assert.equal(mark(rules({ nftables: { masqueradeBit: 15 } })), 'add rule ip kube-proxy mark-for-masquerade mark set mark or 0x8000');
  const masqAll = 'add rule ip kube-proxy services ip daddr';
  const allRules = rules({ nftables: { masqueradeAll: true } });
  assert.notEqual(allRules, rules({}));
  assert.ok(!rules({}).includes(`${masqAll} 172.30.0.41 tcp dport 80 jump mark-for-masquerade`));
  assert.throws(
    () => nftConfig({ nftables: { masqueradeBits: 15 } }),
    (e: Error) => e.name === 'InputError' && /unknown field masqueradeBits/.test(e.message),
  );
  assert.throws(() => nftConfig({ nftables: { masqueradeBit: 40 } }), /nftables\.masqueradeBit/);
});
