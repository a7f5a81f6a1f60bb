// Syncs as kube-proxy's nftables proxier does them: TestSyncProxyRulesRepeated
// (pkg/proxy/nftables/proxier_test.go) transcribed -- after each change, the table equals the
// test's expected dump and the sync's own transaction has the test's number of operations
// (partial syncs write only changed services' chains and diff map elements; stale chains are
// flushed, then deleted by a later sync at least a second on). Plus: sync work and its price.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nftablesMode } from '../../src/proxy/nftables/index.ts';
import { type KernelWalks, kernelWalks, NFT_COSTS } from '../../src/proxy/nftables/pricing.ts';
import { type NftablesDataPlane, syncWorkRecord } from '../../src/proxy/nftables/data-plane.ts';
import type { SyncWork } from '../../src/proxy/types.ts';
import { type EndpointSpec, makeService, makeSlice } from './kube-proxy-test-env.ts';
import { BASE_RULES, dedent, nftCluster, nftConfig, nftPlane, sortNFTablesTransaction } from './nftables-test-env.ts';

const P = 'add rule ip kube-proxy';

/** A ClusterIP service chain and its endpoints' chains, as the test writes them. */
function serviceBlock(chain: string, cip: string, eps: [string, string, number][], stale = false): string {
  const lines = [`add chain ip kube-proxy ${chain}`];
  if (!stale) {
    lines.push(`${P} ${chain} ip daddr ${cip} ip saddr != 10.0.0.0/8 jump mark-for-masquerade`);
    const vmap = eps.map(([c], i) => `${i} : goto ${c}`).join(' , ');
    lines.push(`${P} ${chain} numgen random mod ${eps.length} vmap { ${vmap} }`);
  }
  for (const [c, ip, port] of eps) {
    lines.push(`add chain ip kube-proxy ${c}`);
    if (stale) continue;
    lines.push(`${P} ${c} ip saddr ${ip} jump mark-for-masquerade`, `${P} ${c} meta l4proto tcp dnat to ${ip}:${port}`);
  }
  return lines.join('\n');
}

const SVC1 = 'service-ULMVA6XW-ns1/svc1/tcp/p80';
const SVC2 = 'service-MHHHYRWA-ns2/svc2/tcp/p8080';
const SVC3 = 'service-4AT6LBPK-ns3/svc3/tcp/p80';
const SVC4 = 'service-LAUZTJTB-ns4/svc4/tcp/p80';
const EP1: [string, string, number] = ['endpoint-5TPGNJF2-ns1/svc1/tcp/p80__10.0.1.1/80', '10.0.1.1', 80];
const EP2: [string, string, number] = ['endpoint-7RVP4LUQ-ns2/svc2/tcp/p8080__10.0.2.1/8080', '10.0.2.1', 8080];
const EP31: [string, string, number] = ['endpoint-2OCDJSZQ-ns3/svc3/tcp/p80__10.0.3.1/80', '10.0.3.1', 80];
const EP32: [string, string, number] = ['endpoint-SWWHDC7X-ns3/svc3/tcp/p80__10.0.3.2/80', '10.0.3.2', 80];
const EP33: [string, string, number] = ['endpoint-TQ2QKHCZ-ns3/svc3/tcp/p80__10.0.3.3/80', '10.0.3.3', 80];
const EP4: [string, string, number] = ['endpoint-WAHRBT2B-ns4/svc4/tcp/p80__10.0.4.1/80', '10.0.4.1', 80];

const clusterIP = (ip: string) => `add element ip kube-proxy cluster-ips { ${ip} }`;
const serviceIP = (ip: string, port: number, chain: string) =>
  `add element ip kube-proxy service-ips { ${ip} . tcp . ${port} : goto ${chain} }`;
const noEndpoints = (ip: string, name: string) =>
  `add element ip kube-proxy no-endpoint-services { ${ip} . tcp . 80 comment "${name}" : goto reject-chain }`;

const svc = (ns: string, name: string, ip: string, port: string, number: number) =>
  makeService(ns, name, { type: 'ClusterIP', clusterIP: ip, ports: [{ name: port, port: number, protocol: 'TCP' }] });
const slice = (ns: string, name: string, port: string, number: number, ips: string[]) =>
  makeSlice(
    ns,
    name,
    ips.map((ip): EndpointSpec => ({ ip })),
    [{ name: port, port: number }],
  );

function expectTable(plane: ReturnType<typeof nftPlane>, expected: string, step: string): void {
  assert.equal(sortNFTablesTransaction(plane.render('nft-state')), sortNFTablesTransaction(BASE_RULES + dedent(expected)), step);
}

