// The cache (TTL, capacity, eviction), NodeLocal DNSCache routing, and CoreDNS autopath.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureCluster } from './fixture.ts';
import { CoreDnsServer } from '../../src/dns/server.ts';
import { UpstreamZone } from '../../src/dns/upstream.ts';
import { CachedTransport, DnsCache } from '../../src/dns/cache.ts';
import { NodeLocalDnsCache, NODELOCAL_DNS_IP, podDnsHops } from '../../src/dns/nodelocal.ts';
import { resolve, lookupHost } from '../../src/dns/resolver.ts';
import { AUTOPATH_STEP_COST } from '../../src/dns/capacity.ts';
import type { DnsResponse } from '../../src/dns/types.ts';

const S = 1_000_000_000;
const cluster = fixtureCluster();
const values = (r: { answers: { type: string; value: string }[] }) => r.answers.map((a) => `${a.type} ${a.value}`);

test('cache: a repeat within the TTL is a hit and never reaches the server', () => {
  const server = CoreDnsServer.fromCluster(cluster);
  const cached = new CachedTransport(server);
  const first = resolve('web', { server: cached, namespace: 'app', ctx: { nowNs: 0 } });
  const again = resolve('web', { server: cached, namespace: 'app', ctx: { nowNs: 2 * S } });
  assert.deepEqual(values(again), ['A 10.96.0.20']);
  assert.equal(first.log[0].cache, 'miss');
  assert.equal(again.log[0].cache, 'hit');
  assert.equal(again.work, 0);
  assert.equal(again.answers[0].ttl, 3, 'TTL counts down: 5 s record, 2 s later');
  assert.equal(server.queries, 1);
  assert.deepEqual(cached.cache.stats(), { hits: 1, misses: 1, expired: 0, evictions: 0, entries: 1 });
});

test('cache: an entry lives min(record TTL, max TTL) seconds — 5 s with the plugin default, 30 s with ttl 30', () => {
  const server = CoreDnsServer.fromCluster(cluster); // kubernetes plugin ttl 5
  const cached = new CachedTransport(server, new DnsCache()); // cache 30
  const q = { name: 'web.app.svc.cluster.local.', type: 'A' as const };
  cached.query(q, { nowNs: 0 });
  assert.equal(cached.query(q, { nowNs: 5 * S - 1 }).cache, 'hit');
  assert.equal(cached.query(q, { nowNs: 5 * S }).cache, 'miss');
  assert.equal(cached.cache.expired, 1);

  const kubeadm = CoreDnsServer.fromCluster(cluster, { ttl: 30 }); // kubeadm's Corefile: ttl 30, cache 30
  const c30 = new CachedTransport(kubeadm, new DnsCache());
  c30.query(q, { nowNs: 0 });
  assert.equal(c30.query(q, { nowNs: 29 * S }).cache, 'hit');
  assert.equal(c30.query(q, { nowNs: 30 * S }).cache, 'miss');
  const c10 = new CachedTransport(kubeadm, new DnsCache({ maxTtl: 10 }));
  c10.query(q, { nowNs: 0 });
  assert.equal(c10.query(q, { nowNs: 10 * S }).cache, 'miss');
});

test('cache: negative answers (NXDOMAIN and NODATA) are cached in the denial pool with their own cap', () => {
  const upstream = new UpstreamZone(3600);
  const server = CoreDnsServer.fromCluster(cluster, { upstream });
  const cached = new CachedTransport(server, new DnsCache({ maxTtl: 30, denialMaxTtl: 5 }));
  const nx = { name: 'nosuch.', type: 'A' as const };
  assert.equal(cached.query(nx, { nowNs: 0 }).rcode, 'NXDOMAIN');
  const hit = cached.query(nx, { nowNs: 4 * S });
  assert.equal(hit.cache, 'hit');
  assert.equal(hit.rcode, 'NXDOMAIN');
  assert.equal(cached.query(nx, { nowNs: 5 * S }).cache, 'miss', 'upstream negative TTL 3600 s capped at 5 s');
  const nodata = { name: 'web.app.svc.cluster.local.', type: 'AAAA' as const };
  cached.query(nodata, { nowNs: 0 });
  const h = cached.query(nodata, { nowNs: S });
  assert.equal(h.cache, 'hit');
  assert.equal(h.rcode, 'NOERROR');
  assert.deepEqual(h.answers, []);
});

test('cache: LRU eviction at capacity drops the least recently used entry', () => {
  const cache = new DnsCache({ capacity: 2, eviction: 'lru' });
  const resp = (v: string): DnsResponse => ({
    rcode: 'NOERROR',
    answers: [{ name: `${v}.`, type: 'A', value: '10.0.0.1', ttl: 30 }],
    negativeTtl: 5,
    source: 'cluster',
    work: 1,
  });
  const q = (v: string) => ({ name: `${v}.`, type: 'A' as const });
  cache.put(q('a'), resp('a'), 0);
  cache.put(q('b'), resp('b'), 0);
  assert.ok(cache.get(q('a'), 1)); // a is now the most recent
  cache.put(q('c'), resp('c'), 2);
  assert.equal(cache.get(q('b'), 3), undefined, 'b evicted');
  assert.ok(cache.get(q('a'), 3));
  assert.ok(cache.get(q('c'), 3));
  assert.equal(cache.stats().evictions, 1);
  assert.equal(cache.stats().entries, 2);
});

