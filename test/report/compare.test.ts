// Comparison mode: the gate's verdicts as the page's first section (changed lines only, biggest
// change first, the rest folded away) and the baseline drawn into every chart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULT_GATE_CONFIG } from '../../src/gate/config.ts';
import { changedLines } from '../../src/gate/format.ts';
import { compareRuns } from '../../src/gate/gate.ts';
import { changesModel } from '../../src/report/compare.ts';
import { buildComparison, writeReport } from '../../src/report/index.ts';
import { renderSvg } from '../../src/report/render.ts';
import { tempDir } from '../helpers/cli.ts';
import { churnResults } from './churn-fixture.ts';
import { slowerRun } from './compare-fixture.ts';

test('the changes table lists only what the gate flagged, biggest change first; the rest is folded away', () => {
  const { baseline, current } = slowerRun();
  const gate = compareRuns(baseline, current, DEFAULT_GATE_CONFIG);
  assert.equal(gate.outcome, 'FAIL');
  const model = changesModel(gate, 'summary');
  const changed = changedLines(gate);
  assert.equal(model.changed.rows.length, changed.length);
  assert.deepEqual(
    model.changed.rows.map((r) => [r[0], r[1], r[2], r[3], r[7], r[9]]),
    [
      ['iptables', '30,000', 'lookup.latency', 'simulated', '3×', 'FAIL'],
      ['iptables', '10,000', 'lookup.latency', 'simulated', '1.5×', 'FAIL'],
    ],
  );
  assert.ok(model.unchanged.rows.length > 20, 'every other line is there, folded');
  assert.ok(
    model.unchanged.rows.every((r) => r[9] === 'pass'),
    'only passes are folded away',
  );
  assert.equal(model.bands, null);
});

test('every chart of a comparison draws both runs, with no vega-lite warnings', async () => {
  const { baseline, current } = slowerRun();
  const model = buildComparison(current, baseline);
  for (const s of [...model.sections, model.reproduction]) {
    for (const b of s.blocks) {
      const spec = b.chart.spec as unknown as { data: { values: { run: string; series?: string }[] } } | null;
      assert.ok(spec, `${b.chart.name} drawn`);
      const runs = new Set(spec.data.values.map((v) => v.run));
      assert.ok(runs.has('current'), `${b.chart.name}: current run`);
      // Identical values (every published mark, unchanged series) are drawn once, as the current run's.
      if (b.chart.name === 'lookup-latency') assert.ok(runs.has('baseline'), 'the changed lookups show the baseline');
      assert.ok(
        spec.data.values.filter((v) => v.series === 'published').every((v) => v.run === 'current'),
        'published marks once',
      );
      assert.match(b.chart.caption, /lighter: the baseline \(base-run\)/);
      const { warnings } = await renderSvg(b.chart.spec!);
      assert.deepEqual(warnings, [], `${b.chart.name}: no warnings`);
    }
  }
});

test('writeReport with a comparison: "What changed" is the first section, with the gate verdict in the headline', async () => {
  const { baseline, current } = slowerRun();
  const dir = tempDir('kpsim-compare-');
  const gate = compareRuns(baseline, current, DEFAULT_GATE_CONFIG);
  const [index] = await writeReport(dir, current, { comparison: { baseline, baselineFile: 'base/results.json', gate } });
  const html = readFileSync(index, 'utf8');
  const sections = [...html.matchAll(/<section id="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(sections[0], 'changes');
  assert.match(html, /<p class="headline FAIL"><b>gate FAIL: 6 regressions,/);
  const changes = /<section id="changes">([\s\S]*?)<\/section>/.exec(html)![1];
  const foldAt = changes.search(/<details><summary>\d+ unchanged lines<\/summary>/);
  assert.ok(foldAt > 0, 'the unchanged lines are folded away at the end');
  const [shown, folded] = [changes.slice(0, foldAt), changes.slice(foldAt)];
  assert.equal((shown.match(/<td class="FAIL">FAIL<\/td>/g) ?? []).length, 2);
  assert.doesNotMatch(shown, />pass</);
  assert.ok((folded.match(/>pass</g) ?? []).length > 20);
  assert.match(html, /<title>kpsim comparison: synthetic/);
});

test('a churn sweep against its baseline: both runs in every chart; where dashes already mean something, only lighter', async () => {
  const base = churnResults({ profile: 'legacy', minSyncPeriodS: 10 });
  const cur = churnResults({ profile: 'legacy', minSyncPeriodS: 10 });
  for (const r of cur.rows) if (r.mode === 'iptables') r.value *= 1.3;
  const model = buildComparison(cur, base);
  const charts = [...model.sections, model.reproduction].flatMap((s) => s.blocks.map((b) => b.chart)).filter((c) => c.spec);
  assert.ok(charts.length >= 5);
  for (const c of charts) {
    const values = (c.spec as unknown as { data: { values: { run: string }[] } }).data.values;
    assert.deepEqual([...new Set(values.map((v) => v.run))].sort(), ['baseline', 'current'], c.name);
    const { warnings } = await renderSvg(c.spec!);
    assert.deepEqual(warnings, [], `${c.name}: no warnings`);
  }
  const kep = charts.find((c) => c.name === 'repro-churn-kep3453')!;
  assert.match(kep.caption, /Full colour: this run; lighter: the baseline/);
});
