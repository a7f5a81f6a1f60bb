import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupHost, resolve } from '../../src/dns/resolver.ts';
import { CoreDnsServer } from '../../src/dns/server.ts';
import { ClusterNetwork, runJourney, type NetworkOptions } from '../../src/journey/index.ts';
import { parseIPv4 } from '../../src/util/ipv4.ts';
import { CLIENT_POD, COREDNS, KUBE_DNS_VIP, NODE_A, WEB, journeyCluster } from './fixture.ts';
import { PROTO_TCP, PROTO_UDP } from '../../src/util/proto.ts';

const ip = parseIPv4;
const net = (opts: Partial<NetworkOptions> = {}) => new ClusterNetwork(journeyCluster(), { mode: 'iptables', seed: 3, ...opts });
const byName = (name: string) => ({ client: { kind: 'pod' as const, ip: CLIENT_POD }, dst: { name, port: WEB.port } });

// web.app from a pod in app: "web" is found at the first search domain; "web.app" at the second.
for (const name of ['web', 'web.app']) {
  test(`a connection to "${name}" sends its DNS queries through the data plane to kube-dns (as many as the resolver sends)`, () => {
    const n = net();
    const j = runJourney(n, byName(name), 1e9);
    assert.equal(j.outcome, 'delivered');
    assert.equal(j.dst.ip, ip(WEB.vip), 'connects to the address DNS returned');
    const expected = lookupHost(name, { server: CoreDnsServer.fromCluster(journeyCluster()), namespace: 'app' });
    assert.deepEqual(
      j.dns!.queries.map((q) => q.name),
      expected.queries,
    );
    assert.equal(j.dns!.queries.length, expected.amplification);
    for (const q of j.dns!.queries) {
      assert.equal(q.route, 'coredns');
      assert.equal(q.dnat, true, `${q.type} ${q.name} was DNATed`);
      assert.ok(COREDNS.includes(q.replica));
    }
    // One socket per name (A and AAAA together): one rules walk and one UDP entry on node-a per name.
    const names = new Set(expected.queries).size;
    const dnsRules = j.hops.filter(
      (h) => h.phase === 'dns' && h.kind === 'rules' && h.node === NODE_A.name && h.before.dst === ip(KUBE_DNS_VIP),
    );
    assert.equal(dnsRules.length, names);
    const a = n.node(n.topology.node(NODE_A.name)).conntrack;
    const udp = a
      .snapshot(j.cursor)
      .filter((e) => e.proto === PROTO_UDP && e.original.src === ip(CLIENT_POD) && e.original.dst === ip(KUBE_DNS_VIP));
    assert.equal(udp.length, names);
    for (const e of udp) assert.ok(COREDNS.map(ip).includes(e.reply.src), 'the entry maps the VIP to a CoreDNS pod');
    // UDP entries live 30 s: gone 31 s later.
    assert.equal(a.snapshot(j.cursor + 31e9).filter((e) => e.proto === PROTO_UDP).length, 0);
    assert.equal(n.dns.stats.queries, expected.amplification);
    assert.ok(j.dnsNs > 0 && j.totalNs === j.dnsNs + j.requestNs + j.replyNs);
  });
}

test('A-only lookups send what resolve() sends', () => {
  const n = net({ dnsLookup: 'A' });
  const j = runJourney(n, byName('web.app'));
  const expected = resolve('web.app', { server: CoreDnsServer.fromCluster(journeyCluster()), namespace: 'app', type: 'A' });
  assert.deepEqual(
    j.dns!.queries.map((q) => q.name),
    expected.queries,
  );
  assert.ok(j.dns!.queries.every((q) => q.type === 'A'));
});

test('autopath: CoreDNS walks the search path, the pod sends one query per record type', () => {
  const j = runJourney(net({ autopath: true, dnsLookup: 'A' }), byName('web.app'));
  assert.equal(j.outcome, 'delivered');
  assert.equal(j.dns!.queries.length, 1);
});

test("NodeLocal DNSCache: the pod's queries skip the DNAT and conntrack; a cache hit never leaves the node", () => {
  const n = net({ nodeLocalDns: true });
  const first = runJourney(n, byName('web'), 1e9);
  assert.equal(first.outcome, 'delivered');
  assert.ok(first.dns!.queries.length > 0);
  for (const q of first.dns!.queries) assert.equal(q.dnat, false);
  assert.ok(
    first.dns!.queries.some((q) => q.route === 'nodelocal-miss'),
    'a cold cache forwards to CoreDNS',
  );
  // The misses went over TCP from node-a to kube-dns (DNAT there), never from the pod's address.
  const a = n.node(n.topology.node(NODE_A.name)).conntrack;
  const entries = a.snapshot(first.cursor);
  assert.equal(entries.filter((e) => e.original.src === ip(CLIENT_POD) && e.original.dport === 53).length, 0);
  assert.ok(entries.some((e) => e.proto === PROTO_TCP && e.original.src === ip(NODE_A.ip) && e.original.dst === ip(KUBE_DNS_VIP)));
  const dnsRulesFromPod = first.hops.filter((h) => h.phase === 'dns' && h.kind === 'rules' && h.before.src === ip(CLIENT_POD));
  assert.equal(dnsRulesFromPod.length, 0);

  // Two seconds later the same lookup is answered by the node's cache: no rules, no conntrack, no wire.
  const second = runJourney(n, byName('web'), 3e9, 1);
  assert.ok(second.dns!.queries.every((q) => q.route === 'nodelocal-hit'));
  const dnsHops = second.hops.filter((h) => h.phase === 'dns');
  assert.deepEqual([...new Set(dnsHops.map((h) => h.kind))].sort(), ['dns-server', 'veth']);
  assert.ok(second.dnsNs < first.dnsNs);
  assert.equal(n.dns.stats.dnatQueries, 0);
});

test('without NodeLocal DNSCache a repeated lookup still crosses the data plane (each CoreDNS pod has its own cache)', () => {
  const n = net();
  const first = runJourney(n, byName('web'), 1e9);
  const again = runJourney(n, byName('web'), 3e9, 1);
  assert.ok(again.dns!.queries.every((q) => q.dnat));
  const answered = new Set(first.dns!.queries.map((q) => `${q.replica} ${q.type} ${q.name}`));
  for (const q of again.dns!.queries) if (answered.has(`${q.replica} ${q.type} ${q.name}`)) assert.equal(q.cacheHit, true);
  assert.ok(again.hops.some((h) => h.phase === 'dns' && h.kind === 'conntrack'));
});

test('a name that does not resolve ends the journey as dns-failed', () => {
  const j = runJourney(net(), byName('nosuch'));
  assert.equal(j.outcome, 'dns-failed');
  assert.equal(j.podSaw, null);
  assert.equal(j.dns!.address, '');
  assert.equal(j.dns!.queries.length, 8, 'getaddrinfo walks the 3 search domains and the bare name, A and AAAA each');
});
