import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kpsim, tempDir } from '../helpers/cli.ts';
import { HOP_COLUMNS } from '../../src/journey/index.ts';

const SMALL = 'scenarios/small.yaml';

test('kpsim simulate on scenarios/small.yaml: summary, hops.csv and summary.json', () => {
  const out = tempDir();
  const r = kpsim(['simulate', '--scenario', SMALL, '--mode', 'iptables', '--duration', '10s', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^kpsim simulate: small, 20 services on 3 nodes, mode iptables, network vxlan/);
  for (const line of [
    'connections: ',
    'verdicts on the ingress node: DNAT ',
    'source IP seen by the pod: ',
    'dns: ',
    'amplification ',
    'conntrack: ',
    'snat: ',
    'end to end (delivered)',
    'hop rules',
    'hop conntrack',
    'hop encap',
  ]) {
    assert.ok(r.stdout.includes(line), `missing "${line}" in\n${r.stdout}`);
  }
  const csv = readFileSync(join(out, 'hops.csv'), 'utf8').trimEnd().split('\n');
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(csv[0], HOP_COLUMNS.join(','));
  assert.equal(csv.length - 1, summary.hops);
  assert.ok(summary.connections.total > 500, `${summary.connections.total} connections in 10 s at 100/s`);
  assert.ok(summary.connections.external > 0 && summary.connections.byName > 0);
  assert.ok(summary.dns.queries >= summary.dns.lookups && summary.dns.lookups > 0);
  assert.equal(summary.dns.dnatQueries, summary.dns.queries, 'without NodeLocal DNSCache every query is DNATed');
  const reached = summary.connections.outcomes.delivered + summary.connections.outcomes['reply-untranslated'];
  const { pod, external } = summary.sourceIP;
  assert.equal(pod.preserved + pod.lost + external.preserved + external.lost, reached);
  assert.ok(external.lost > 0, "externalTrafficPolicy Cluster: the node's address");
  assert.ok(summary.conntrack.entriesAtEnd > 0);
  assert.deepEqual([...summary.dataPlanesBuilt].sort(), ['node-1', 'node-2', 'node-3']);
  // Every row is on the simulated clock.
  const clock = HOP_COLUMNS.indexOf('clock');
  assert.ok(csv.slice(1, 50).every((row) => row.split(',')[clock] === 'simulated'));
});

test('kpsim simulate is deterministic for a seed: same CSV bytes, same summary', () => {
  const args = [
    'simulate',
    '--scenario',
    SMALL,
    '--mode',
    'ipvs',
    '--duration',
    '2s',
    '--rate',
    '150',
    '--nodelocal-dns',
    '--network',
    'routed',
    '--seed',
    '9',
    '--json',
  ];
  const [a, b] = [tempDir(), tempDir()];
  const ra = kpsim([...args, '--out', a]);
  const rb = kpsim([...args, '--out', b]);
  assert.equal(ra.status, 0, ra.stderr);
  assert.equal(rb.status, 0, rb.stderr);
  assert.equal(ra.stdout, rb.stdout);
  assert.ok(readFileSync(join(a, 'hops.csv')).equals(readFileSync(join(b, 'hops.csv'))));
  assert.ok(readFileSync(join(a, 'summary.json')).equals(readFileSync(join(b, 'summary.json'))));
  const summary = JSON.parse(ra.stdout);
  assert.equal(summary.mode, 'ipvs');
  assert.equal(summary.options.nodeLocalDns, true);
  assert.equal(summary.dns.dnatQueries, 0, 'with NodeLocal DNSCache no pod query is DNATed');
  // (test/journey/simulate.test.ts checks that another seed gives other connections.)
});

test('kpsim simulate rejects bad input with exit 2', () => {
  const out = tempDir();
  for (const [args, pattern] of [
    [['--mode', 'nft'], /--mode: unknown proxy mode.*"nft"/],
    [['--mode', 'iptables', '--duration', '10'], /--duration.*Invalid duration/],
  ] as const) {
    const r = kpsim(['simulate', '--scenario', SMALL, ...args, '--out', out]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
  assert.ok(!existsSync(join(out, 'hops.csv')), 'nothing written on bad input');
});
