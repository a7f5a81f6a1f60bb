// The "this kernel vs the model" section: present only for a run priced by a calibration file,
// saying what it compares; measured points (median, min..max) beside kpsim's simulated curves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from 'vega-lite';
import { DEFAULT_COST_MODEL } from '../../src/metrics/cost-model.ts';
import type { CostModelInfo } from '../../src/metrics/cost-model-source.ts';
import { buildReport } from '../../src/report/index.ts';
import { loadPublishedFigures } from '../../src/report/published.ts';
import { renderSvg } from '../../src/report/render.ts';
import { syntheticResults } from './fixture.ts';

const info: CostModelInfo = {
  source: 'file',
  file: '/tmp/cal.json',
  sha256: 'ab'.repeat(32),
  fileConstants: ['iptablesRuleNs'],
  scenarioConstants: [],
  prices: DEFAULT_COST_MODEL,
  calibration: {
    kernel: '6.18.44-test',
    cpuModel: 'Test CPU',
    date: '2026-12-04T15:30:00Z',
    points: [
      { id: 'iptables.restore', backend: 'nft', services: 1000, median: 0.27, min: 0.26, max: 0.31, unit: 's' },
      { id: 'iptables.restore', backend: 'nft', services: 10000, median: 4.28, min: 4.2, max: 4.4, unit: 's' },
      { id: 'iptables.restore', backend: 'legacy', services: 10000, median: 1.8, min: 1.79, max: 2.0, unit: 's' },
      { id: 'iptables.walk', backend: 'nft', services: 0, median: 3000, min: 2500, max: 4800, unit: 'ns' },
      { id: 'iptables.walk', backend: 'nft', services: 5000, median: 54400, min: 53500, max: 61800, unit: 'ns' },
      { id: 'iptables.walk', backend: 'legacy', services: 5000, median: 30900, min: 27500, max: 30900, unit: 'ns' },
    ],
  },
};

test('no calibration, no kernel section', () => {
  const model = buildReport(syntheticResults(), loadPublishedFigures());
  assert.ok(!model.sections.some((s) => s.id === 'kernel'));
});

test('a calibrated run gets the kernel section: restore and walk, measured beside simulated, and says what it compares', async () => {
  const results = syntheticResults();
  results.meta.costModel = info;
  const model = buildReport(results, loadPublishedFigures());
  const section = model.sections.find((s) => s.id === 'kernel')!;
  assert.ok(section, 'kernel section');
  assert.match(section.intro, /priced by \/tmp\/cal\.json .*kernel 6\.18\.44-test, Test CPU/);
  assert.deepEqual(
    section.blocks.map((b) => b.chart.name),
    ['kernel-restore', 'kernel-walk'],
  );
  for (const b of section.blocks) {
    const spec = b.chart.spec as unknown as { data: { values: { series: string; services: number; value: number; lo: number | null }[] } };
    assert.ok(spec, b.chart.name);
    const values = spec.data.values;
    assert.ok(values.some((v) => v.series === 'kpsim (simulated)'));
    // Measured marks carry their spread; the 0-service skeleton point is not drawn on a log axis.
    const measured = values.filter((v) => v.series.startsWith('kernel, '));
    assert.ok(measured.length >= 2 && measured.every((v) => v.lo !== null && v.services > 0));
    assert.ok(compile(b.chart.spec!).spec.marks!.length > 0);
    assert.match((await renderSvg(b.chart.spec!)).svg, /kernel, iptables-legacy/);
    assert.equal(b.table!.columns[0], 'services');
  }
  // The walk in µs: 54,400 ns measured at 5,000 services.
  const walk = section.blocks[1].chart.spec as unknown as { data: { values: { series: string; services: number; value: number }[] } };
  assert.equal(walk.data.values.find((v) => v.series === 'kernel, iptables-nft' && v.services === 5000)!.value, 54.4);
});
