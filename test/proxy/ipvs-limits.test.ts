// kube-proxy creates its hash ipsets with maxelem 65536. Past that, each `ipset add` fails,
// kube-proxy logs it and carries on: the services whose entries did not fit silently lack
// them (kubernetes#129389). The sync completes, limits() names them, trace shows the result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IpvsDataPlane } from '../../src/proxy/ipvs/index.ts';
import type { Packet } from '../../src/proxy/types.ts';
import { parseIPv4 } from '../../src/util/ipv4.ts';
import { PROTO_TCP } from '../../src/util/proto.ts';
import { kpsim, tempDir } from '../helpers/cli.ts';
import { fakeProxyConfig } from './kube-proxy-test-env.ts';
import { smallIpvsCluster } from './ipvs-small-cluster.ts';

const config = fakeProxyConfig({ mode: 'ipvs' });
const NODE = parseIPv4('192.168.0.10');

test('a full KUBE-CLUSTER-IP set: the sync completes, the services left out are named and lose their rules', () => {
  const full = new IpvsDataPlane(smallIpvsCluster(), config, { ipsetMaxElem: 3 });
  const roomy = new IpvsDataPlane(smallIpvsCluster(), config);
  assert.deepEqual(roomy.limits(), []);
  const limits = full.limits();
  const cip = limits.find((l) => l.name === 'ipset.KUBE-CLUSTER-IP');
  assert.ok(cip, JSON.stringify(limits));
  // Five ClusterIP entries; the two last in byte order do not fit.
  assert.equal(cip.capacity, 3);
  assert.equal(cip.wanted, 5);
  assert.equal(cip.droppedCount, 2);
  assert.deepEqual(cip.dropped, ['web/front:http', 'web/shop:https']);
  assert.match(cip.consequence, /kubernetes#129389/);
  assert.equal(full.stats().ipvs_virtual_servers, roomy.stats().ipvs_virtual_servers); // IPVS is unaffected

  // From the node itself: a service in the set is masqueraded; one left out is not, and trace says why.
  const pkt = (dst: string, dport: number): Packet => ({ src: NODE, dst: parseIPv4(dst), proto: PROTO_TCP, sport: 40000, dport });
  const kept = full.trace(pkt('10.96.0.1', 443), 'local');
  assert.equal(kept.verdict, 'DNAT');
  assert.equal(kept.masquerade, true);
  const left = full.trace(pkt('10.96.200.7', 443), 'local');
  assert.equal(left.verdict, 'DNAT'); // kube-proxy 1.25: IPVS still serves the virtual server
  assert.equal(left.masquerade, false);
  assert.equal(roomy.trace(pkt('10.96.200.7', 443), 'local').masquerade, true);
  assert.ok(
    left.path.some((l) => l.startsWith('ipset KUBE-CLUSTER-IP: 10.96.200.7,tcp:443 is not a member') && l.includes('maxelem 3')),
    left.path.join('\n'),
  );
  assert.ok(!left.path.some((l) => l.includes('--match-set KUBE-CLUSTER-IP')));

  // Every resync retries the failed adds (one failed `ipset add` each), as syncIPSetEntries does.
  assert.equal(roomy.sync(smallIpvsCluster()).ipset_ops, 0);
  assert.equal(
    full.sync(smallIpvsCluster()).ipset_ops,
    limits.reduce((n, l) => n + (l.wanted - l.capacity), 0),
  );
});

test('a sweep past 65,536 ClusterIP entries completes and reports the limit (summary and limit rows)', () => {
  const dir = tempDir();
  const r = kpsim([
    'sweep',
    'test/fixtures/scenarios/ipvs-ipset-full.yaml',
    '--simulated-only',
    '--workers',
    '1',
    '--no-report',
    '--out',
    dir,
  ]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /ipset\.KUBE-CLUSTER-IP holds 65536, \d+ wanted: \d+ not programmed \(e\.g\. ns-\d+\/svc-\d+/);
  const rows = readFileSync(join(dir, 'results.csv'), 'utf8').split('\n');
  const value = (stat: string) =>
    Number(
      rows
        .find((l) => l.includes(',limit.ipset.KUBE-CLUSTER-IP,') && l.includes(`,${stat},`))
        ?.split(',')
        .at(-1),
    );
  assert.equal(value('capacity'), 65536);
  assert.ok(value('wanted') >= 65600, String(value('wanted')));
  // One ClusterIP entry per service port here, so each entry left out is one service.
  assert.equal(value('dropped'), value('wanted') - 65536);
});
