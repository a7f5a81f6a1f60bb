import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from 'vega-lite';
import { churnFits, churnMetricName, hasChurnRows, isChurnRow, parseChurnMetric } from '../../src/metrics/churn-rows.ts';
import { buildReport } from '../../src/report/index.ts';
import { fallsBehind } from '../../src/report/churn-findings.ts';
import { loadPublishedFigures } from '../../src/report/published.ts';
import { renderSvg } from '../../src/report/render.ts';
import type { ChartDef, Section } from '../../src/report/types.ts';
import { CHURN_MODES, churnResults } from './churn-fixture.ts';
import { syntheticResults } from './fixture.ts';

const CHURN_TITLE = 'Control plane: sync time and network programming latency';

function churnSection(model: ReturnType<typeof buildReport>): Section | undefined {
  return model.sections.find((s) => s.id === 'churn');
}

function allCharts(model: ReturnType<typeof buildReport>): ChartDef[] {
  return [...model.sections, model.reproduction].flatMap((s) => s.blocks.map((b) => b.chart));
}

async function assertCleanRender(chart: ChartDef, modes: string[]): Promise<void> {
  assert.ok(chart.spec, `${chart.name} has a spec`);
  const warnings: string[] = [];
  const logger = {
    level: () => 2,
    warn: (...a: unknown[]) => {
      warnings.push(a.join(' '));
    },
    error: (...a: unknown[]) => {
      warnings.push(a.join(' '));
    },
    info: () => {},
    debug: () => {},
  };
  const vg = compile(chart.spec, { logger: logger as never }).spec;
  assert.ok(Array.isArray(vg.marks) && vg.marks.length > 0, `${chart.name} compiles to vega marks`);
  const { svg, warnings: renderWarnings } = await renderSvg(chart.spec);
  assert.deepEqual([...warnings, ...renderWarnings], [], `${chart.name}: no vega-lite/vega warnings`);
  assert.match(svg, /^<svg[^>]*>/);
  assert.match(svg, /<path[^>]+d="M/, `${chart.name} draws paths`);
  for (const mode of modes) assert.ok(svg.includes(`>${mode}<`), `${chart.name} SVG names mode ${mode} in its legend`);
}

test('churn metric names carry the rate; churn rows are told apart from data-plane rows', () => {
  assert.equal(churnMetricName('programming.latency', 10), 'programming.latency@10/s');
  assert.deepEqual(parseChurnMetric('programming.latency@0.5/s'), { base: 'programming.latency', rate: 0.5 });
  assert.deepEqual(parseChurnMetric('sync.full'), { base: 'sync.full', rate: null });
  for (const m of [
    'programming.latency@1/s',
    'sync.duration.full',
    'sync.count@10/s',
    'queue.length',
    'proxy.cpu_share@1/s',
    'churn.keeps_up',
    'ruleset.rules',
  ])
    assert.ok(isChurnRow({ metric: m }), m);
  for (const m of ['sync.full', 'sync.add_service', 'lookup.latency', 'cpu.per_connection', 'throughput.node_core'])
    assert.ok(!isChurnRow({ metric: m }), m);
  assert.ok(hasChurnRows(churnResults().rows));
  assert.ok(!hasChurnRows(syntheticResults().rows));
});

test('a churn run gets the control-plane section, its fitted exponents and where each mode falls behind', () => {
  const model = buildReport(churnResults(), loadPublishedFigures());
  // A churn sweep alone has no data-plane rows: only the churn section is drawn.
  assert.deepEqual(
    model.sections.map((s) => s.id),
    ['churn'],
  );
  const s = churnSection(model)!;
  assert.equal(s.title, CHURN_TITLE);
  assert.equal(s.clock, 'simulated clock');
  assert.deepEqual(
    s.blocks.map((b) => b.chart.name),
    ['churn-sync-time', 'churn-programming-latency', 'churn-latency-vs-rate'],
  );
  assert.match(s.intro, /minSyncPeriod 1 s, burst 2, syncPeriod 30 s/);
  const [exponents, ...modes] = s.findings!;
  // The fixture's iptables sync is exactly linear in services, its ipvs sync flat at 1/s.
  assert.match(exponents, /over 4 scales at 1 events\/s\): iptables: k = 1\.00, O\(n\).*; ipvs: k = 0\.00, O\(1\)/);
  assert.match(exponents, /complexity table below/);
  assert.equal(modes.length, CHURN_MODES.length);
  assert.match(
    modes[0],
    /^userspace falls behind at 50,000 services at 1, 10 and 50 events\/s: its pending-change queue grows without bound/,
  );
  assert.match(modes.find((l) => l.startsWith('ipvs'))!, /^ipvs keeps up at every scale and rate/);
  // The fits go to the complexity table too (fits.csv), one per mode, rate and fitted metric.
  assert.equal(churnFits(churnResults().rows).length, CHURN_MODES.length * 3 * 2);
});

