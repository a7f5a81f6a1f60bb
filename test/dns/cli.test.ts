// `kpsim dns` end to end: the real CLI in a child process, against a cluster generated from
// scenarios/small.yaml and against the hand-built fixture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kpsim, tempDir } from '../helpers/cli.ts';
import { fixtureList } from './fixture.ts';
import { parseDnsOptions } from '../../src/cli/commands/dns.ts';
import { InputError } from '../../src/util/errors.ts';

const dir = tempDir('kpsim-dns-');
const fixture = join(dir, 'fixture.json');
writeFileSync(fixture, fixtureList());

function json(args: string[]): { rcode: string; answers: { name: string; type: string; value: string }[]; queries: string[] } {
  const r = kpsim(['dns', ...args, '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trimEnd().split('\n').length, 1, 'one line');
  return JSON.parse(r.stdout);
}

test('generated cluster: a ClusterIP service by short name, and a headless one by svc.ns', () => {
  const small = join(dir, 'small.json');
  const g = kpsim(['generate', 'scenarios/small.yaml', '--out', small]);
  assert.equal(g.status, 0, g.stderr);
  const items = JSON.parse(readFileSync(small, 'utf8')).items as any[];
  const services = items.filter((i) => i.kind === 'Service' && i.metadata.namespace.startsWith('ns-'));
  const clusterIP = services.find((s) => s.spec.type === 'ClusterIP' && s.spec.clusterIP !== 'None');
  assert.ok(clusterIP, 'the small scenario has a ClusterIP service');
  const ns = clusterIP.metadata.namespace;
  const fqdn = `${clusterIP.metadata.name}.${ns}.svc.cluster.local.`;
  assert.deepEqual(json(['--cluster', small, '--namespace', ns, '--name', clusterIP.metadata.name]), {
    rcode: 'NOERROR',
    answers: [{ name: fqdn, type: 'A', value: clusterIP.spec.clusterIP }],
    queries: [fqdn],
  });

  const headless = services.find((s) => s.spec.clusterIP === 'None');
  assert.ok(headless, 'the small scenario has a headless service');
  const hns = headless.metadata.namespace;
  const ready = items
    .filter(
      (i) =>
        i.kind === 'EndpointSlice' &&
        i.metadata.namespace === hns &&
        i.metadata.labels['kubernetes.io/service-name'] === headless.metadata.name,
    )
    .flatMap((s) => s.endpoints.filter((e: any) => e.conditions?.ready !== false).map((e: any) => e.addresses[0]));
  const other = hns === 'ns-1' ? 'ns-2' : 'ns-1';
  const out = json(['--cluster', small, '--namespace', other, '--name', `${headless.metadata.name}.${hns}`]);
  assert.equal(out.rcode, 'NOERROR');
  assert.deepEqual(out.answers.map((a) => a.value).sort(), ready.sort());
  assert.deepEqual(out.queries, [
    `${headless.metadata.name}.${hns}.${other}.svc.cluster.local.`,
    `${headless.metadata.name}.${hns}.svc.cluster.local.`,
  ]);
});

test('external name with host search domains: NXDOMAIN after 3 + 2 + 1 queries, in order; text shows the amplification', () => {
  const args = ['dns', '--cluster', fixture, '--namespace', 'app', '--name', 'example.com', '--search', 'corp.example  lab.example'];
  const r = kpsim([...args, '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    JSON.stringify({
      rcode: 'NXDOMAIN',
      answers: [],
      queries: [
        'example.com.app.svc.cluster.local.',
        'example.com.svc.cluster.local.',
        'example.com.cluster.local.',
        'example.com.corp.example.',
        'example.com.lab.example.',
        'example.com.',
      ],
    }) + '\n',
  );
  const t = kpsim(args);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /status: NXDOMAIN/);
  assert.match(t.stdout, /amplification: 6 queries/);
  assert.match(t.stdout, /search app\.svc\.cluster\.local svc\.cluster\.local cluster\.local corp\.example lab\.example; options ndots:5/);
});

