// The HTML report of a run: reports/<run-id>/index.html (one self-contained file that opens
// offline) and, per chart, charts/<name>.vl.json (the vega-lite spec with its data) and
// charts/<name>.svg (rendered headlessly in Node).
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { summaryLine } from '../gate/format.ts';
import type { GateReport } from '../gate/types.ts';
import { type RunResults, seriesView } from '../metrics/results.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { browserLibraries } from './assets.ts';
import { lookupChart, runScales, syncChart, throughputChart } from './charts.ts';
import { churnOnly, churnSection, hasChurnRows } from './churn.ts';
import { churnReproductionBlocks } from './churn-reproduction.ts';
import { hasCalibration, kernelSection } from './kernel-panel.ts';
import { memoryChart } from './memory-chart.ts';
import { changesModel, overlayBaseline } from './compare.ts';
import { complexityRows, headline } from './complexity.ts';
import { type PageModel, renderHtml } from './html.ts';
import { type PublishedFigures, loadPublishedFigures } from './published.ts';
import { modeRatios } from './ratios.ts';
import { renderSvg } from './render.ts';
import { hideUncovered } from './repro-kit.ts';
import { reproductionBlocks } from './reproduction.ts';
import type { ChartDef, Section } from './types.ts';

export { escapeHtml, jsonForScript } from './html.ts';
export { loadPublishedFigures, PUBLISHED_FIGURES_FILE } from './published.ts';
export type { ChartDef } from './types.ts';

export interface ReportOptions {
  /** Published figures to compare with (default: the repository's data/published-figures.json). */
  publishedFile?: string;
  /** Comparison mode: the baseline run and the gate's report of current against it. */
  comparison?: { baseline: RunResults; baselineFile: string; gate: GateReport };
}

export type ComparisonInput = NonNullable<ReportOptions['comparison']>;

export interface ReportModel {
  sections: Section[];
  reproduction: Section;
  published: PublishedFigures;
}

/** The report's sections and charts, before anything is rendered or written. */
export function buildReport(run: RunResults, published: PublishedFigures = loadPublishedFigures()): ReportModel {
  const results = seriesView(run);
  const churn = hasChurnRows(results.rows);
  // A churn sweep alone has no data-plane rows: leave out the sections it could not draw.
  const dataPlane = !churnOnly(results);
  const dataPlaneSections: Section[] = [
    {
      id: 'lookup',
      title: 'Rule lookup: O(n) versus O(1)',
      clock: 'simulated and wall clock',
      intro:
        "The headline result. In iptables mode a connection's first packet walks the KUBE-SERVICES chain rule by rule until its service matches, so the work grows with the number of services (O(n)); IPVS finds the service in a hash table, so it does not (O(1)). The userspace proxy also steers packets with one iptables rule per service. Parallel lines on these log-log axes have the same exponent; a flat line is O(1), a slope of one decade per decade is O(n).",
      blocks: [{ chart: lookupChart(results) }],
    },
    {
      id: 'sync',
      title: 'Sync: programming the data plane',
      clock: 'simulated and wall clock',
      intro:
        "How long kube-proxy takes to bring a node's rules up to date: a full sync of the whole cluster, and a sync after a single change. iptables-restore rewrites whole tables, so even one change costs time in proportion to the services; IPVS changes one virtual server with a few netlink messages (the simulated clock prices those writes), although its sync loop still visits every service (the wall clock shows that).",
      blocks: [{ chart: syncChart(results) }],
    },
    {
      id: 'memory',
      title: 'Memory per rule',
      clock: 'wall clock',
      intro:
        "What a large ruleset costs kpsim itself: the bytes its data plane holds per rule, once synced and at the sync's peak. The rules live in typed arrays (integer IPs and ports, interned names), so a rule's cost stays within the same few hundred bytes as the services grow; the peak adds what the sync builds on the way and lets go.",
      blocks: [{ chart: memoryChart(results) }],
    },
    {
      id: 'throughput',
      title: 'Throughput',
      clock: 'simulated clock',
      intro:
        'How many packets per second one node core can push through the proxy path. Every new connection pays its lookup, so iptables throughput falls as services grow while IPVS stays flat; the userspace proxy pays two context switches and two copies for every packet.',
      blocks: [{ chart: throughputChart(results) }],
    },
  ];
  const kernel = dataPlane && hasCalibration(results) ? [kernelSection(results)] : [];
  const sections = [...(dataPlane ? dataPlaneSections : []), ...kernel, ...(churn ? [churnSection(results)] : [])];
  const reproduction: Section = {
    id: 'reproduction',
    title: 'Reproducing published results',
    clock: 'kpsim simulated vs published measurements',
    intro:
      "Published measurements of kube-proxy at scale beside kpsim's own numbers for the same conditions. Published values are large outlined marks (hover for the source); kpsim's are lines. kpsim's numbers come from its cost model (simulated clock), not from a real cluster, so agreement in shape (how a number grows with services) matters more than agreement in absolute value.",
    blocks: [
      ...(dataPlane ? reproductionBlocks(results, published) : []),
      ...(churn ? churnReproductionBlocks(results, published) : []),
    ].map((b) => (b.table ? { ...b, table: hideUncovered(b.table, runScales(results)) } : b)),
  };
  return { sections, reproduction, published };
}

