import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from 'vega-lite';
import { buildReport } from '../../src/report/index.ts';
import { plainVerdict } from '../../src/report/complexity.ts';
import { series, valueAt } from '../../src/report/data.ts';
import { loadPublishedFigures } from '../../src/report/published.ts';
import { renderSvg } from '../../src/report/render.ts';
import { logTicks } from '../../src/report/spec-kit.ts';
import type { ChartDef } from '../../src/report/types.ts';
import { FIXTURE_MODES, syntheticResults } from './fixture.ts';

function charts(results = syntheticResults()): ChartDef[] {
  const model = buildReport(results, loadPublishedFigures());
  return [...model.sections, model.reproduction].flatMap((s) => s.blocks.map((b) => b.chart));
}

test('every chart of a full run compiles with vega-lite and renders to an SVG naming its modes', async () => {
  const all = charts();
  assert.deepEqual(
    all.map((c) => c.name),
    ['lookup-latency', 'sync-time', 'memory-per-rule', 'throughput', 'repro-first-packet', 'repro-cpu', 'repro-rule-add'],
  );
  for (const chart of all) {
    assert.ok(chart.spec, `${chart.name} has a spec`);
    const warnings: string[] = [];
    const vg = compile(chart.spec, {
      logger: {
        level: () => 2,
        warn: (...a: unknown[]) => {
          warnings.push(a.join(' '));
        },
        error: (...a: unknown[]) => {
          warnings.push(a.join(' '));
        },
        info: () => {},
        debug: () => {},
      } as never,
    }).spec;
    assert.ok(Array.isArray(vg.marks) && vg.marks.length > 0, `${chart.name} compiles to vega marks`);
    const { svg, warnings: renderWarnings } = await renderSvg(chart.spec);
    assert.deepEqual([...warnings, ...renderWarnings], [], `${chart.name}: no vega-lite/vega warnings`);
    assert.match(svg, /^<svg[^>]*>/, `${chart.name} renders an SVG`);
    assert.ok(svg.length > 5000, `${chart.name} SVG is not empty (${svg.length} chars)`);
    assert.match(svg, /<path[^>]+d="M/, `${chart.name} draws paths`);
    const expected =
      chart.name === 'memory-per-rule' ? ['iptables'] : chart.name.startsWith('repro-') ? ['iptables', 'ipvs'] : FIXTURE_MODES;
    for (const mode of expected) assert.ok(svg.includes(`>${mode}<`), `${chart.name} SVG names mode ${mode} in its legend`);
  }
});

test('the memory chart draws bytes per rule, steady and at the sync peak, for the modes sized in rules and names the others', () => {
  const memory = charts().find((c) => c.name === 'memory-per-rule');
  assert.ok(memory?.spec);
  const spec = memory.spec as unknown as {
    hconcat: { title: { text: string } }[];
    data: { values: { mode: string; panel: string; value: number }[] };
  };
  assert.deepEqual(
    spec.hconcat.map((p) => p.title.text),
    ['Steady state', 'Peak during the full sync'],
  );
  const steady = spec.data.values.filter((v) => v.panel === 'Steady state');
  assert.deepEqual([...new Set(steady.map((v) => v.mode))], ['iptables']);
  assert.deepEqual(
    steady.map((v) => v.value),
    [201, 205, 210, 230],
  );
  assert.ok(
    memory.notes.some((n) => /No line for userspace, ipvs: their size is not counted in rules/.test(n)),
    memory.notes.join('\n'),
  );
  const none = charts(syntheticResults({ simulatedOnly: true })).find((c) => c.name === 'memory-per-rule');
  assert.equal(none?.spec, null);
  assert.match(none?.notes.join(' ') ?? '', /no memory\.bytes_per_rule rows/);
});

test("the lookup chart shows both clocks: simulated mean, and wall p50 with the samples' interquartile range", () => {
  const lookup = charts()[0];
  const spec = lookup.spec as unknown as {
    hconcat: { title: { text: string } }[];
    data: { values: { clock: string; value: number; q1?: number; q3?: number; p99?: number; lo?: number; hi?: number }[] };
  };
  assert.deepEqual(
    spec.hconcat.map((p) => p.title.text),
    ['Simulated clock', 'Wall clock (this machine)'],
  );
  const wall = spec.data.values.filter((v) => v.clock === 'wall');
  assert.equal(wall.length, 12);
  for (const v of wall) {
    assert.ok(v.q1! < v.value && v.value < v.q3! && v.q3! < v.p99!, `p25 < p50 < p75 < p99: ${JSON.stringify(v)}`);
    assert.ok(Math.abs(v.q1! / v.value - 0.9) < 0.01 && Math.abs(v.q3! / v.value - 1.2) < 0.01, 'quartiles of the fixture samples');
  }
  // The fixture has one repetition: the bars are that repetition's own samples, and the page says so.
  assert.deepEqual(lookup.notes, [
    "1 repetition: the bars are the spread of that repetition's own tinybench samples; there is no spread between repetitions (run the sweep with --repetitions 3 for one).",
  ]);
  for (const v of wall) assert.ok(v.lo! < v.q1! && v.q3! < v.hi!, `min < p25 and p75 < max: ${JSON.stringify(v)}`);
  // Without raw samples the points stay, without bars, and the page says so.
  const bare = syntheticResults();
  bare.samples = [];
  const noSamples = charts(bare)[0];
  assert.match(noSamples.notes.join(' '), /no raw wall-clock lookup samples/);
});

test('reproduction tables put kpsim beside the published numbers at the same conditions', () => {
  const results = syntheticResults();
  const model = buildReport(results, loadPublishedFigures());
  const [fp, cpu, add] = model.reproduction.blocks;
  // First packet: the fixture's scales include 5k, 10k and 30k, so kpsim's values are exact.
  const p50 = series(results.rows, 'first_packet.latency', 'simulated', 'p50');
  const at5k = p50.find((p) => p.mode === 'iptables' && p.scale === 5000)!.value;
  const col = (name: string) => fp.table!.columns.indexOf(name);
  assert.deepEqual([fp.table!.rows[0][col('services')], fp.table!.rows[0][col('published iptables p50')]], ['5,000', '47']);
  assert.equal(fp.table!.rows[0][col('kpsim iptables p50')], new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 }).format(at5k));
  assert.match(fp.source!, /Kubernetes blog/);
  // CPU: 1,000 connections/s x ns per connection / 1e9 at 10,000 services.
  const ns = results.rows.find((r) => r.metric === 'cpu.per_connection' && r.mode === 'iptables' && r.scale === 10000)!.value;
  assert.deepEqual(cpu.table!.rows[0].slice(0, 3), ['iptables', '10,000', '0.35']);
  assert.equal(cpu.table!.rows[0][3], new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 }).format((1000 * ns) / 1e9));
  assert.deepEqual(cpu.table!.rows[1].slice(0, 3), ['ipvs', '10,000', '0.08']);
  // Rule add: 20,000 services is between the fixture's 10k and 30k: interpolated. 1 service is far
  // outside the run's scales: not listed (the caption says so) and not drawn (the subtitle says so).
  assert.deepEqual(
    add.table!.rows.map((r) => r[0]),
    ['5,000', '20,000'],
  );
  assert.match(add.table!.rows[1][3], /^≈ .* \(interpolated\)$/);
  assert.match(add.table!.caption, /Not listed: the published row at 1 service, outside this run's scales \(1,000 to 30,000 services\)/);
  const addSpec = add.chart.spec as unknown as { title: { subtitle: string[] }; data: { values: { services: number }[] } };
  assert.ok(addSpec.data.values.every((v) => v.services >= 1000));
  assert.match(addSpec.title.subtitle[1], /Not drawn, far off this run's scales: published iptables 0\.002 s at 1 service/);
  assert.ok(
    add.chart.notes.some((n) => /iptables profile/.test(n)),
    'the rule-add chart notes the iptables profile',
  );
  // Published points carry their source for the tooltip.
  const values = (add.chart.spec as unknown as { data: { values: { series: string; source?: string }[] } }).data.values;
  assert.ok(values.filter((v) => v.series === 'published').every((v) => /KubeCon EU 2017/.test(v.source ?? '')));
});

