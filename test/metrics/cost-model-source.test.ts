// Which prices a run uses: defaults, a cost-model file (calibrate's output or a flat object) from
// --cost-model or the scenario's costModelFile, and the scenario's own costModel on top; the
// record results carry; and the gate and merge refusing to mix runs priced differently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareRuns } from '../../src/gate/gate.ts';
import { DEFAULT_GATE_CONFIG } from '../../src/gate/config.ts';
import { DEFAULT_COST_MODEL } from '../../src/metrics/cost-model.ts';
import { describeCostModel, resolveCostModel, samePricing, withCostModelFile } from '../../src/metrics/cost-model-source.ts';
import { mergeResults } from '../../src/output/merge.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { InputError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers/cli.ts';
import { fabricateRun } from '../gate/fixtures.ts';

const calibration = {
  schema: 'kpsim-calibration/1',
  costModel: { iptablesRuleNs: 9.9, iptablesRestoreLineNs: 27900, conntrackInsertNs: 1500 },
  measurements: [
    { kind: 'point', id: 'iptables.walk', backend: 'nft', services: 1000, median: 13900, min: 12900, max: 15600, n: 3, unit: 'ns' },
    { kind: 'point', id: 'iptables.restore', backend: 'legacy', services: 5000, median: 0.74, min: 0.72, max: 0.82, n: 3, unit: 's' },
    { kind: 'point', id: 'nftables.load', backend: 'nftables', services: 5000, median: 8.5, min: 7, max: 11, n: 3, unit: 's' },
    { kind: 'constant', id: 'iptables.walk.per_rule', constant: 'iptablesRuleNs', median: 9.9, min: 9.8, max: 10 },
  ],
  machine: { kernel: '6.18.44', cpuModel: 'AMD EPYC' },
  run: { date: '2026-12-04T15:30:00.000Z' },
};

function setup() {
  const dir = tempDir('kpsim-costmodel-');
  mkdirSync(join(dir, 'cal'));
  const file = join(dir, 'cal', 'cal.json');
  writeFileSync(file, JSON.stringify(calibration));
  const scenario = (extra: string) => parseScenario(`services: 10\n${extra}`, join(dir, 's.yaml'));
  return { dir, file, scenario };
}

test('defaults: the built-in prices plus the scenario section, recorded as such', () => {
  const { scenario } = setup();
  const r = resolveCostModel(scenario('costModel: { iptablesRuleNs: 35 }\n'));
  assert.equal(r.costModel.iptablesRuleNs, 35);
  assert.equal(r.costModel.conntrackInsertNs, DEFAULT_COST_MODEL.conntrackInsertNs);
  assert.deepEqual({ ...r.info, prices: undefined }, { source: 'defaults', scenarioConstants: ['iptablesRuleNs'], prices: undefined });
  assert.deepEqual(r.info.prices, r.costModel);
});

test("a calibration file: its constants over the defaults, the scenario's own on top, its hash and panel points recorded", () => {
  const { file, scenario } = setup();
  // The scenario names it relative to itself.
  const r = resolveCostModel(scenario('costModelFile: cal/cal.json\ncostModel: { conntrackInsertNs: 700 }\n'));
  assert.equal(r.costModel.iptablesRuleNs, 9.9);
  assert.equal(r.costModel.iptablesRestoreLineNs, 27900);
  assert.equal(r.costModel.conntrackInsertNs, 700);
  assert.equal(r.costModel.packetBaseNs, DEFAULT_COST_MODEL.packetBaseNs);
  assert.equal(r.info.source, 'file');
  assert.equal(r.info.file, file);
  assert.equal(r.info.sha256, createHash('sha256').update(readFileSync(file)).digest('hex'));
  assert.deepEqual(r.info.fileConstants, ['conntrackInsertNs', 'iptablesRestoreLineNs', 'iptablesRuleNs']);
  assert.deepEqual(r.info.scenarioConstants, ['conntrackInsertNs']);
  assert.deepEqual(
    r.info.calibration?.points.map((p) => `${p.id}/${p.backend}/${p.services}`),
    ['iptables.walk/nft/1000', 'iptables.restore/legacy/5000'],
  );
  assert.equal(r.info.calibration?.kernel, '6.18.44');
  // --cost-model replaces the scenario's file (a path from the working directory).
  const flat = join(setup().dir, 'flat.json');
  writeFileSync(flat, JSON.stringify({ iptablesRuleNs: 4 }));
  const cli = resolveCostModel(withCostModelFile(scenario('costModelFile: cal/cal.json\n'), flat));
  assert.equal(cli.costModel.iptablesRuleNs, 4);
  assert.equal(cli.costModel.iptablesRestoreLineNs, DEFAULT_COST_MODEL.iptablesRestoreLineNs);
  assert.equal(cli.info.calibration, undefined);
  assert.match(describeCostModel(cli.info), /flat\.json \(sha256 [0-9a-f]{12}\)/);
});