test('TestSyncProxyRulesRepeated: partial syncs, operation counts, stale chains', () => {
  const objects = new Map<string, unknown>([
    ['svc1', svc('ns1', 'svc1', '172.30.0.41', 'p80', 80)],
    ['svc2', svc('ns2', 'svc2', '172.30.0.42', 'p8080', 8080)],
    ['eps1', slice('ns1', 'svc1', 'p80', 80, ['10.0.1.1'])],
    ['eps2', slice('ns2', 'svc2', 'p8080', 8080, ['10.0.2.1'])],
  ]);
  const plane = nftPlane([...objects.values()]);
  let now = 0;
  const sync = () => {
    plane.setNow(now);
    plane.sync(nftCluster([...objects.values()]));
    return plane.lastWork.syncOperations;
  };
  const age = () => (now += 2);
  assert.equal(plane.lastWork.fullSync, true);
  const s1 = serviceBlock(SVC1, '172.30.0.41', [EP1]);
  expectTable(
    plane,
    [
      clusterIP('172.30.0.41'),
      clusterIP('172.30.0.42'),
      serviceIP('172.30.0.41', 80, SVC1),
      serviceIP('172.30.0.42', 8080, SVC2),
      s1,
      serviceBlock(SVC2, '172.30.0.42', [EP2]),
    ].join('\n'),
    'initial full sync',
  );

  // Add a new service and its endpoints: 2 elements, add+flush 2 chains, 2 rules each.
  objects.set('svc3', svc('ns3', 'svc3', '172.30.0.43', 'p80', 80));
  objects.set('eps3', slice('ns3', 'svc3', 'p80', 80, ['10.0.3.1']));
  assert.equal(sync(), 10);
  assert.equal(plane.lastWork.fullSync, false);

  // Delete a service: its chains are flushed, not deleted: 2 element deletions + 2 flushes.
  objects.delete('svc2');
  assert.equal(sync(), 4);
  const base3 = [
    clusterIP('172.30.0.41'),
    clusterIP('172.30.0.43'),
    serviceIP('172.30.0.41', 80, SVC1),
    serviceIP('172.30.0.43', 80, SVC3),
    s1,
  ];
  expectTable(
    plane,
    [...base3, serviceBlock(SVC2, '', [EP2], true), serviceBlock(SVC3, '172.30.0.43', [EP31])].join('\n'),
    'svc2 deleted, chains stale',
  );

  // A second later the stale chains go, in a transaction of their own.
  age();
  assert.equal(sync(), 0);
  assert.equal(plane.lastWork.chainsDeleted, 2);
  expectTable(plane, [...base3, serviceBlock(SVC3, '172.30.0.43', [EP31])].join('\n'), 'stale chains deleted');

  // A service without endpoints: cluster-ips + no-endpoint-services.
  objects.set('svc4', svc('ns4', 'svc4', '172.30.0.44', 'p80', 80));
  assert.equal(sync(), 2);
  expectTable(
    plane,
    [...base3, clusterIP('172.30.0.44'), serviceBlock(SVC3, '172.30.0.43', [EP31]), noEndpoints('172.30.0.44', 'ns4/svc4:p80')].join('\n'),
    'svc4 without endpoints',
  );

  // Its endpoints: service-ips added, no-endpoint-services deleted, 2 chains written.
  objects.set('eps4', slice('ns4', 'svc4', 'p80', 80, ['10.0.4.1']));
  assert.equal(sync(), 10);

  // An endpoint changes: 2 chains written, the old endpoint chain flushed.
  objects.set('eps3', slice('ns3', 'svc3', 'p80', 80, ['10.0.3.2']));
  assert.equal(sync(), 9);
  const base4 = [...base3, clusterIP('172.30.0.44'), serviceIP('172.30.0.44', 80, SVC4), serviceBlock(SVC4, '172.30.0.44', [EP4])];
  expectTable(
    plane,
    [...base4, serviceBlock(SVC3, '172.30.0.43', [EP32]), `add chain ip kube-proxy ${EP31[0]}`].join('\n'),
    'endpoint changed, old endpoint chain stale',
  );

  // The old chain is deleted before the next sync: 3 chains written (add+flush, 2 rules each).
  age();
  objects.set('eps3', slice('ns3', 'svc3', 'p80', 80, ['10.0.3.2', '10.0.3.3']));
  assert.equal(sync(), 12);
  const full3 = serviceBlock(SVC3, '172.30.0.43', [EP32, EP33]);
  expectTable(plane, [...base4, full3].join('\n'), 'endpoint added');

  // All endpoints gone: service-ips -> no-endpoint-services, 3 chains flushed and stale.
  objects.set('eps3', slice('ns3', 'svc3', 'p80', 80, []));
  assert.equal(sync(), 5);
  assert.deepEqual([...plane.proxier.staleChains.keys()].sort(), [EP32[0], EP33[0], SVC3].sort());
  const withoutSvc3 = base4.map((l) => (l === serviceIP('172.30.0.43', 80, SVC3) ? noEndpoints('172.30.0.43', 'ns3/svc3:p80') : l));
  expectTable(plane, [...withoutSvc3, serviceBlock(SVC3, '', [EP32, EP33], true)].join('\n'), 'endpoints emptied');

  // Back at once: the chains are rewritten and no longer stale.
  objects.set('eps3', slice('ns3', 'svc3', 'p80', 80, ['10.0.3.2', '10.0.3.3']));
  assert.equal(sync(), 14);
  assert.equal(plane.proxier.staleChains.size, 0);
  const restored = [...base4, full3].join('\n');
  expectTable(plane, restored, 'endpoints restored');

  // Emptied, aged, restored: the chains are deleted first, then created again.
  objects.set('eps3', slice('ns3', 'svc3', 'p80', 80, []));
  sync();
  age();
  objects.set('eps3', slice('ns3', 'svc3', 'p80', 80, ['10.0.3.2', '10.0.3.3']));
  sync();
  assert.equal(plane.lastWork.chainsDeleted, 3);
  expectTable(plane, restored, 'emptied, aged and restored');

  // Nothing changed: an empty transaction.
  assert.equal(sync(), 0);
  expectTable(plane, restored, 'no change');
});