test('churn charts compile with vega-lite and render with no warnings, one line per mode', async () => {
  const model = buildReport(churnResults(), loadPublishedFigures());
  const section = churnSection(model)!;
  for (const b of section.blocks) await assertCleanRender(b.chart, CHURN_MODES);
  // (a) full and partial syncs, per rate; (b) p50 and p99, per rate; (c) p99 against the rate at the largest scale.
  const a = section.blocks[0].chart.spec as unknown as {
    facet: { column: { sort: string[] } };
    data: { values: { sync: string; mode: string }[] };
  };
  assert.deepEqual(a.facet.column.sort, ['1 events/s', '10 events/s', '50 events/s']);
  assert.deepEqual([...new Set(a.data.values.filter((v) => v.sync === 'partial').map((v) => v.mode))], ['iptables+partial']);
  const b = section.blocks[1].chart.spec as unknown as { data: { values: { percentile: string }[] } };
  assert.deepEqual([...new Set(b.data.values.map((v) => v.percentile))], ['p50', 'p99']);
  const c = section.blocks[2].chart;
  assert.match(c.caption, /at 50,000 services \(the largest scale every mode ran at every rate\)/);
  const cValues = (c.spec as unknown as { data: { values: { services: number; rate: number }[] } }).data.values;
  assert.ok(cValues.every((v) => v.services === 50000));
  assert.deepEqual([...new Set(cValues.map((v) => v.rate))], [1, 10, 50]);
});

