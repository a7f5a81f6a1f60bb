import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DEFAULT_GATE_CONFIG, isIgnored, loadGateConfig, parseGateConfig, thresholdsFor } from '../../src/gate/config.ts';
import { InputError } from '../../src/util/errors.ts';
import { ROOT } from '../helpers/cli.ts';

test('gate.yaml at the repository root is exactly the built-in default', () => {
  assert.deepEqual(loadGateConfig(join(ROOT, 'gate.yaml')), DEFAULT_GATE_CONFIG);
});

test('an empty config is the default; given keys merge over it, lists replace', () => {
  assert.deepEqual(parseGateConfig('', 'g.yaml'), DEFAULT_GATE_CONFIG);
  const c = parseGateConfig('wallSamples: { permutations: 20000 }\nignore: [ "memory.*" ]\n', 'g.yaml');
  assert.equal(c.wallSamples.permutations, 20000);
  assert.deepEqual(c.wallSamples.fail, { factor: 1.1, p: 0.002 });
  assert.deepEqual(c.ignore, [{ metric: 'memory.*' }]);
  assert.equal(parseGateConfig('wallSamples: { normalizeBy: none }', 'g.yaml').wallSamples.normalizeBy, null);
});

function rejects(text: string, pattern: RegExp): void {
  assert.throws(
    () => parseGateConfig(text, 'conf/gate.yaml'),
    (err: unknown) => {
      assert.ok(err instanceof InputError, String(err));
      assert.match(err.message, /^conf\/gate\.yaml: /, 'names the file');
      assert.match(err.message, pattern);
      return true;
    },
  );
}

test('unknown keys and bad values are errors naming the file and the field', () => {
  rejects('wallSamples:\n  permutatons: 10000\n', /wallSamples\.permutatons: unknown field/);
  rejects('simulatd: { fail: 0.1 }\n', /simulatd: unknown field/);
  rejects('overrides:\n  - { metric: sync.full, wallRows: { fail: 3, bogus: 1 } }\n', /overrides\[0\]\.wallRows\.bogus: unknown field/);
  rejects('simulated: { fail: -1 }\n', /simulated\.fail: .*(>=|greater)/i);
  rejects('wallRows: { fail: 0.5 }\n', /wallRows\.fail/);
  rejects('complexity:\n  - { mode: ipvs, metric: lookup.latency, clock: sim, max: 1 }\n', /complexity\[0\]\.clock/);
  rejects('complexity:\n  - { mode: ipvs, metric: lookup.latency, clock: wall }\n', /complexity\[0\]: a band needs min, max or both/);
  rejects(
    'complexity:\n  - { mode: ipvs, metric: lookup.latency, clock: wall, min: 2, max: 1 }\n',
    /complexity\[0\]\.min: min 2 is above max 1/,
  );
  rejects('simulated: { warn: 0.2, fail: 0.1 }\n', /simulated\.warn: warn level 0\.2 is above the fail level 0\.1/);
  rejects('overrides:\n  - { metric: x, wallSamples: { warn: { factor: 1.3 } } }\n', /overrides\[0\]\.wallSamples\.warn\.factor/);
  rejects('simulated: [1, 2]\n', /simulated/);
  rejects('- just a list\n', /must be a mapping/);
  rejects('simulated: {fail: 0.1\n', /malformed YAML/);
});

test('too few permutations to reach the fail p-value are refused', () => {
  rejects(
    'wallSamples: { permutations: 1000 }\n',
    /wallSamples\.permutations: 1000 permutations cannot resolve the fail level p < 0\.002.*at least 5000/,
  );
  assert.equal(parseGateConfig('wallSamples: { permutations: 5000 }\n', 'g.yaml').wallSamples.permutations, 5000);
  rejects('wallSamples: { fail: { factor: 1.1, p: 0.0001 }, warn: { factor: 1.05, p: 0.01 } }\n', /at least 100000/);
});

test('overrides apply in order by metric glob, mode, clock and statistic; directions default by clock and name', () => {
  const c = parseGateConfig(
    [
      'overrides:',
      '  - { metric: "sync.*", simulated: { warn: 0.01, fail: 0.1 } }',
      '  - { metric: sync.full, mode: ipvs, simulated: { fail: 0.5 } }',
      '  - { metric: lookup.latency, clock: wall, wallSamples: { fail: { factor: 1.2 } }, direction: both }',
      '  - { metric: lookup.latency, statistic: p99, clock: simulated, direction: lower }',
    ].join('\n'),
    'g.yaml',
  );
  assert.deepEqual(thresholdsFor(c, { mode: 'iptables', metric: 'sync.full', clock: 'simulated', statistic: 'value' }).simulated, {
    warn: 0.01,
    fail: 0.1,
  });
  assert.deepEqual(thresholdsFor(c, { mode: 'ipvs', metric: 'sync.full', clock: 'simulated', statistic: 'value' }).simulated, {
    warn: 0.01,
    fail: 0.5,
  });
  assert.deepEqual(thresholdsFor(c, { mode: 'ipvs', metric: 'lookup.latency', clock: 'simulated', statistic: 'mean' }).simulated, {
    warn: 0,
    fail: 0,
  });
  const wall = thresholdsFor(c, { mode: 'ipvs', metric: 'lookup.latency', clock: 'wall' });
  assert.deepEqual(wall.wallSamples.fail, { factor: 1.2, p: 0.002 });
  assert.equal(wall.direction, 'both');
  assert.equal(thresholdsFor(c, { mode: 'ipvs', metric: 'lookup.latency', clock: 'simulated', statistic: 'p99' }).direction, 'lower');
  assert.equal(thresholdsFor(c, { mode: 'ipvs', metric: 'lookup.latency', clock: 'simulated', statistic: 'mean' }).direction, 'both');
  assert.equal(thresholdsFor(c, { mode: 'ipvs', metric: 'throughput.engine', clock: 'wall', statistic: 'value' }).direction, 'higher');
  assert.equal(thresholdsFor(c, { mode: 'ipvs', metric: 'sync.full', clock: 'wall', statistic: 'value' }).direction, 'lower');
});

test('ignore rules: metric globs and mode/metric pairs', () => {
  const c = parseGateConfig(
    'ignore:\n  - "memory.*"\n  - { mode: userspace, metric: lookup.latency }\n  - { metric: sync.?dd_service, clock: wall }\n',
    'g.yaml',
  );
  assert.ok(isIgnored(c, { mode: 'ipvs', metric: 'memory.iptables_rules', clock: 'simulated' }), 'memory.* matches any mode and clock');
  assert.ok(isIgnored(c, { mode: 'userspace', metric: 'lookup.latency', clock: 'wall' }), 'the mode/metric pair matches');
  assert.ok(!isIgnored(c, { mode: 'iptables', metric: 'lookup.latency', clock: 'wall' }), 'the pair is for userspace only');
  assert.ok(isIgnored(c, { mode: 'iptables', metric: 'sync.add_service', clock: 'wall' }), '? matches one character');
  assert.ok(!isIgnored(c, { mode: 'iptables', metric: 'sync.add_service', clock: 'simulated' }), 'the clock restricts the rule');
  assert.ok(!isIgnored(c, { mode: 'iptables', metric: 'xmemory.heap', clock: 'simulated' }), 'globs are anchored');
});