/** The current run's report with the baseline's values drawn into every chart. */
export function buildComparison(
  results: RunResults,
  baseline: RunResults,
  published: PublishedFigures = loadPublishedFigures(),
): ReportModel {
  const cur = buildReport(results, published);
  const base = buildReport(baseline, published);
  const baseCharts = new Map(allCharts(base).map((c) => [c.name, c]));
  const label = baseline.meta?.runId ?? 'baseline';
  const overlay = (s: Section): Section => ({
    ...s,
    blocks: s.blocks.map((b) => ({ ...b, chart: overlayBaseline(b.chart, baseCharts.get(b.chart.name), label) })),
  });
  return { ...cur, sections: cur.sections.map(overlay), reproduction: overlay(cur.reproduction) };
}

function allCharts(model: { sections: Section[]; reproduction?: Section }): ChartDef[] {
  return [...model.sections, ...(model.reproduction ? [model.reproduction] : [])].flatMap((s) => s.blocks.map((b) => b.chart));
}

/**
 * Renders each chart to charts/<name>.svg and writes its spec to charts/<name>.vl.json; removes
 * older charts the page no longer has. A chart that fails to render becomes a note. Returns the
 * files written.
 */
export async function writeCharts(dir: string, charts: ChartDef[]): Promise<string[]> {
  const chartsDir = join(dir, 'charts');
  const written: string[] = [];
  const keep = new Set<string>();
  for (const chart of charts) {
    if (!chart.spec) continue;
    let svg: string;
    try {
      svg = (await renderSvg(chart.spec)).svg;
    } catch (err) {
      chart.notes.unshift(`This chart could not be rendered: ${(err as Error).message}`);
      chart.spec = null;
      continue;
    }
    const vl = join(chartsDir, `${chart.name}.vl.json`);
    const svgFile = join(chartsDir, `${chart.name}.svg`);
    writeFileAtomic(vl, JSON.stringify(chart.spec, null, 1) + '\n');
    writeFileAtomic(svgFile, svg);
    written.push(vl, svgFile);
    keep.add(`${chart.name}.vl.json`).add(`${chart.name}.svg`);
  }
  // A chart this page cannot draw must not leave an older page's image behind.
  if (existsSync(chartsDir)) {
    for (const f of readdirSync(chartsDir)) if (/\.(vl\.json|svg)$/.test(f) && !keep.has(f)) rmSync(join(chartsDir, f), { force: true });
  }
  return written;
}

/**
 * Writes `<dir>/index.html` and `<dir>/charts/<name>.vl.json|.svg` for a run's results and returns
 * the paths written (index.html first). Charts the run has no data for become notes on the page.
 * With `comparison`, the page is a comparison report: what changed first, the baseline in every chart.
 */
export async function writeReport(dir: string, run: RunResults, opts: ReportOptions = {}): Promise<string[]> {
  const results = seriesView(run);
  const published = loadPublishedFigures(opts.publishedFile);
  const cmp = opts.comparison;
  const model = cmp ? buildComparison(results, seriesView(cmp.baseline), published) : buildReport(results, published);
  const written = await writeCharts(dir, allCharts(model));
  const page: PageModel = {
    results,
    headline: headline(results),
    ratios: modeRatios(results.rows),
    sections: model.sections,
    reproduction: model.reproduction,
    complexity: complexityRows(results),
    published,
    files: ['results.csv', 'fits.csv', 'results.json'].map((f) => ({ href: f, label: f, exists: existsSync(join(dir, f)) })),
    libraries: browserLibraries(),
    comparison: cmp
      ? {
          baselineRun: cmp.baseline.meta?.runId ?? cmp.gate.baselineRun,
          baselineFile: cmp.baselineFile,
          changes: changesModel(cmp.gate, summaryLine(cmp.gate)),
        }
      : undefined,
  };
  const index = join(dir, 'index.html');
  writeFileAtomic(index, renderHtml(page));
  return [index, ...written];
}
