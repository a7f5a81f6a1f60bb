// Records and the pod resolver against a hand-built cluster; every expected answer and query
// list below is worked out by hand from the fixture (test/dns/fixture.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureCluster } from './fixture.ts';
import { CoreDnsServer } from '../../src/dns/server.ts';
import { UpstreamZone } from '../../src/dns/upstream.ts';
import { lookupHost, resolve, type ResolveOptions, searchCandidates, podResolvConf } from '../../src/dns/resolver.ts';
import { ClusterZone } from '../../src/dns/zone.ts';
import { InputError } from '../../src/util/errors.ts';

const cluster = fixtureCluster();
const server = CoreDnsServer.fromCluster(cluster);
const run = (name: string, extra: Partial<ResolveOptions> = {}) => resolve(name, { server, namespace: 'app', ...extra });
const values = (r: { answers: { type: string; value: string }[] }) => r.answers.map((a) => `${a.type} ${a.value}`);

test('short name: the first search domain answers with the ClusterIP', () => {
  const r = run('web');
  assert.equal(r.rcode, 'NOERROR');
  assert.deepEqual(values(r), ['A 10.96.0.20']);
  assert.equal(r.answers[0].name, 'web.app.svc.cluster.local.');
  assert.deepEqual(r.queries, ['web.app.svc.cluster.local.']);
  assert.equal(r.amplification, 1);
});

test('svc.ns: the first candidate misses, svc.<domain> answers (2 queries)', () => {
  const r = run('web.other');
  assert.deepEqual(values(r), ['A 10.96.0.30']);
  assert.deepEqual(r.queries, ['web.other.app.svc.cluster.local.', 'web.other.svc.cluster.local.']);
});

test('trailing dot: absolute, exactly one query', () => {
  const r = run('web.other.svc.cluster.local.');
  assert.deepEqual(values(r), ['A 10.96.0.30']);
  assert.deepEqual(r.queries, ['web.other.svc.cluster.local.']);
});

test('a full name without the trailing dot has 4 dots < ndots 5: the whole search list first', () => {
  const r = run('web.other.svc.cluster.local', { hostSearch: ['corp.example'] });
  assert.deepEqual(values(r), ['A 10.96.0.30']);
  assert.deepEqual(r.queries, [
    'web.other.svc.cluster.local.app.svc.cluster.local.',
    'web.other.svc.cluster.local.svc.cluster.local.',
    'web.other.svc.cluster.local.cluster.local.',
    'web.other.svc.cluster.local.corp.example.',
    'web.other.svc.cluster.local.',
  ]);
});

test("the same short name from another namespace resolves to that namespace's service", () => {
  assert.deepEqual(values(resolve('web', { server, namespace: 'other' })), ['A 10.96.0.30']);
});

test('names are case-insensitive; answers echo the name as asked', () => {
  const r = run('WEB.Other.SVC.cluster.LOCAL.');
  assert.deepEqual(values(r), ['A 10.96.0.30']);
  assert.equal(r.answers[0].name, 'WEB.Other.SVC.cluster.LOCAL.');
  assert.deepEqual(values(run('_HTTP._TCP.Web', { type: 'SRV' })), ['SRV 0 100 80 web.app.svc.cluster.local.']);
});

test('external name, ndots 5, 2 host search domains: A and AAAA each cost 3 + 2 + 1 queries, in order', () => {
  const upstream = new UpstreamZone().add('example.com', 'A', '192.0.2.80');
  const s = CoreDnsServer.fromCluster(cluster, { upstream });
  const hostSearch = ['corp.example', 'lab.example'];
  const order = [
    'example.com.app.svc.cluster.local.',
    'example.com.svc.cluster.local.',
    'example.com.cluster.local.',
    'example.com.corp.example.',
    'example.com.lab.example.',
    'example.com.',
  ];
  const a = resolve('example.com', { server: s, namespace: 'app', hostSearch, type: 'A' });
  const aaaa = resolve('example.com', { server: s, namespace: 'app', hostSearch, type: 'AAAA' });
  assert.deepEqual(a.queries, order);
  assert.deepEqual(aaaa.queries, order);
  assert.equal(a.amplification + aaaa.amplification, 2 * (3 + hostSearch.length + 1));
  assert.deepEqual(values(a), ['A 192.0.2.80']);
  assert.deepEqual(
    a.log.map((q) => q.source),
    ['cluster', 'cluster', 'cluster', 'upstream', 'upstream', 'upstream'],
  );
  // No AAAA record: the last (absolute) answer is NODATA, and that is the lookup's result.
  assert.equal(aaaa.rcode, 'NOERROR');
  assert.deepEqual(aaaa.answers, []);
  // getaddrinfo sends A and AAAA together per candidate: the same 12 queries, paired.
  const both = lookupHost('example.com', { server: s, namespace: 'app', hostSearch });
  assert.equal(both.amplification, 12);
  assert.deepEqual(
    both.queries,
    order.flatMap((n) => [n, n]),
  );
  assert.deepEqual(
    both.log.slice(0, 2).map((q) => q.type),
    ['A', 'AAAA'],
  );
  assert.deepEqual(values(both), ['A 192.0.2.80']);
});