test('bad cost-model files are input errors naming the file and the field', () => {
  const { dir, scenario } = setup();
  const bad = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return () => resolveCostModel(scenario(`costModelFile: ${name}\n`));
  };
  assert.throws(
    () => resolveCostModel(scenario('costModelFile: nope.json\n')),
    (e: Error) => e instanceof InputError && /nope\.json: cannot read the cost-model file/.test(e.message),
  );
  assert.throws(bad('m.json', '{'), /m\.json: malformed JSON/);
  assert.throws(bad('u.json', '{"costModel": {"iptablesRuleNS": 3}}'), /u\.json: costModel\.iptablesRuleNS: unknown cost-model constant/);
  assert.throws(bad('n.json', '{"costModel": {"iptablesRuleNs": -3}}'), /n\.json: costModel\.iptablesRuleNs: .*\(got -3\)/);
  assert.throws(bad('a.json', '[1]'), /a\.json: \(top level\): a cost-model file is an object/);
});

test('the gate refuses runs priced differently (exit 2), or with --allow-cost-model-change warns loudly', () => {
  const { file, scenario } = setup();
  const base = fabricateRun({ runId: 'base' });
  const info = resolveCostModel(scenario('costModelFile: cal/cal.json\n')).info;
  const cur = fabricateRun({ runId: 'cur', costModel: info.prices });
  cur.meta.costModel = info;
  // Old results without the record count as the defaults.
  assert.equal(samePricing(undefined, resolveCostModel(scenario('')).info), true);
  assert.throws(
    () => compareRuns(base, cur, DEFAULT_GATE_CONFIG),
    (e: Error) =>
      e instanceof InputError &&
      e.message.includes('priced by different cost models') &&
      e.message.includes(file) &&
      e.message.includes('--allow-cost-model-change'),
  );
  const report = compareRuns(base, cur, DEFAULT_GATE_CONFIG, undefined, { allowCostModelChange: true });
  assert.match(report.warnings[0], /^PRICED DIFFERENTLY: .*baseline: the default cost model; current: .*cal\.json/);
  assert.equal(report.outcome, 'FAIL', 'the simulated numbers did change');
  // Both priced by the same file: compared as usual.
  const again = fabricateRun({ runId: 'again', costModel: info.prices });
  again.meta.costModel = info;
  assert.equal(
    compareRuns(cur, again, DEFAULT_GATE_CONFIG).warnings.some((w) => w.includes('PRICED')),
    false,
  );
});

test('merge refuses shards priced by different cost models', () => {
  const { scenario } = setup();
  const a = fabricateRun({ runId: 'a-shard1of2', scales: [100] });
  const b = fabricateRun({ runId: 'a-shard2of2', scales: [1000] });
  b.meta.costModel = resolveCostModel(scenario('costModelFile: cal/cal.json\n')).info;
  assert.throws(
    () =>
      mergeResults([
        { path: 'a', results: a },
        { path: 'b', results: b },
      ]),
    /b: meta\.costModel: was priced by .*cal\.json .*, a by the default cost model/,
  );
});