function services(n: number, endpointsOf: (i: number) => string[]): unknown[] {
  const objects: unknown[] = [];
  for (let i = 1; i <= n; i++)
    objects.push(svc(`ns${i}`, `svc${i}`, `172.30.${i >> 8}.${i & 255}`, 'p80', 80), slice(`ns${i}`, `svc${i}`, 'p80', 80, endpointsOf(i)));
  return objects;
}
const twoEndpoints = (i: number) => [`10.1.${i >> 8}.${i & 255}`, `10.2.${i >> 8}.${i & 255}`];
const work = (w: SyncWork) => w;

test('a partial sync rewrites only the changed service; the "full" variant rewrites everything every time', () => {
  const before = nftCluster(services(100, twoEndpoints));
  const after = nftCluster(services(100, (i) => (i === 5 ? ['10.9.9.9'] : twoEndpoints(i))));
  const plane = nftablesMode.build(before, nftConfig()) as NftablesDataPlane;
  const partial = work(plane.sync(after));
  assert.equal(partial.full_sync, 0);
  assert.equal(partial.service_ports, 100);
  assert.equal(partial.services_written, 1);
  // svc5: its chain (add+flush, 2 rules) and one new endpoint chain (add+flush, 2 rules), two
  // old endpoint chains flushed, one service-ips element unchanged (same chain).
  assert.equal(partial.nft_operations, 10);
  assert.equal(partial.chains_flushed, 4);
  const fullOnly = nftablesMode.build(before, nftConfig(), { variant: 'full' }) as NftablesDataPlane;
  const full = work(fullOnly.sync(after));
  assert.equal(full.full_sync, 1);
  assert.equal(full.services_written, 100);
  assert.ok(full.nft_operations > 100 * partial.nft_operations, `${full.nft_operations} vs ${partial.nft_operations}`);
  const price = (w: Readonly<Record<string, number>>) => nftablesMode.pricing.syncNs({}, w, { iptablesProfile: 'modern' });
  assert.ok(price(full) > 1.5 * price(partial), `${price(full)} vs ${price(partial)}`);
  // Same table either way.
  assert.equal(sortNFTablesTransaction(plane.render('nft-state')), sortNFTablesTransaction(fullOnly.render('nft-state')));
});

test("a full load's kernel work is quadratic in services (commit-list and set-list walks), what a sync reports linear", () => {
  const load = (n: number) =>
    work(nftablesMode.build(nftCluster(services(n, twoEndpoints)), nftConfig()).sync(nftCluster(services(n, twoEndpoints))));
  // The first sync of a plane built on the cluster is the full load; sync() again is a no-op partial one.
  const first = (n: number) => syncWorkOf(nftablesMode.build(nftCluster(services(n, twoEndpoints)), nftConfig()) as NftablesDataPlane);
  const a = first(1000);
  const b = first(2000);
  // Every reported count adds up service by service (what the control plane's work model needs)...
  for (const k of ['nft_operations', 'commit_entries', 'set_list_walks', 'anonymous_sets_created', 'table_objects']) {
    const ratio = b[k] / a[k];
    assert.ok(ratio > 1.9 && ratio < 2.1, `${k} x${ratio}`);
  }
  assert.equal(a.anonymous_sets_created, 1000);
  // ...and the walks priced from them grow as the square.
  const ka = kernelWalks(a);
  const kb = kernelWalks(b);
  const r = (k: keyof KernelWalks) => kb[k] / ka[k];
  assert.ok(r('commitListVisits') > 3.8 && r('commitListVisits') < 4.2, `commit list x${r('commitListVisits')}`);
  assert.ok(r('setNameCompares') > 3.5 && r('setNameCompares') < 4.2, `set list x${r('setNameCompares')}`);
  const noop = load(2000);
  assert.equal(noop.nft_operations, 0);
  assert.equal(kernelWalks(noop).commitListVisits, 0);
  assert.equal(kernelWalks(noop).validateVisits, 0);
  // Priced: super-linear load, the one-change sync far cheaper than the load.
  const price = (w: Readonly<Record<string, number>>) => nftablesMode.pricing.syncNs({}, w, { iptablesProfile: 'modern' });
  assert.ok(price(b) > 2 * price(a));
  assert.ok(price(noop) < price(b) / 4);
  for (const [name, c] of Object.entries(NFT_COSTS)) assert.ok(c.source.length > 20 && c.value > 0, name);
});