test('record types: PTR from an IP, AAAA NODATA; --ndots and an unknown client namespace', () => {
  // (CNAME and SRV answers are checked in records.test.ts; the CLI passes --type through.)
  assert.deepEqual(json(['--cluster', fixture, '--namespace', 'app', '--name', '10.96.0.30', '--type', 'PTR']), {
    rcode: 'NOERROR',
    answers: [{ name: '30.0.96.10.in-addr.arpa.', type: 'PTR', value: 'web.other.svc.cluster.local.' }],
    queries: ['30.0.96.10.in-addr.arpa.'],
  });
  assert.deepEqual(json(['--cluster', fixture, '--namespace', 'app', '--name', 'web.app.svc.cluster.local.', '--type', 'AAAA']), {
    rcode: 'NOERROR',
    answers: [],
    queries: ['web.app.svc.cluster.local.'],
  });
  // ndots 1: one dot is enough to go as is first. The client namespace need not exist.
  assert.deepEqual(json(['--cluster', fixture, '--namespace', 'nowhere', '--name', 'web.other', '--ndots', '1']), {
    rcode: 'NOERROR',
    answers: [{ name: 'web.other.svc.cluster.local.', type: 'A', value: '10.96.0.30' }],
    queries: ['web.other.', 'web.other.nowhere.svc.cluster.local.', 'web.other.svc.cluster.local.'],
  });
});

test('bad input exits 2 with the option and value named', () => {
  const cases: [string[], RegExp][] = [
    [['--cluster', fixture, '--namespace', 'app', '--name', 'web', '--type', 'MX'], /--type: unknown record type.*\(got "MX"\)/],
    [
      ['--cluster', fixture, '--namespace', 'app', '--name', 'web', '--ndots', '16'],
      /--ndots: must be an integer from 0 to 15 \(got "16"\)/,
    ],
    [['--namespace', 'app', '--name', 'web'], /--cluster FILE is required/],
    [['--cluster', join(dir, 'missing.json'), '--namespace', 'app', '--name', 'web'], /missing\.json: cannot read file/],
  ];
  for (const [args, pattern] of cases) {
    const r = kpsim(['dns', ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stdout, '');
  }
});

test('option checks (in process): each bad value is an InputError naming the option', () => {
  const ok = { cluster: 'c.json', namespace: 'app', name: 'web', type: 'a' };
  assert.deepEqual(parseDnsOptions({ ...ok, ndots: '0', search: ' corp.example  lab.example ' }), {
    cluster: 'c.json',
    namespace: 'app',
    name: 'web',
    type: 'A',
    ndots: 0,
    hostSearch: ['corp.example', 'lab.example'],
    json: false,
  });
  const bad: [Record<string, string | undefined>, RegExp][] = [
    [{ type: 'TXT' }, /^--type: unknown record type; expected one of A, AAAA, SRV, PTR, CNAME \(got "TXT"\)$/],
    [{ ndots: '16' }, /^--ndots: must be an integer from 0 to 15 \(got "16"\)$/],
    [{ ndots: '-1' }, /^--ndots: .*\(got "-1"\)$/],
    [{ ndots: '2.5' }, /^--ndots: /],
    [{ ndots: 'five' }, /^--ndots: /],
    [{ cluster: undefined }, /^--cluster FILE is required$/],
    [{ namespace: undefined }, /^--namespace NS is required$/],
    [{ name: undefined }, /^--name NAME is required$/],
    [{ namespace: 'App!' }, /^--namespace: not a valid namespace/],
    [{ namespace: 'a.b' }, /^--namespace: /],
    [{ search: 'ok.example bad_domain' }, /^--search: not a valid search domain \(got "bad_domain"\)$/],
    [{ name: 'a..b' }, /^--name: not a valid domain name \(got "a\.\.b"\)$/],
    [{ name: '' }, /^--name: /],
    [{ name: 'fe80::1', type: 'PTR' }, /^--name: IPv6 reverse lookups are not modelled/],
  ];
  for (const [change, pattern] of bad) {
    assert.throws(
      () => parseDnsOptions({ ...ok, ...change }),
      (err: unknown) => err instanceof InputError && pattern.test(err.message),
      JSON.stringify(change),
    );
  }
});