test('getaddrinfo for a service: A answers at the first candidate, so 2 queries (A + AAAA NODATA)', () => {
  const r = lookupHost('web', { server, namespace: 'app' });
  assert.deepEqual(r.queries, ['web.app.svc.cluster.local.', 'web.app.svc.cluster.local.']);
  assert.deepEqual(values(r), ['A 10.96.0.20']);
});

test('headless service: ready endpoints only; per-endpoint names by hostname or dashed IP', () => {
  assert.deepEqual(values(run('db')), ['A 10.244.1.7', 'A 10.244.2.8', 'A 10.244.3.9']);
  assert.deepEqual(values(run('db-0.db')), ['A 10.244.1.7']);
  assert.deepEqual(run('db-0.db').queries, ['db-0.db.app.svc.cluster.local.']);
  assert.deepEqual(values(run('10-244-3-9.db')), ['A 10.244.3.9']);
  // db-3 is not ready: no record, so the whole search list is walked.
  const notReady = run('db-3.db');
  assert.equal(notReady.rcode, 'NXDOMAIN');
  assert.equal(notReady.amplification, 4);
  // Endpoint names exist for ClusterIP services too (CoreDNS answers endpoint queries for any service).
  assert.deepEqual(values(run('10-244-1-5.web')), ['A 10.244.1.5']);
});

test('headless with publishNotReadyAddresses publishes not-ready endpoints; without endpoints it is NXDOMAIN', () => {
  assert.deepEqual(values(run('peers')), ['A 10.244.1.11', 'A 10.244.1.12']);
  const empty = run('empty.app.svc.cluster.local.');
  assert.equal(empty.rcode, 'NXDOMAIN');
});

test('ExternalName: CNAME to the external name; chased when the target is in the cluster', () => {
  assert.deepEqual(values(run('ext', { type: 'CNAME' })), ['CNAME api.example.org.']);
  // A question: CNAME, plus whatever upstream knows of the target (here nothing).
  assert.deepEqual(values(run('ext')), ['CNAME api.example.org.']);
  const up = CoreDnsServer.fromCluster(cluster, { upstream: new UpstreamZone().add('api.example.org', 'A', '198.51.100.7') });
  assert.deepEqual(values(resolve('ext', { server: up, namespace: 'app' })), ['CNAME api.example.org.', 'A 198.51.100.7']);
  const alias = run('alias');
  assert.deepEqual(values(alias), ['CNAME web.app.svc.cluster.local.', 'A 10.96.0.20']);
  assert.deepEqual(
    alias.answers.map((a) => a.name),
    ['alias.app.svc.cluster.local.', 'web.app.svc.cluster.local.'],
  );
  assert.equal(alias.amplification, 1);
});

test('SRV: per named port (lowercase proto), CoreDNS weights, headless targets per endpoint', () => {
  assert.deepEqual(values(run('_http._tcp.web', { type: 'SRV' })), ['SRV 0 100 80 web.app.svc.cluster.local.']);
  // Every port at the service name: two records, weight floor(100/2).
  assert.deepEqual(values(run('web', { type: 'SRV' })), [
    'SRV 0 50 80 web.app.svc.cluster.local.',
    'SRV 0 50 9090 web.app.svc.cluster.local.',
  ]);
  // Headless: one per ready endpoint, with the endpoint port; weight floor(100/3) = 33.
  assert.deepEqual(values(run('_pg._tcp.db', { type: 'SRV' })), [
    'SRV 0 33 5432 db-0.db.app.svc.cluster.local.',
    'SRV 0 33 5432 db-1.db.app.svc.cluster.local.',
    'SRV 0 33 5432 10-244-3-9.db.app.svc.cluster.local.',
  ]);
  assert.deepEqual(values(run('_gossip._udp.peers', { type: 'SRV' })).length, 2);
  // Wrong protocol: no such name.
  assert.equal(run('_http._udp.web.app.svc.cluster.local.', { type: 'SRV' }).rcode, 'NXDOMAIN');
});

test('PTR: ClusterIP → service, endpoint IP → endpoint name; an IP is sent as one absolute in-addr.arpa query', () => {
  const r = run('10.96.0.20', { type: 'PTR' });
  assert.deepEqual(values(r), ['PTR web.app.svc.cluster.local.']);
  assert.deepEqual(r.queries, ['20.0.96.10.in-addr.arpa.']);
  assert.deepEqual(values(run('20.0.96.10.in-addr.arpa', { type: 'PTR' })), ['PTR web.app.svc.cluster.local.']);
  assert.deepEqual(values(run('10.244.1.7', { type: 'PTR' })), ['PTR db-0.db.app.svc.cluster.local.']);
  assert.deepEqual(values(run('10.244.1.5', { type: 'PTR' })), ['PTR 10-244-1-5.web.app.svc.cluster.local.']);
  const unknown = run('10.96.9.9', { type: 'PTR' });
  assert.equal(unknown.rcode, 'NXDOMAIN');
  assert.deepEqual(
    unknown.log.map((q) => q.source),
    ['upstream'],
  );
});