test('missing metrics give notes, not crashes', async () => {
  const none = charts(
    syntheticResults({
      omitMetrics: [
        'lookup.latency',
        'sync.full',
        'sync.add_service',
        'sync.remove_endpoint',
        'throughput.node_core',
        'first_packet.latency',
        'cpu.per_connection',
        'memory.bytes_per_rule',
      ],
    }),
  );
  for (const c of none) {
    assert.equal(c.spec, null, `${c.name} has no chart`);
    assert.match(c.notes[0], /no .*rows|nothing to draw/i, `${c.name} says why`);
  }
  // A --simulated-only run: one lookup panel, one sync row of panels, and a note for each.
  const simOnly = charts(syntheticResults({ simulatedOnly: true }));
  const lookup = simOnly[0].spec as unknown as { hconcat: unknown[] };
  assert.equal(lookup.hconcat.length, 1);
  assert.ok(simOnly[0].notes.some((n) => /wall-clock/.test(n)));
  for (const c of simOnly) if (c.spec) assert.ok((await renderSvg(c.spec)).svg.length > 1000);
  // No published figures file: the reproduction charts say so.
  const model = buildReport(syntheticResults(), loadPublishedFigures('/nonexistent/published.json'));
  for (const b of model.reproduction.blocks) assert.match(b.chart.notes[0], /No published figure.*cannot read/);
  // Two modes only, and values a log axis cannot show.
  const results = syntheticResults({ modes: ['iptables'] });
  results.rows.find((r) => r.metric === 'throughput.node_core')!.value = 0;
  const partial = charts(results);
  assert.ok(partial.find((c) => c.name === 'throughput')!.notes.some((n) => /log axis/.test(n)));
  assert.ok(partial.find((c) => c.name === 'repro-cpu')!.spec);
});

