import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { effectiveRates, parseChurnSpec } from '../../src/controlplane/spec.ts';
import { runChurn } from '../../src/controlplane/index.ts';
import { loadScenario, parseScenario } from '../../src/scenario/load.ts';
import { InputError } from '../../src/util/errors.ts';
import { kpsim, tempDir } from '../helpers/cli.ts';

test('churn section: defaults, durations, and errors naming the field', () => {
  const d = parseChurnSpec(undefined);
  assert.equal(d.duration, 300e9);
  assert.equal(d.nodes, 10);
  assert.equal(d.burstSyncs, 2);
  assert.equal(parseChurnSpec({ duration: '1m30s', window: 10 }).duration, 90e9);
  assert.equal(parseChurnSpec({ window: 10 }).window, 10e9);
  assert.throws(
    () => parseChurnSpec({ rates: { serviceCreat: 1 } }, 'f.yaml'),
    (e: unknown) => e instanceof InputError && /f\.yaml: churn\.rates/.test(e.message),
  );
  assert.throws(() => parseChurnSpec({ duratio: '10s' }, 'f.yaml'), /churn\.duratio/);
  assert.throws(() => parseChurnSpec({ duration: '10 parsecs' }, 'f.yaml'), /churn\.duration/);
  assert.throws(() => parseChurnSpec({ timeline: [{ at: '1s', kind: 'explode' }] }, 'f.yaml'), /churn\.timeline\[0\]\.kind/);
  // A total rate rescales the mix, keeping its proportions.
  const r = effectiveRates(parseChurnSpec({ rates: { serviceCreate: 1, endpointAdd: 3 }, rate: 8 }));
  assert.equal(r.serviceCreate, 2);
  assert.equal(r.endpointAdd, 6);
  assert.equal(r.rollingUpdate, 0);
});

test('a timeline naming a missing service is an input error', () => {
  const s = parseScenario(
    'nodes: 3\nservices: 5\nchurn:\n  duration: 10s\n  timeline: [{ at: 1s, kind: rollingUpdate, service: ns-1/nope }]\n',
    'x.yaml',
  );
  assert.throws(() => runChurn(s, { mode: 'ipvs' }), /x\.yaml: churn\.timeline\[0\]\.service: no such service/);
});

test('the shipped scenario validates', () => {
  const s = loadScenario(join(import.meta.dirname, '../../scenarios/churn.yaml'));
  const spec = parseChurnSpec(s.churn, s.file);
  assert.ok(spec.timeline.length > 0);
  assert.ok(Object.values(spec.rates).some((v) => v > 0));
});

test('kpsim churn prints a summary, writes tidy CSV rows and a JSON summary', () => {
  const dir = tempDir();
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'name: tiny\nseed: 9\nnodes: 5\nservices: 50\nchurn:\n  duration: 30s\n  nodes: 3\n  rate: 2\n');
  const out = join(dir, 'out');
  const r = kpsim(['churn', file, '--mode', 'iptables', '--services', '40', '--partial-sync', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /iptables \(partial restore \(KEP-3453\), modern profile\), 40 services, 3 nodes/);
  assert.match(r.stdout, /network programming latency .*\n  all: +p50 [\d.]+ s/);
  assert.match(r.stdout, /verdict: keeps up/);
  const csv = readFileSync(join(out, 'churn.csv'), 'utf8').split('\n');
  assert.equal(csv[0], 'mode,variant,scale,repetition,metric,clock,unit,statistic,value');
  assert.ok(csv.some((l) => l.startsWith('iptables,partial,40,0,programming.latency,simulated,s,p99,')));
  const json = JSON.parse(readFileSync(join(out, 'churn.json'), 'utf8'));
  assert.equal(json.services, 40);
  assert.equal(json.partialSync, true);

  const j = kpsim(['churn', file, '--mode', 'ipvs', '--duration', '20s', '--rate', '1', '--nodes', '2', '--json']);
  assert.equal(j.status, 0, j.stderr);
  const summary = JSON.parse(j.stdout);
  assert.equal(summary.mode, 'ipvs');
  assert.equal(summary.nodes, 2);
  assert.equal(summary.durationS, 20);

  const bad = kpsim(['churn', file, '--mode', 'nft']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--mode: unknown proxy mode/);
});