test('the walks recovered from the reported counts match the walks the transaction made', () => {
  // A full load with affinity services (named sets made with services), then a partial sync
  // changing a tenth of them, then a full resync of the existing table.
  const objects = (n: number, bump: number) => {
    const out: unknown[] = [];
    for (let i = 1; i <= n; i++) {
      const affinity = i % 7 === 0;
      out.push(
        makeService(`ns${i}`, `svc${i}`, {
          clusterIP: `172.30.${i >> 8}.${i & 255}`,
          ...(affinity ? { sessionAffinity: 'ClientIP' } : {}),
          ports: [{ name: 'p80', port: 80, protocol: 'TCP' }],
        }),
        slice(`ns${i}`, `svc${i}`, 'p80', 80, i % 10 < bump ? [...twoEndpoints(i), `10.3.${i >> 8}.${i & 255}`] : twoEndpoints(i)),
      );
    }
    return nftCluster(out);
  };
  const plane = nftablesMode.build(objects(3000, 0), nftConfig()) as NftablesDataPlane;
  const check = (what: string) => {
    const exact = plane.lastWork;
    const k = kernelWalks(syncWorkRecord(exact));
    const near = (got: number, want: number, tol: number) =>
      assert.ok(Math.abs(got - want) <= tol * want + 100, `${what}: ${got} vs exact ${want}`);
    // A full resync queues the maps' flushes first, before any bind: its binds walk ~8% more than an even spread.
    near(k.commitListVisits, exact.exactCommitListVisits, 0.1);
    near(k.setNameCompares, exact.exactSetNameCompares, 0.1);
    near(k.anonNameScans, exact.exactAnonNameScans, 0.1);
    near(k.validateVisits, exact.validateVisits, 0);
  };
  check('full load');
  plane.sync(objects(3000, 1));
  check('partial sync of 300 services');
  plane.sync(objects(3000, 1), { full: true });
  check('full resync');
});

function syncWorkOf(plane: NftablesDataPlane): Readonly<Record<string, number>> {
  return syncWorkRecord(plane.lastWork);
}

test('sync is idempotent and stats() agree with render("nft-state")', () => {
  const cluster = nftCluster([
    ...services(30, twoEndpoints),
    makeService(
      'aff',
      'sticky',
      { clusterIP: '172.30.9.9', sessionAffinity: 'ClientIP', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] },
      [],
    ),
    slice('aff', 'sticky', 'p80', 80, ['10.9.0.1', '10.9.0.2']),
  ]);
  const plane = nftablesMode.build(cluster, nftConfig()) as NftablesDataPlane;
  const before = plane.render('nft-state');
  const again = work(plane.sync(cluster));
  assert.equal(again.nft_operations, 0);
  assert.equal(plane.render('nft-state'), before);
  const lines = before.trimEnd().split('\n');
  const count = (prefix: string) => lines.filter((l) => l.startsWith(prefix)).length;
  const stats = plane.stats() as unknown as Record<string, number>;
  assert.equal(stats.nft_chains, count('add chain '));
  assert.equal(stats.nft_rules, count('add rule '));
  assert.equal(stats.nft_named_sets, count('add set ') + count('add map '));
  // Affinity sets hold what packets put there: none yet, and the dump leaves them out anyway.
  assert.equal(stats.nft_elements, count('add element '));
  // One anonymous vmap per numgen rule; the single-range { } of cluster-ips-check is a compare.
  assert.equal(stats.nft_anonymous_sets, lines.filter((l) => l.includes(' numgen random mod ')).length);
  for (const spec of nftablesMode.stats) assert.ok(spec.name in stats, spec.name);
  for (const spec of nftablesMode.syncWork) assert.ok(spec.name in again, spec.name);
  assert.equal(Object.keys(again).length, nftablesMode.syncWork.length);
});