test('AAAA for an IPv4-only service is NODATA (NOERROR, no answers), not NXDOMAIN', () => {
  const abs = run('web.app.svc.cluster.local.', { type: 'AAAA' });
  assert.equal(abs.rcode, 'NOERROR');
  assert.deepEqual(abs.answers, []);
  assert.equal(abs.amplification, 1);
  // Short name: glibc keeps searching after NODATA, then reports NODATA.
  const short = run('web', { type: 'AAAA' });
  assert.equal(short.rcode, 'NOERROR');
  assert.deepEqual(short.queries, ['web.app.svc.cluster.local.', 'web.svc.cluster.local.', 'web.cluster.local.', 'web.']);
  assert.deepEqual(
    short.log.map((q) => q.rcode),
    ['NOERROR', 'NXDOMAIN', 'NXDOMAIN', 'NXDOMAIN'],
  );
});

test('unknown name: NXDOMAIN after the whole search list and the name as is', () => {
  const r = run('nosuch', { hostSearch: ['corp.example'] });
  assert.equal(r.rcode, 'NXDOMAIN');
  assert.deepEqual(r.queries, [
    'nosuch.app.svc.cluster.local.',
    'nosuch.svc.cluster.local.',
    'nosuch.cluster.local.',
    'nosuch.corp.example.',
    'nosuch.',
  ]);
  assert.ok(r.log.every((q) => q.rcode === 'NXDOMAIN'));
});

test('ndots: at or above it the name goes as is first', () => {
  assert.deepEqual(run('web.other', { ndots: 1 }).queries, [
    'web.other.',
    'web.other.app.svc.cluster.local.',
    'web.other.svc.cluster.local.',
  ]);
  assert.deepEqual(run('web', { ndots: 0 }).queries, ['web.', 'web.app.svc.cluster.local.']);
  // As-is first and everything fails: the result is the as-is answer's rcode.
  assert.equal(run('nosuch.example', { ndots: 1 }).rcode, 'NXDOMAIN');
  assert.deepEqual(searchCandidates('a.b', podResolvConf('app', 'cluster.local', [], 2)).candidates.at(-1), 'a.b');
});

test('namespace and apex names exist without records (NODATA); unknown namespaces are NXDOMAIN', () => {
  for (const n of ['app.svc.cluster.local.', 'svc.cluster.local.', 'cluster.local.', 'default.svc.cluster.local.']) {
    const r = run(n);
    assert.equal(r.rcode, 'NOERROR', n);
    assert.deepEqual(r.answers, [], n);
  }
  assert.equal(run('nosuchns.svc.cluster.local.').rcode, 'NXDOMAIN');
});

test('pod records: insecure answers any dashed IP in an existing namespace; verified only pods; disabled none', () => {
  assert.deepEqual(values(run('10-1-2-3.app.pod.cluster.local.')), ['A 10.1.2.3']);
  assert.equal(run('10-1-2-3.nosuchns.pod.cluster.local.').rcode, 'NXDOMAIN');
  const verified = CoreDnsServer.fromCluster(cluster, { pods: 'verified' });
  assert.deepEqual(values(resolve('10-244-1-5.app.pod.cluster.local.', { server: verified, namespace: 'app' })), ['A 10.244.1.5']);
  assert.equal(resolve('10-1-2-3.app.pod.cluster.local.', { server: verified, namespace: 'app' }).rcode, 'NXDOMAIN');
  const disabled = CoreDnsServer.fromCluster(cluster, { pods: 'disabled' });
  assert.equal(resolve('10-244-1-5.app.pod.cluster.local.', { server: disabled, namespace: 'app' }).rcode, 'NXDOMAIN');
});

test('the cluster domain comes from the cluster config', () => {
  const c = fixtureCluster();
  c.config = { ...c.config, clusterDomain: 'corp.internal' };
  const s = CoreDnsServer.fromCluster(c);
  const r = resolve('web', { server: s, namespace: 'app', clusterDomain: 'corp.internal' });
  assert.deepEqual(values(r), ['A 10.96.0.20']);
  assert.deepEqual(r.queries, ['web.app.svc.corp.internal.']);
  assert.equal(run('web.app.svc.cluster.local.', { server: s }).rcode, 'NXDOMAIN');
});

test('the zone is indexed once by FQDN: lookups are Map gets', () => {
  const zone = new ClusterZone(cluster);
  assert.equal(zone.lookup('web.app.svc.cluster.local'), zone.lookup('web.app.svc.cluster.local'));
  assert.deepEqual(zone.lookup('web.app.svc.cluster.local')?.a, ['10.96.0.20']);
  assert.equal(zone.lookup('nope.app.svc.cluster.local'), undefined);
  assert.ok(zone.size > 20);
});

test('an IPv4 literal for A is answered by the resolver with no query; bad names and ndots throw InputError', () => {
  const r = run('10.1.2.3');
  assert.deepEqual(values(r), ['A 10.1.2.3']);
  assert.deepEqual(r.queries, []);
  assert.throws(() => run('bad name'), InputError);
  assert.throws(() => run('web', { ndots: 16 }), InputError);
  assert.throws(() => run('web', { hostSearch: ['not a domain'] }), InputError);
});