test("published control-plane figures are drawn only where the run's conditions match, with their source", async () => {
  const published = loadPublishedFigures();
  // Modern profile, min-sync-period 1 s: Huawei (legacy iptables) is listed, not drawn; KEP-3453's 1 s variant is drawn.
  const modern = buildReport(churnResults(), published).reproduction.blocks;
  assert.deepEqual(
    modern.map((b) => b.chart.name),
    ['repro-churn-rule-add', 'repro-churn-kep3453'],
  );
  const [huawei, kep] = modern;
  assert.equal(huawei.chart.spec, null);
  assert.match(huawei.chart.notes[0], /modern profile.*--profile legacy/);
  assert.deepEqual(huawei.table!.rows[1].slice(0, 4), ['5,000', '40,000', '70,000', '660']);
  assert.match(huawei.table!.rows[1][4], /modern profile/);
  assert.match(huawei.source!, /KubeCon EU 2017/);
  await assertCleanRender(kep.chart, ['iptables+partial']);
  const kepValues = (kep.chart.spec as unknown as { data: { values: { series: string; value: number; source?: string; mode: string }[] } })
    .data.values;
  const kepPublished = kepValues.filter((v) => v.series === 'published');
  assert.deepEqual(
    kepPublished.map((v) => [v.mode, v.value]),
    [['iptables+partial', 5]],
  );
  assert.ok(
    kepPublished.every((v) => /KEP-3453/.test(v.source ?? '')),
    'the source goes in the tooltip',
  );
  assert.match(
    kep.chart.notes.join(' '),
    /Not drawn \(different min-sync-period from this run's 1 s\): full restore \(27 s\); partial restore \(13 s\)/,
  );

  // Legacy profile, min-sync-period 10 s: Huawei drawn beside kpsim; KEP-3453's full and partial variants drawn.
  const legacy = buildReport(churnResults({ profile: 'legacy', minSyncPeriodS: 10 }), published).reproduction.blocks;
  await assertCleanRender(legacy[0].chart, ['iptables', 'ipvs']);
  const hv = (legacy[0].chart.spec as unknown as { data: { values: { series: string; source?: string }[] } }).data.values;
  assert.ok(hv.filter((v) => v.series === 'published').every((v) => /KubeCon EU 2017/.test(v.source ?? '')));
  // kpsim's full sync at 5,000 services in the fixture: 0.35 ms per service.
  assert.equal(legacy[0].table!.rows.find((r) => r[0] === '5,000')![4], '1.75');
  await assertCleanRender(legacy[1].chart, ['iptables', 'iptables+partial']);
  const kv = (legacy[1].chart.spec as unknown as { data: { values: { series: string; mode: string; value: number }[] } }).data.values;
  assert.deepEqual(
    kv.filter((v) => v.series === 'published').map((v) => [v.mode, v.value]),
    [
      ['iptables', 27],
      ['iptables+partial', 13],
    ],
  );

  // A run that does not record its min-sync-period cannot be matched: a note, no chart.
  const unknown = buildReport(churnResults({ noChurnMeta: true }), published).reproduction.blocks[1];
  assert.equal(unknown.chart.spec, null);
  assert.match(unknown.chart.notes[0], /does not record its min-sync-period/);
});

test('one churn rate: no chart against the rate, a note saying why', () => {
  const section = churnSection(buildReport(churnResults({ rates: [10] }), loadPublishedFigures()))!;
  const c = section.blocks[2].chart;
  assert.equal(c.spec, null);
  assert.match(c.notes[0], /one churn rate only.*needs two or more/);
  assert.ok(section.blocks[0].chart.spec && section.blocks[1].chart.spec);
});

test('runs without churn rows are unchanged; runs with both get both', () => {
  const plain = buildReport(syntheticResults(), loadPublishedFigures());
  assert.deepEqual(
    plain.sections.map((s) => s.id),
    ['lookup', 'sync', 'memory', 'throughput'],
  );
  assert.deepEqual(
    plain.reproduction.blocks.map((b) => b.chart.name),
    ['repro-first-packet', 'repro-cpu', 'repro-rule-add'],
  );
  assert.ok(plain.sections.every((s) => s.findings === undefined));

  const mixed = syntheticResults();
  const churn = churnResults();
  mixed.rows.push(...churn.rows);
  const both = buildReport(mixed, loadPublishedFigures());
  assert.deepEqual(
    both.sections.map((s) => s.id),
    ['lookup', 'sync', 'memory', 'throughput', 'churn'],
  );
  assert.equal(allCharts(both).length, 7 + 3 + 2);
});

test("falling behind: the simulator's verdict, or a queue still at its peak while one sync takes over a third of the run", () => {
  const p = { mode: 'm', scale: 1, rate: 1, keepsUp: true, queueFinal: 100, queueMax: 100, cpuShare: 1, syncP50: 200, latencyP99: 400 };
  assert.equal(fallsBehind(p, 300), true);
  assert.equal(fallsBehind({ ...p, syncP50: 20 }, 300), false, 'short syncs: a saw-tooth caught near its top');
  assert.equal(fallsBehind({ ...p, queueFinal: 50 }, 300), false);
  assert.equal(fallsBehind({ ...p, syncP50: 20, keepsUp: false }, 300), true);
  assert.equal(fallsBehind(p, null), false, "without the run's duration only the verdict counts");
});
