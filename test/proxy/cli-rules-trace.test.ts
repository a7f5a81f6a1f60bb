// `kpsim rules` and `kpsim trace` end to end, as a user runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kpsim, tempDir } from '../helpers/cli.ts';
import { sortIPTablesRules, withoutBuiltinChains } from './iptables-golden-sort.ts';

const F = 'test/fixtures/iptables';
const CLUSTER = `${F}/overall.cluster.json`;
const CONFIG = `${F}/test-node.kube-proxy.yaml`;
const base = ['--cluster', CLUSTER, '--proxy-config', CONFIG];

function expectInputError(args: string[], pattern: RegExp): void {
  const r = kpsim(args);
  assert.equal(r.status, 2, `exit code of ${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.equal(r.stdout, '');
}

test("kpsim rules prints the node's iptables-save, matching kube-proxy's TestOverallIPTablesRules", () => {
  const r = kpsim(['rules', ...base]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\*filter\n:INPUT ACCEPT \[0:0\]\n/);
  assert.equal(sortIPTablesRules(withoutBuiltinChains(r.stdout)), readFileSync(`${F}/overall.expected.txt`, 'utf8'));
  const explicit = kpsim(['rules', ...base, '--mode', 'iptables', '--format', 'iptables-save']);
  assert.equal(explicit.stdout, r.stdout);
});

test("without --proxy-config: kube-proxy's defaults on the first node (or --node), clusterCIDR from the cluster", () => {
  const dir = tempDir();
  // The same node and pod CIDR as the fixture's configuration, but every other field defaulted.
  const cfg = join(dir, 'kp.yaml');
  writeFileSync(cfg, `hostnameOverride: test-node\nclusterCIDR: ${clusterCidrOf(CLUSTER)}\n`);
  const explicit = kpsim(['rules', '--cluster', CLUSTER, '--proxy-config', cfg]);
  assert.equal(explicit.status, 0, explicit.stderr);
  const implicit = kpsim(['rules', '--cluster', CLUSTER]);
  assert.equal(implicit.status, 0, implicit.stderr);
  assert.equal(implicit.stdout, explicit.stdout);
  assert.equal(kpsim(['rules', '--cluster', CLUSTER, '--node', 'test-node']).stdout, explicit.stdout);
});

/** The clusterCIDR a cluster file carries in its kpsim-cluster-config ConfigMap. */
function clusterCidrOf(file: string): string {
  const m = /"clusterCIDR": "([^"]+)"/.exec(readFileSync(file, 'utf8'));
  return m ? m[1] : '10.244.0.0/16';
}

test('kpsim rules --iptables-save writes a real dump back byte for byte', () => {
  const r = kpsim(['rules', '--iptables-save', `${F}/overall.node-save.txt`]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(`${F}/overall.node-save.txt`, 'utf8'));
});

test('kpsim trace --json: one object per packet, exactly the documented keys', () => {
  const r = kpsim(['trace', ...base, '--src', '10.0.0.2', '--dst', '172.30.0.44', '--dport', '80', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const o = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(o), ['packet', 'verdict', 'endpoints', 'masquerade', 'rulesEvaluated', 'path']);
  assert.deepEqual(o.packet, { src: '10.0.0.2', dst: '172.30.0.44', dport: 80, sport: 0, proto: 'TCP' });
  assert.deepEqual([o.verdict, o.endpoints, o.masquerade], ['DNAT', ['10.180.0.4:80', '10.180.0.5:80'], false]);
  assert.ok(Number.isInteger(o.rulesEvaluated) && o.rulesEvaluated > 0);
  assert.equal(o.path[0], 'hook nat PREROUTING');
  assert.ok(o.path.some((s: string) => s.startsWith('nat KUBE-SERVICES #') && s.includes('-j KUBE-SVC-4SW47YFZTEDKD3PK')));
});

test('kpsim trace without --json explains the walk chain by chain', () => {
  const r = kpsim(['trace', ...base, '--src', '203.0.113.2', '--dst', '192.168.0.2', '--dport', '3002']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^packet TCP 203\.0\.113\.2:0 -> 192\.168\.0\.2:3002 \(from a pod or the network: enters nat PREROUTING\)/);
  assert.match(r.stdout, /\n {2}nat PREROUTING: \d+ rules evaluated\n/);
  assert.match(r.stdout, /KUBE-NODEPORTS #\d+: -m comment --comment ns5\/svc5:p80 -m tcp -p tcp --dport 3002 -j KUBE-EXT-NUKIZ6OKUXPJNT4C/);
  assert.match(r.stdout, /KUBE-MARK-MASQ #1: -j MARK --or-mark 0x4000/);
  assert.match(r.stdout, /filter INPUT|filter FORWARD/);
  assert.match(r.stdout, /\nverdict: DNAT -> 10\.180\.0\.3:80; masqueraded; \d+ rules evaluated in nat PREROUTING\n$/);
});

test('kpsim trace --packets: JSON lines in, one answer per line out; local sources start in nat OUTPUT', () => {
  const dir = tempDir();
  const file = join(dir, 'p.jsonl');
  writeFileSync(
    file,
    [
      '{"src": "10.0.0.2", "dst": "172.30.0.41", "dport": 80}',
      '',
      '{"src": "192.168.0.2", "dst": "172.30.0.41", "dport": 80, "proto": "TCP"}',
      '{"src": "10.0.0.2", "dst": "172.30.0.46", "dport": 80, "proto": "tcp"}',
      '{"src": "10.0.0.2", "dst": "172.30.0.41", "dport": 80, "proto": "UDP"}',
    ].join('\n') + '\n',
  );
  const r = kpsim(['trace', ...base, '--packets', file, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    out.map((o) => [o.verdict, o.endpoints.join(','), o.masquerade, o.path[0]]),
    [
      ['DNAT', '10.180.0.1:80', false, 'hook nat PREROUTING'],
      ['DNAT', '10.180.0.1:80', true, 'hook nat OUTPUT'],
      ['REJECT', '', false, 'hook nat PREROUTING'],
      ['NONE', '', false, 'hook nat PREROUTING'],
    ],
  );
  // --from-node makes every packet locally generated.
  const fromNode = kpsim(['trace', ...base, '--packets', file, '--json', '--from-node'])
    .stdout.trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(fromNode.every((o) => o.path[0] === 'hook nat OUTPUT'));
});

test('kpsim trace --iptables-save traces a real dump with the given local addresses', () => {
  const r = kpsim([
    'trace',
    '--iptables-save',
    `${F}/overall.node-save.txt`,
    '--local-ips',
    '192.168.0.2,192.168.1.2',
    '--src',
    '192.168.0.2',
    '--dst',
    '192.168.0.2',
    '--dport',
    '30000',
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).verdict, 'ACCEPT');
  const ext = kpsim([
    'trace',
    '--iptables-save',
    `${F}/overall.node-save.txt`,
    '--src',
    '203.0.113.2',
    '--dst',
    '10.180.0.9',
    '--dport',
    '80',
    '--json',
  ]);
  assert.equal(JSON.parse(ext.stdout).verdict, 'DROP', 'FORWARD policy DROP');
});

test('bad input exits 2 with a clear message', () => {
  const dir = tempDir();
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const pkt = ['--src', '10.0.0.2', '--dst', '172.30.0.41', '--dport', '80'];
  expectInputError(
    ['trace', ...base, '--mode', 'nft', ...pkt],
    /--mode: unknown proxy mode \(known: userspace, iptables, ipvs[^)]*\) \(got "nft"\)/,
  );
  expectInputError(['rules', ...base, '--format', 'xml'], /--format: unknown format/);
  const otherNode = write('kp.yaml', 'hostnameOverride: node-9\nclusterCIDR: 10.0.0.0/8\n');
  expectInputError(
    ['trace', '--cluster', CLUSTER, '--proxy-config', otherNode, ...pkt],
    /kp\.yaml: hostnameOverride: node "node-9" is not in the cluster \(nodes: test-node\)/,
  );
  expectInputError(
    ['rules', '--cluster', CLUSTER, '--node', 'node-9'],
    /--node: node not in the cluster \(nodes: test-node\) \(got "node-9"\)/,
  );
  const badCidr = write('cidr.yaml', 'hostnameOverride: test-node\nclusterCIDR: 10.0.0.0/33\n');
  expectInputError(
    ['rules', '--cluster', CLUSTER, '--proxy-config', badCidr],
    /cidr\.yaml: clusterCIDR: not a valid CIDR \(got "10\.0\.0\.0\/33"\)/,
  );
  const badNpa = write('npa.yaml', 'hostnameOverride: test-node\nnodePortAddresses: [foo]\n');
  expectInputError(['rules', '--cluster', CLUSTER, '--proxy-config', badNpa], /npa\.yaml: nodePortAddresses\[0\]: not a valid CIDR/);
  expectInputError(['trace', ...base], /give a packet \(--src IP --dst IP --dport N/);
  expectInputError(
    ['trace', ...base, '--src', '10.0.0.2', '--dst', '172.30.0.41', '--dport', '99999'],
    /--dport: must be an integer port 1-65535 \(got "99999"\)/,
  );
  expectInputError(['trace', ...base, ...pkt, '--proto', 'ICMP'], /--proto: must be TCP, UDP or SCTP \(got "ICMP"\)/);
  const badJson = write('a.jsonl', '{"src": "10.0.0.2", "dst": "172.30.0.41", "dport": 80}\n{"src": "10.0.0.2", "dst":\n');
  expectInputError(['trace', ...base, '--packets', badJson], /a\.jsonl: line 2: malformed JSON/);
  const badField = write(
    'b.jsonl',
    '{"src": "10.0.0.2", "dst": "172.30.0.41", "dport": 80}\n\n{"src": "10.0.0.2", "dst": "172.30.0.41"}\n',
  );
  expectInputError(['trace', ...base, '--packets', badField], /b\.jsonl: line 3: dport: missing/);
  const badIp = write('c.jsonl', '{"src": "10.0.0.256", "dst": "172.30.0.41", "dport": 80}\n');
  expectInputError(['trace', ...base, '--packets', badIp], /c\.jsonl: line 1: src: not an IPv4 address \(got "10\.0\.0\.256"\)/);
  const badProto = write('d.jsonl', '{"src": "10.0.0.2", "dst": "172.30.0.41", "dport": 80, "proto": "QUIC"}\n');
  expectInputError(['trace', ...base, '--packets', badProto], /d\.jsonl: line 1: proto: must be TCP, UDP or SCTP \(got "QUIC"\)/);
  expectInputError(['trace', ...base, '--packets', join(dir, 'missing.jsonl')], /missing\.jsonl: cannot read packets file/);
  expectInputError(
    ['trace', '--iptables-save', `${F}/overall.node-save.txt`, '--local-ips', '10.0.0.1,bad', ...pkt],
    /--local-ips: not an IPv4 address \(got "bad"\)/,
  );
  const badDump = write('dump.txt', '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j\nCOMMIT\n');
  expectInputError(['rules', '--iptables-save', badDump], /dump\.txt: line 3: option "-j" requires an argument/);
});
