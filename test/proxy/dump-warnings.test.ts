// A real iptables-save dump with rules kpsim does not model: one warning per kind, naming the
// line, and traces that reach such a rule are marked uncertain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadKubeProxyConfig } from '../../src/proxy/load-config.ts';
import { IptablesDumpPlane } from '../../src/proxy/iptables/dump-plane.ts';
import { kpsim } from '../helpers/cli.ts';

const DUMP = 'test/fixtures/errors/dump-u32.txt';
const packet = (dport: number) => ({ src: 0x0af40109, dst: 0x0a600014, proto: 6 as const, sport: 0, dport });

test('rules kpsim does not model: one warning per kind, with its first line', () => {
  const plane = new IptablesDumpPlane(readFileSync(DUMP, 'utf8'), [], 0x4000, DUMP);
  assert.deepEqual(plane.notModelled, [
    'unknown match module "-m u32"; the rule never matches in walks (line 5: -A INPUT -m u32 --u32 "0x0>>22&0x3C@0x4&0xffff=0x50" -j DROP); traces that reach it are marked uncertain',
    'target "CUSTOMLOG" is not modelled; walks treat it as a no-op (line 6: -A FORWARD -j CUSTOMLOG); traces that reach it are marked uncertain',
  ]);
});

test('a trace that reaches such a rule is uncertain; one that does not is not', () => {
  const plane = new IptablesDumpPlane(readFileSync(DUMP, 'utf8'), [0x0a600014], 0x4000, DUMP);
  // To a local address: filter INPUT holds the -m u32 rule.
  assert.equal(plane.trace(packet(80), 'forwarded').uncertain, true);
  // DNATed away and forwarded: filter FORWARD reaches the unknown target.
  const fwd = new IptablesDumpPlane(readFileSync(DUMP, 'utf8'), [], 0x4000, DUMP).trace(packet(80), 'forwarded');
  assert.equal(fwd.verdict, 'DNAT');
  assert.equal(fwd.uncertain, true);
  // From the node itself to another port: nat OUTPUT and filter OUTPUT only, nothing unmodelled.
  const local = new IptablesDumpPlane(readFileSync(DUMP, 'utf8'), [], 0x4000, DUMP).trace(packet(443), 'local');
  assert.equal(local.uncertain, undefined);
});

test('kpsim trace --json says "uncertain": true; the warnings go to stderr once per kind', () => {
  const r = kpsim(['trace', '--iptables-save', DUMP, '--src', '10.244.1.9', '--dst', '10.96.0.20', '--dport', '80', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout);
  assert.equal(o.uncertain, true);
  assert.equal(o.verdict, 'DNAT');
  const warnings = r.stderr.trim().split('\n');
  assert.equal(warnings.length, 2, r.stderr);
  assert.match(warnings[0], /^kpsim: warning: test\/fixtures\/errors\/dump-u32\.txt: unknown match module "-m u32".*\(line 5: /);
  const text = kpsim(['trace', '--iptables-save', DUMP, '--src', '10.244.1.9', '--dst', '10.96.0.20', '--dport', '80']);
  assert.match(text.stdout, /\nuncertain: the walk reached rules kpsim does not model/);
});

test("a KubeProxyConfiguration with kube-proxy's fields kpsim does not model loads; unknown fields do not", () => {
  const c = loadKubeProxyConfig('test/fixtures/errors/kp-real.yaml');
  assert.equal(c.hostnameOverride, 'node-1');
  assert.throws(() => loadKubeProxyConfig('test/fixtures/errors/kp-typo.yaml'), /kp-typo\.yaml: clusterCIDRR: unknown field clusterCIDRR/);
  assert.throws(() => loadKubeProxyConfig('test/fixtures/errors/kp-iptables-typo.yaml'), /iptables\.typo: unknown field typo/);
});
