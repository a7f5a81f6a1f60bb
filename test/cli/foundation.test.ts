import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kpsim, tempDir } from '../helpers/cli.ts';

test('kpsim --help lists the subcommands', () => {
  const r = kpsim(['--help']);
  assert.equal(r.status, 0);
  for (const cmd of ['generate', 'validate']) assert.match(r.stdout, new RegExp(`\\n  ${cmd} `));
});

test('generate then validate prints the summary', () => {
  const dir = tempDir();
  const out = join(dir, 'c.json');
  const g = kpsim(['generate', 'scenarios/small.yaml', '--out', out]);
  assert.equal(g.status, 0, g.stderr);
  assert.match(g.stderr, /wrote .*c\.json: 3 nodes, 22 services/);
  const v = kpsim(['validate', out]);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /nodes: +3/);
  assert.match(v.stdout, /services: +22 \(ClusterIP \d+, Headless \d+, NodePort \d+, LoadBalancer \d+\)/);
  assert.match(v.stdout, /service CIDR: +10\.96\.0\.0\/12/);
  assert.match(v.stdout, /endpoints: +\d+ \(ready/);
  // YAML output loads back too.
  const y = join(dir, 'c.yaml');
  assert.equal(kpsim(['generate', 'scenarios/small.yaml', '--out', y]).status, 0);
  const vy = kpsim(['validate', y, '--json']);
  assert.equal(vy.status, 0, vy.stderr);
  assert.equal(JSON.parse(vy.stdout)[0].summary.services, 22);
});

function expectInputError(args: string[], pattern: RegExp, dir: string): void {
  const r = kpsim(args);
  assert.equal(r.status, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('out') || f.includes('.tmp')),
    [],
    'no output file left behind',
  );
}

test('bad inputs exit 2 with the file, field and value, and write nothing', () => {
  const dir = tempDir();
  const scen = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const out = join(dir, 'out.json');
  expectInputError(
    ['generate', scen('a.yaml', 'services: 5\ncluster: { clusterCIDR: 10.96.0.0/16 }\n'), '--out', out],
    /a\.yaml: cluster\.serviceCIDR: clusterCIDR 10\.96\.0\.0\/16 overlaps serviceCIDR/,
    dir,
  );
  expectInputError(
    ['generate', scen('b.yaml', 'services: 50\nserviceTypes: { NodePort: 1 }\ncluster: { nodePortRange: 30000-30009 }\n'), '--out', out],
    /NodePort range 30000-30009 is exhausted/,
    dir,
  );
  expectInputError(['generate', scen('c.yaml', 'services: 5\nnodes: -1\n'), '--out', out], /c\.yaml: nodes: .*\(got -1\)/, dir);
  expectInputError(['generate', scen('d.yaml', 'services: 5\n  bad: [\n'), '--out', out], /d\.yaml: malformed YAML/, dir);
  expectInputError(['generate', 'scenarios/scale-sweep.yaml', '--out', out], /choose one with --scale N/, dir);
  expectInputError(['generate', join(dir, 'missing.yaml'), '--out', out], /missing\.yaml: cannot read scenario/, dir);

  // Cluster dumps with bad objects.
  const list = (items: unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
  const service = (name: string, spec: object) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { type: 'ClusterIP', clusterIP: '10.96.0.50', ports: [{ port: 80, protocol: 'TCP' }], ...spec },
  });
  expectInputError(
    ['validate', scen('e.json', list([service('x', { clusterIP: '10.200.0.5' })]))],
    /e\.json: Service default\/x\.spec\.clusterIP: clusterIP is outside the service CIDR 10\.96\.0\.0\/12 \(got "10\.200\.0\.5"\)/,
    dir,
  );
  expectInputError(
    ['validate', scen('f.json', list([service('x', { type: 'NodePort', ports: [{ port: 80, nodePort: 40000 }] })]))],
    /nodePort is outside the range 30000-32767 \(got 40000\)/,
    dir,
  );
  expectInputError(
    [
      'validate',
      scen(
        'g.json',
        list([
          service('x', { type: 'NodePort', ports: [{ port: 80, nodePort: 30500 }] }),
          service('y', { clusterIP: '10.96.0.51', type: 'NodePort', ports: [{ port: 80, nodePort: 30500 }] }),
        ]),
      ),
    ],
    /Service default\/y\.spec\.ports\[0\]\.nodePort: nodePort already allocated to Service default\/x/,
    dir,
  );
  expectInputError(
    ['validate', scen('h.json', list([service('x', { ports: [{ port: 80, protocol: 'QUIC' }] })]))],
    /unknown protocol .*\(got "QUIC"\)/,
    dir,
  );
  expectInputError(
    [
      'validate',
      scen('i.json', list([{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { podCIDR: '10.1.0.0/24' }, status: {} }])),
    ],
    /Node n1\.spec\.podCIDR: pod CIDR is outside the cluster CIDR 10\.244\.0\.0\/16/,
    dir,
  );
  expectInputError(['validate', scen('j.json', '{"kind": "List", "items": [')], /j\.json: malformed JSON/, dir);
  expectInputError(
    ['validate', '--strict', scen('k.json', list([service('x', { selector: { app: 'x' } })]))],
    /k\.json: Service default\/x\.spec\.selector: selector matches no pods/,
    dir,
  );
  // Without --strict it is only a warning.
  const warn = kpsim(['validate', join(dir, 'k.json')]);
  assert.equal(warn.status, 0);
  assert.match(warn.stderr, /warning: .*selector matches no pods/);
});

test('unknown subcommands and options are usage errors', () => {
  assert.equal(kpsim(['frobnicate']).status, 2);
  const r = kpsim(['generate', 'scenarios/small.yaml', '--out', '/tmp/x.json', '--scale', 'ten']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--scale.*expected a non-negative integer, got "ten"/);
});
