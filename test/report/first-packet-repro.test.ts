// The first-packet reproduction chart (Kubernetes nftables blog, 2025): published iptables and
// nftables marks at every percentile kpsim also reports, kpsim lines for the run's modes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildReport } from '../../src/report/index.ts';
import { seriesDisplay, series } from '../../src/report/data.ts';
import { fmt } from '../../src/report/format.ts';
import { loadPublishedFigures } from '../../src/report/published.ts';
import { renderSvg } from '../../src/report/render.ts';
import { FIRST_PACKET_FIGURE } from '../../src/report/reproduction.ts';
import type { Block } from '../../src/report/types.ts';
import { syntheticResults } from './fixture.ts';

type Value = { series: string; mode: string; services: number; value: number; publishedStat?: string; kpsimStat?: string };
type Layer = { encoding: { color: { scale: { domain: string[]; range: string[] } } } };

const PUB = loadPublishedFigures();
const FIG = PUB.figures.find((f) => f.id === FIRST_PACKET_FIGURE)!;

function firstPacket(results = syntheticResults()): Block {
  return buildReport(results, PUB).reproduction.blocks.find((b) => b.chart.name === 'repro-first-packet')!;
}

function values(b: Block): Value[] {
  return (b.chart.spec as unknown as { data: { values: Value[] } }).data.values;
}

const key = (v: Value) => `${v.mode} ${v.services} ${v.publishedStat ?? v.kpsimStat}`;

test('an iptables+nftables run draws both published series, both kpsim lines and nftables table columns', async () => {
  const results = syntheticResults({ modes: ['iptables', 'nftables', 'ipvs'] });
  const b = firstPacket(results);
  assert.ok(b.chart.spec, 'a chart');
  const vs = values(b);
  // Published: every point of the figure, for each percentile kpsim reports, as in the file.
  const expected = FIG.points.flatMap((p) => ['p01', 'p50', 'p90', 'p99'].map((q) => `${p.mode} ${p.services} ${q} = ${p[q]}`));
  const published = vs.filter((v) => v.series === 'published');
  assert.deepEqual(published.map((v) => `${key(v)} = ${v.value}`).sort(), expected.sort());
  assert.deepEqual([...new Set(published.map((v) => v.mode))], ['iptables', 'nftables']);
  // kpsim: one line per mode and percentile, values straight from the run's rows.
  const kp = vs.filter((v) => v.series === 'kpsim (simulated)');
  assert.deepEqual([...new Set(kp.map((v) => v.mode))], ['iptables', 'ipvs', 'nftables']);
  for (const q of ['p01', 'p50', 'p90', 'p99']) {
    const rows = series(results.rows, 'first_packet.latency', 'simulated', q);
    assert.deepEqual(
      kp
        .filter((v) => v.kpsimStat === q)
        .map((v) => `${v.mode} ${v.services} ${v.value}`)
        .sort(),
      rows.map((r) => `${r.mode} ${r.scale} ${r.value}`).sort(),
      `kpsim ${q}`,
    );
  }
  // Colours are the registry's, for every mode drawn.
  const color = (b.chart.spec as unknown as { layer: Layer[] }).layer[0].encoding.color.scale;
  assert.deepEqual(color.domain, ['iptables', 'ipvs', 'nftables']);
  assert.deepEqual(
    color.range,
    color.domain.map((m) => seriesDisplay(m)!.color),
  );
  // Table: published and kpsim nftables columns, filled from the file and the rows.
  const t = b.table!;
  for (const c of ['published nftables p50', 'published nftables p99', 'kpsim nftables p50', 'kpsim nftables p99', 'kpsim ipvs p90'])
    assert.ok(t.columns.includes(c), `column ${c}`);
  const at10k = t.rows.find((r) => r[0] === '10,000')!;
  assert.equal(at10k[t.columns.indexOf('published nftables p99')], '36');
  assert.equal(at10k[t.columns.indexOf('published iptables p90')], '186');
  const nft = series(results.rows, 'first_packet.latency', 'simulated', 'p50').find((p) => p.mode === 'nftables' && p.scale === 10000)!;
  assert.equal(at10k[t.columns.indexOf('kpsim nftables p50')], fmt(nft.value));
  // Caption: both published modes drawn, the approx flag cited, nothing left out.
  assert.doesNotMatch(b.chart.caption, /not drawn/);
  assert.match(b.chart.caption, /published iptables and nftables measurements \(approximate, read off the blog's chart\)/);
  assert.match(b.chart.caption, /for iptables, ipvs and nftables/);
  assert.deepEqual(b.chart.notes, []);
  const { svg, warnings } = await renderSvg(b.chart.spec);
  assert.deepEqual(warnings, []);
  for (const label of ['>iptables<', '>nftables<', '>ipvs<', '>p01<', '>p90<']) assert.ok(svg.includes(label), `legend ${label}`);
});

test('a run without nftables rows still draws the published nftables marks, with a note', () => {
  const b = firstPacket(syntheticResults());
  assert.ok(b.chart.spec);
  const vs = values(b);
  assert.equal(vs.filter((v) => v.series === 'published' && v.mode === 'nftables').length, 12);
  assert.deepEqual([...new Set(vs.filter((v) => v.series !== 'published').map((v) => v.mode))], ['iptables', 'ipvs']);
  assert.ok(b.table!.columns.includes('published nftables p50'));
  assert.ok(!b.table!.columns.some((c) => c.startsWith('kpsim nftables')), 'no kpsim nftables column');
  assert.equal(b.table!.rows.length, 3);
  assert.match(b.chart.notes.join(' '), /no first_packet\.latency rows for nftables/);
  // An eBPF run is drawn in its registry colour.
  const ebpf = firstPacket(syntheticResults({ modes: ['nftables', 'ebpf'] }));
  const color = (ebpf.chart.spec as unknown as { layer: Layer[] }).layer[0].encoding.color.scale;
  assert.deepEqual(color.domain, ['iptables', 'nftables', 'ebpf']);
  assert.equal(color.range[2], seriesDisplay('ebpf')!.color);
  assert.match(ebpf.chart.notes.join(' '), /no first_packet\.latency rows for iptables/);
});

test('percentiles the run lacks are not drawn; a run without first_packet rows names the modes', () => {
  const results = syntheticResults({ modes: ['iptables', 'nftables'] });
  results.rows = results.rows.filter((r) => r.metric !== 'first_packet.latency' || r.statistic === 'p50' || r.statistic === 'p99');
  const b = firstPacket(results);
  assert.deepEqual([...new Set(values(b).map((v) => v.publishedStat ?? v.kpsimStat))].sort(), ['p50', 'p99']);
  assert.ok(!b.table!.columns.some((c) => / p(01|90)$/.test(c)));
  assert.match(b.chart.notes.join(' '), /also has p01 and p90/);

  const none = firstPacket(syntheticResults({ modes: ['iptables', 'nftables'], omitMetrics: ['first_packet.latency'] }));
  assert.equal(none.chart.spec, null);
  assert.match(none.chart.notes[0], /no simulated first_packet\.latency rows for iptables, nftables, ipvs or ebpf/);
  assert.deepEqual(none.table!.columns.slice(0, 3), ['services', 'published iptables p01', 'published nftables p01']);
  assert.deepEqual(
    none.table!.rows.map((r) => r[0]),
    ['5,000', '10,000', '30,000'],
  );
});
