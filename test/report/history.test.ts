// `kpsim history`: three runs of one scenario, one chart per metric against run (date, commit),
// and the numbers the gate flagged between consecutive runs ringed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_GATE_CONFIG } from '../../src/gate/config.ts';
import type { RunResults } from '../../src/metrics/results.ts';
import { buildHistory, loadHistory } from '../../src/report/history.ts';
import { renderSvg } from '../../src/report/render.ts';
import { kpsim, tempDir } from '../helpers/cli.ts';
import { syntheticResults } from './fixture.ts';

/** Three runs a day apart; the third makes iptables' simulated lookup at 30,000 services 2x slower. */
function threeRuns(): RunResults[] {
  return ['aaaa111', 'bbbb222', 'cccc333'].map((commit, i) => {
    const r = syntheticResults();
    r.meta.runId = `run-${i + 1}`;
    r.meta.startedAt = `2026-12-0${i + 1}T10:00:00.000Z`;
    r.meta.git = { commit: `${commit}${'0'.repeat(33)}`, dirty: false };
    if (i === 2)
      for (const row of r.rows)
        if (row.mode === 'iptables' && row.scale === 30000 && row.metric === 'lookup.latency' && row.clock === 'simulated') row.value *= 2;
    return r;
  });
}

function writeRuns(runs: RunResults[]): string[] {
  const root = tempDir('kpsim-history-');
  return runs.map((r) => {
    const dir = join(root, r.meta.runId);
    mkdirSync(dir);
    writeFileSync(join(dir, 'results.json'), JSON.stringify(r));
    return dir;
  });
}

test('kpsim history of three run folders: one chart per metric, runs in start order, the regression ringed', async () => {
  const dirs = writeRuns(threeRuns());
  const out = join(tempDir('kpsim-history-out-'), 'history');
  // Given out of order: the page orders the runs by when they started.
  const r = kpsim(['history', dirs[2], dirs[0], dirs[1], '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^history: 3 runs, \d+ charts, \d+ flags? from the gate: .*index\.html$/m);
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  assert.match(html, /Latest run against the one before it: <b>gate FAIL<\/b>/);
  const spec = JSON.parse(readFileSync(join(out, 'charts', 'history-lookup.latency-simulated-mean.vl.json'), 'utf8'));
  assert.deepEqual(spec.spec.layer[0].encoding.x.sort, ['2026-12-01 aaaa111', '2026-12-02 bbbb222', '2026-12-03 cccc333']);
  const values = spec.data.values as { run: string; mode: string; services: number; value: number; flag: string }[];
  const at = (mode: string, scale: number) => values.filter((v) => v.mode === mode && v.services === scale).map((v) => v.value);
  const ipt = at('iptables', 30000);
  assert.equal(ipt.length, 3);
  assert.equal(ipt[2], 2 * ipt[0]);
  assert.deepEqual(
    values.filter((v) => v.flag !== '').map((v) => [v.run, v.mode, v.services, v.flag]),
    [['2026-12-03 cccc333', 'iptables', 30000, 'FAIL']],
  );
  for (const m of ['lookup.latency-wall-p50', 'sync.full-simulated-value', 'throughput.node_core-simulated-value'])
    assert.ok(existsSync(join(out, 'charts', `history-${m}.svg`)), m);
  assert.match(html, /<td class="FAIL">FAIL<\/td>/, 'the flags table lists it');
});

test('a results store folder (one JSON file per run) works too; each chart renders cleanly', async () => {
  const store = tempDir('kpsim-history-store-');
  for (const r of threeRuns()) writeFileSync(join(store, `${r.meta.startedAt.slice(0, 10)}.json`), JSON.stringify(r));
  writeFileSync(join(store, 'notes.txt'), 'not a run');
  const runs = loadHistory([store]);
  assert.deepEqual(
    runs.map((r) => r.label),
    ['2026-12-01 aaaa111', '2026-12-02 bbbb222', '2026-12-03 cccc333'],
  );
  const model = buildHistory(runs, DEFAULT_GATE_CONFIG);
  assert.equal(model.steps[0], null);
  assert.equal(model.steps[1]!.outcome !== 'FAIL', true);
  assert.equal(model.steps[2]!.outcome, 'FAIL');
  for (const b of model.section.blocks) {
    const { warnings } = await renderSvg(b.chart.spec!);
    assert.deepEqual(warnings, [], `${b.chart.name}: no vega warnings`);
  }
  // Nothing to read is an input error naming the folder.
  const empty = tempDir('kpsim-history-empty-');
  const e = kpsim(['history', empty]);
  assert.equal(e.status, 2);
  assert.match(e.stderr, /no runs in this folder/);
});