test('cache: CoreDNS-style eviction (256 shards, random per shard) stays within capacity and repeats per seed', () => {
  const run = (seed: number) => {
    const cache = new DnsCache({ capacity: 1024, eviction: 'coredns', seed });
    for (let i = 0; i < 5000; i++) {
      cache.put(
        { name: `n${i}.example.`, type: 'A' },
        {
          rcode: 'NOERROR',
          answers: [{ name: `n${i}.example.`, type: 'A', value: '10.0.0.1', ttl: 30 }],
          negativeTtl: 5,
          source: 'upstream',
          work: 1,
        },
        0,
      );
    }
    const kept = [];
    for (let i = 0; i < 5000; i++) if (cache.get({ name: `n${i}.example.`, type: 'A' }, 1)) kept.push(i);
    return { stats: cache.stats(), kept };
  };
  const a = run(1);
  assert.ok(a.stats.entries <= 1024 && a.stats.entries > 900, `entries ${a.stats.entries}`);
  assert.equal(a.stats.evictions, 5000 - a.stats.entries);
  assert.deepEqual(run(1).kept, a.kept);
  assert.notDeepEqual(run(2).kept, a.kept);
});

test('NodeLocal DNSCache: cluster names go to CoreDNS on a miss, external names straight upstream, hits stay on the node', () => {
  const upstream = new UpstreamZone().add('example.com', 'A', '192.0.2.80');
  const coredns = CoreDnsServer.fromCluster(cluster, { upstream });
  const local = new NodeLocalDnsCache('node-1', coredns, upstream, { clusterDomain: 'cluster.local' });
  assert.equal(local.address, NODELOCAL_DNS_IP);
  resolve('web', { server: local, namespace: 'app', ctx: { nowNs: 0 } });
  assert.equal(local.lastRoute, 'cluster-dns');
  resolve('web', { server: local, namespace: 'app', ctx: { nowNs: S } });
  assert.equal(local.lastRoute, 'hit');
  assert.equal(coredns.queries, 1);
  const ext = resolve('example.com.', { server: local, namespace: 'app', ctx: { nowNs: 0 } });
  assert.deepEqual(values(ext), ['A 192.0.2.80']);
  assert.equal(local.lastRoute, 'upstream');
  assert.equal(coredns.queries, 1, 'external names skip CoreDNS');
  assert.deepEqual(local.routes, { hit: 1, 'cluster-dns': 1, upstream: 1 });
  // Denial for the cluster zone is capped at 5 s (success at 30 s).
  resolve('nosuch.app.svc.cluster.local.', { server: local, namespace: 'app', ctx: { nowNs: 0 } });
  resolve('nosuch.app.svc.cluster.local.', { server: local, namespace: 'app', ctx: { nowNs: 5 * S } });
  assert.equal(local.lastRoute, 'cluster-dns');
  // Hops: the pod's query is neither DNATed nor conntracked; the miss goes to CoreDNS over TCP via a Service.
  assert.deepEqual(
    NodeLocalDnsCache.hops('hit').map((h) => [h.dst, h.dnat]),
    [[NODELOCAL_DNS_IP, false]],
  );
  assert.deepEqual(NodeLocalDnsCache.hops('cluster-dns')[1], {
    from: 'node-local-dns',
    to: 'coredns',
    dst: 'kube-dns-upstream',
    protocol: 'TCP',
    dnat: true,
  });
  assert.deepEqual(
    podDnsHops({ source: 'cluster' }).map((h) => [h.dst, h.protocol, h.dnat]),
    [['kube-dns', 'UDP', true]],
  );
  assert.equal(podDnsHops({ source: 'upstream' }).length, 2);
});

test('autopath: the server walks the search path; the client sends one query and gets a CNAME + answer', () => {
  const upstream = new UpstreamZone().add('example.com', 'A', '192.0.2.80');
  const server = CoreDnsServer.fromCluster(cluster, { upstream, autopath: true, autopathHostSearch: ['corp.example'] });
  const r = resolve('web.other', { server, namespace: 'app', hostSearch: ['corp.example'] });
  assert.deepEqual(r.queries, ['web.other.app.svc.cluster.local.']);
  assert.deepEqual(
    r.answers.map((a) => `${a.name} ${a.type} ${a.value}`),
    ['web.other.app.svc.cluster.local. CNAME web.other.svc.cluster.local.', 'web.other.svc.cluster.local. A 10.96.0.30'],
  );
  assert.equal(r.work, 1 + AUTOPATH_STEP_COST);
  // External: 5 server-side steps (3 cluster, 1 host domain, the bare name), 1 client query instead of 3 + 1 + 1.
  const ext = resolve('example.com', { server, namespace: 'app', hostSearch: ['corp.example'] });
  assert.equal(ext.amplification, 1);
  assert.deepEqual(values(ext), ['CNAME example.com.', 'A 192.0.2.80']);
  assert.ok(Math.abs(ext.work - (1 + 4 * AUTOPATH_STEP_COST)) < 1e-12);
  // getaddrinfo: A and AAAA, one each.
  assert.equal(lookupHost('web', { server, namespace: 'app' }).amplification, 2);
  // Autopath stops at NODATA too, so AAAA for a service returns NODATA and the client keeps searching.
  const aaaa = resolve('web', { server, namespace: 'app', type: 'AAAA' });
  assert.equal(aaaa.amplification, 4);
  // Unknown everywhere: autopath returns the first NXDOMAIN and the client walks the rest itself.
  assert.equal(resolve('nosuch', { server, namespace: 'app' }).amplification, 4);
  // Without the client's namespace (CoreDNS cannot find the pod) there is no autopath.
  assert.equal(server.query({ name: 'web.other.app.svc.cluster.local.', type: 'A' }).rcode, 'NXDOMAIN');
});