test('valueAt interpolates on log-log axes and refuses to extrapolate', () => {
  const pts = [
    { mode: 'm', scale: 1000, value: 10, n: 1 },
    { mode: 'm', scale: 100000, value: 1000, n: 1 },
  ];
  assert.deepEqual(valueAt(pts, 'm', 1000), { value: 10, exact: true });
  const mid = valueAt(pts, 'm', 10000)!;
  assert.equal(mid.exact, false);
  assert.ok(Math.abs(mid.value - 100) < 1e-9);
  assert.equal(valueAt(pts, 'm', 500), null);
  assert.equal(valueAt(pts, 'other', 1000), null);
});

test('log axis ticks are decades (with 2 and 5 on short spans)', () => {
  assert.deepEqual(logTicks([150, 250000]), [100, 1000, 10000, 100000, 1000000]);
  assert.deepEqual(logTicks([0.08, 0.35]), [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]);
  assert.equal(logTicks([0, -1]), undefined);
});

test('verdicts in plain words', () => {
  const f = (exponent: number, extra: Partial<{ r2: number; n: number; ciLow: number; ciHigh: number }> = {}) =>
    plainVerdict({ exponent, ciLow: exponent - 0.05, ciHigh: exponent + 0.05, r2: 0.99, n: 5, ...extra });
  assert.match(f(0.02), /^constant/);
  assert.match(f(1.01), /^linear: doubles/);
  assert.match(f(2.0), /^quadratic/);
  assert.match(f(-1.0), /^inverse-linear: halves/);
  assert.match(f(0.5), /slower than linear: ×1.41/);
  assert.match(f(1.0, { r2: 0.5 }), /poor power-law fit/);
  // A flat series (interval inside ±0.2) has nothing for R² to explain: no caveat.
  assert.doesNotMatch(f(0.0, { r2: 0.1 }), /poor power-law fit/);
  assert.match(f(0.3, { r2: 0.5, ciLow: 0.1, ciHigh: 0.5 }), /poor power-law fit/);
  // Fewer than 3 scales: no exponent at all (two points always lie on a line); a wide interval: uncertain.
  assert.match(f(1.0, { n: 2 }), /^no exponent: a fit needs 3 scales/);
  assert.match(f(1.66, { ciLow: 0.9, ciHigh: 2.4 }), /uncertain: wide confidence interval/);
});
