// "-" for standard input or output on the file arguments, so commands pipe into each other, and
// trace --json lines that carry their input packet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kpsim, tempDir } from '../helpers/cli.ts';
import { fabricateRun, writeRun } from '../gate/fixtures.ts';

test('generate --out - | rules --cluster -: the same rules as through a file', () => {
  const dir = tempDir('kpsim-stdio-');
  const file = join(dir, 'c.json');
  assert.equal(kpsim(['generate', 'scenarios/small.yaml', '--out', file]).status, 0);
  const gen = kpsim(['generate', 'scenarios/small.yaml', '--out', '-']);
  assert.equal(gen.status, 0, gen.stderr);
  assert.equal(gen.stdout, readFileSync(file, 'utf8'), 'stdout holds exactly the cluster');
  assert.match(gen.stderr, /^kpsim: wrote \(stdout\): 3 nodes/);
  const viaFile = kpsim(['rules', '--cluster', file]);
  const viaStdin = kpsim(['rules', '--cluster', '-'], { input: gen.stdout });
  assert.equal(viaStdin.status, 0, viaStdin.stderr);
  assert.equal(viaStdin.stdout, viaFile.stdout);
  // An iptables-save dump from stdin is read and written back unchanged.
  const dump = kpsim(['rules', '--iptables-save', '-'], { input: viaFile.stdout });
  assert.equal(dump.status, 0, dump.stderr);
  assert.equal(dump.stdout, viaFile.stdout);
  // A scenario from stdin validates like the file.
  const v = kpsim(['validate', '-'], { input: readFileSync('scenarios/small.yaml', 'utf8') });
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /^scenario small, 20 services/);
});

test('trace --packets - --json: one line per packet, each with the packet it answers', () => {
  const dir = tempDir('kpsim-stdio-');
  const cluster = join(dir, 'c.json');
  assert.equal(kpsim(['generate', 'scenarios/small.yaml', '--out', cluster]).status, 0);
  const packets = [
    { src: '10.244.1.5', dst: '10.96.0.10', dport: 53, proto: 'UDP' },
    { src: '10.244.1.5', dst: '10.96.0.1', dport: 443 },
  ];
  const r = kpsim(['trace', '--cluster', cluster, '--packets', '-', '--json'], { input: packets.map((p) => JSON.stringify(p)).join('\n') });
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    out.map((o) => o.packet),
    [
      { src: '10.244.1.5', dst: '10.96.0.10', dport: 53, sport: 0, proto: 'UDP' },
      { src: '10.244.1.5', dst: '10.96.0.1', dport: 443, sport: 0, proto: 'TCP' },
    ],
  );
  assert.equal(out[0].verdict, 'DNAT');
  // A bad line names standard input, the line and the field.
  const bad = kpsim(['trace', '--cluster', cluster, '--packets', '-'], { input: '{"src": "10.0.0.1", "dst": "x", "dport": 1}\n' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^kpsim: error: \(stdin\): line 1: dst: not an IPv4 address \(got "x"\)/);
});

test('only one argument can be -; a sweep needs its scenario as a file', () => {
  const two = kpsim(['trace', '--cluster', '-', '--packets', '-'], { input: '' });
  assert.equal(two.status, 2);
  assert.match(two.stderr, /only one of --cluster and --packets can be - \(standard input\)/);
  const sweep = kpsim(['sweep', '-'], { input: '' });
  assert.equal(sweep.status, 2);
  assert.match(sweep.stderr, /every sweep worker reads the scenario again: give its file, not -/);
});

test('gate --current - and --markdown -; baseline update --out -', () => {
  const dir = tempDir('kpsim-stdio-');
  const run = fabricateRun({ runId: 'r' });
  const base = writeRun(dir, 'base.json', run);
  const g = kpsim(['gate', '--baseline', base, '--current', '-', '--markdown', '-'], { input: JSON.stringify(run) });
  assert.equal(g.status, 0, g.stderr);
  assert.match(g.stdout, /^## .* kpsim performance gate: pass/);
  assert.doesNotMatch(g.stdout, /^baseline: /m, 'the Markdown replaces the text table');
  const b = kpsim(['baseline', 'update', '--from', base, '--out', '-']);
  assert.equal(b.status, 0, b.stderr);
  assert.equal(JSON.parse(b.stdout).meta.runId, 'r');
  writeFileSync(join(dir, 'from-stdout.json'), b.stdout);
  assert.equal(kpsim(['gate', '--baseline', join(dir, 'from-stdout.json'), '--current', base]).status, 0);
});
