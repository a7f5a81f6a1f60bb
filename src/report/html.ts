// The report page: one self-contained HTML file. vega, vega-lite and vega-embed are inlined, the
// specs carry their data, and a Content-Security-Policy forbids every network request. Every
// string from the inputs goes through escapeHtml; embedded JSON cannot close its script tag.
import type { RunResults } from '../metrics/results.ts';
import type { Library } from './assets.ts';
import type { ChangesModel } from './compare.ts';
import type { ComplexityRow } from './complexity.ts';
import { fmt, fmtBytes, fmtDuration } from './format.ts';
import type { PublishedFigures } from './published.ts';
import { type ModeRatios, fmtRatio, ratioSentence } from './ratios.ts';
import type { Block, Section, SmallTable } from './types.ts';

export function escapeHtml(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe inside <script>: no "<" (so no "</script>" or "<!--"), no raw U+2028/U+2029. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A library's code, made unable to end its <script> element early. */
function scriptSafe(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

export interface FileLink {
  href: string;
  label: string;
  exists: boolean;
}

export interface PageModel {
  results: RunResults;
  headline: { metric: string; clock: string; parts: { mode: string; verdict: string; exponent: string }[] } | null;
  /** Every mode against the fastest, per scale (null when the run has fewer than two modes). */
  ratios: ModeRatios | null;
  sections: Section[];
  complexity: ComplexityRow[];
  reproduction: Section;
  published: PublishedFigures;
  /** results.csv, fits.csv, results.json, relative to the page. */
  files: FileLink[];
  libraries: Library[];
  /** Comparison mode: the baseline's run id and what the gate found. */
  comparison?: { baselineRun: string; baselineFile: string; changes: ChangesModel };
}

const CSP = [
  "default-src 'none'",
  "script-src 'unsafe-inline' 'unsafe-eval'", // vega compiles its expressions with Function()
  "style-src 'unsafe-inline'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

// The page uses the window's width: charts sit side by side in a grid of >= 640 px columns (one
// column on a narrow screen; a multi-panel chart spans the row), the contents stay at the top
// while scrolling, and long tables and notes fold away in <details>.
const CSS = `
:root { color-scheme: light; --ink: #222; --muted: #5b6470; --line: #dde1e6; --soft: #f5f7f9; --accent: #2f5f8f; --bad: #b3261e; --warn: #8a5a00; }
* { box-sizing: border-box; }
html { scroll-padding-top: 52px; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
nav.toc { position: sticky; top: 0; z-index: 5; background: rgba(255, 255, 255, 0.97); border-bottom: 1px solid var(--line); }
nav.toc .inner { max-width: 1560px; margin: 0 auto; padding: 8px 24px; display: flex; flex-wrap: wrap; gap: 2px 18px; font-size: 14px; }
nav.toc a { color: var(--accent); text-decoration: none; white-space: nowrap; }
nav.toc a.brand { font-weight: 600; color: var(--ink); }
nav.toc a:hover { text-decoration: underline; }
main { max-width: 1560px; margin: 0 auto; padding: 16px 24px 48px; }
header h1 { font-size: 26px; margin: 0 0 4px; }
header .sub { color: var(--muted); margin: 0 0 12px; }
.headline { background: var(--soft); border-left: 4px solid var(--accent); padding: 10px 14px; margin: 12px 0 4px; max-width: 110ch; }
.headline b { font-weight: 600; }
.headline.FAIL { border-left-color: var(--bad); }
.headline.warn { border-left-color: #e0a800; }
section { margin-top: 32px; border-top: 1px solid var(--line); padding-top: 8px; }
h2 { font-size: 21px; margin: 10px 0 6px; }
h3 { font-size: 17px; margin: 18px 0 4px; }
p { margin: 6px 0; max-width: 100ch; }
.clock { display: inline-block; font-size: 12px; color: #fff; background: var(--accent); border-radius: 10px; padding: 1px 9px; margin-left: 8px; vertical-align: 3px; font-weight: normal; }
.blocks { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 640px), 1fr)); gap: 12px 36px; align-items: start; }
.block { min-width: 0; }
.block.wide { grid-column: 1 / -1; }
.caption { color: #3a4048; font-size: 14px; }
.chart { margin: 10px 0 4px; overflow-x: auto; min-height: 40px; }
.chart[data-rendered="error"] { color: #a00; }
.files { font-size: 13px; color: var(--muted); margin-top: 2px; }
.files a, .links a { color: var(--accent); }
.missing { background: #fff8e6; border-left: 4px solid #e0a800; padding: 8px 12px; }
ul.notes { margin: 6px 0; padding-left: 20px; color: var(--muted); font-size: 14px; max-width: 100ch; }
ul.findings { max-width: 100ch; }
details { margin: 8px 0; }
details > summary { cursor: pointer; color: var(--accent); font-size: 14px; }
details[open] > summary { margin-bottom: 4px; }
.source { font-size: 13px; color: var(--muted); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 14px; margin: 10px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.FAIL, td.missing { color: var(--bad); font-weight: 600; }
td.warn { color: var(--warn); font-weight: 600; }
p.table-caption { color: var(--muted); font-size: 13px; margin: 14px 0 0; }
p.table-caption + table, p.table-caption + .table-wrap > table { margin-top: 4px; }
table.meta th { background: none; color: var(--muted); font-weight: normal; width: 11em; }
table.meta td { font-variant-numeric: tabular-nums; }
table.fits tr.group-start td { border-top: 2px solid #c5ccd4; }
table.fits td:nth-child(2) { white-space: nowrap; }
table.ratios td.fastest { color: var(--muted); }
.verdict { font-weight: 600; white-space: nowrap; }
td.error { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; white-space: pre-wrap; color: #a00; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; background: var(--soft); padding: 0 3px; border-radius: 3px; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
.vg-tooltip { font-size: 12px; }
@media (max-width: 700px) { main, nav.toc .inner { padding-left: 12px; padding-right: 12px; } nav.toc .inner { flex-wrap: nowrap; overflow-x: auto; } }
`;

const EMBED_SCRIPT = `
(function () {
  var specs = JSON.parse(document.getElementById('kpsim-specs').textContent);
  Object.keys(specs).forEach(function (name) {
    var el = document.getElementById('chart-' + name);
    if (!el) return;
    if (typeof vegaEmbed !== 'function') { el.setAttribute('data-rendered', 'error'); el.textContent = 'The chart library did not load.'; return; }
    vegaEmbed(el, specs[name], { mode: 'vega-lite', renderer: 'svg', actions: false })
      .then(function () { el.setAttribute('data-rendered', 'true'); })
      .catch(function (err) { el.setAttribute('data-rendered', 'error'); el.textContent = 'This chart failed to render: ' + err.message; console.error(err); });
  });
})();
`;

function str(v: unknown): string {
  return v === null || v === undefined || v === '' ? '—' : String(v);
}

export function table(t: SmallTable, cls = ''): string {
  const isNum = (s: string) => /^(≈ )?[-−]?\d/.test(s) || s === '—';
  const verdicts = new Set(['FAIL', 'warn', 'missing']);
  const cell = (c: string) => `<td${verdicts.has(c) ? ` class="${c}"` : isNum(c) ? ' class="num"' : ''}>${escapeHtml(c)}</td>`;
  return `<p class="table-caption">${escapeHtml(t.caption)}</p>
<div class="table-wrap"><table${cls ? ` class="${cls}"` : ''}><thead><tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead>
<tbody>${t.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('\n')}</tbody></table></div>`;
}

function notes(list: string[]): string {
  return list.length > 0 ? `<ul class="notes">${list.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '';
}

/** A spec with several panels (concat or facet) needs the whole row. */
function isWide(spec: unknown): boolean {
  const s = spec as Record<string, unknown> | null;
  return !!s && ['hconcat', 'vconcat', 'concat', 'facet'].some((k) => k in s);
}

function block(b: Block, heading: boolean): string {
  const c = b.chart;
  const parts: string[] = [];
  if (heading) parts.push(`<h3>${escapeHtml(c.title)}</h3>`);
  if (c.caption) parts.push(`<p class="caption">${escapeHtml(c.caption)}</p>`);
  if (c.spec) {
    parts.push(
      `<div class="chart" id="chart-${escapeHtml(c.name)}" data-chart="${escapeHtml(c.name)}" role="img" aria-label="${escapeHtml(c.title)}"></div>`,
    );
    parts.push(notes(c.notes));
    parts.push(
      `<p class="files">Vega-Lite spec <a href="charts/${escapeHtml(c.name)}.vl.json">charts/${escapeHtml(c.name)}.vl.json</a> · static image <a href="charts/${escapeHtml(c.name)}.svg">charts/${escapeHtml(c.name)}.svg</a></p>`,
    );
  } else {
    parts.push(`<div class="missing"><b>No chart.</b> ${escapeHtml(c.notes[0] ?? 'The run lacks the data for this chart.')}</div>`);
    parts.push(notes(c.notes.slice(1)));
  }
  if (b.table) parts.push(`<details><summary>The numbers, as a table</summary>\n${table(b.table, 'compare')}\n</details>`);
  if (b.source) parts.push(`<p class="source">Source: ${escapeHtml(b.source)}</p>`);
  return `<div class="block${(c.wide ?? isWide(c.spec)) ? ' wide' : ''}">\n${parts.filter(Boolean).join('\n')}\n</div>`;
}

export function section(s: Section, extra = ''): string {
  const many = s.blocks.length > 1;
  return `<section id="${escapeHtml(s.id)}">
<h2>${escapeHtml(s.title)}<span class="clock">${escapeHtml(s.clock)}</span></h2>
<p>${escapeHtml(s.intro)}</p>
${s.findings && s.findings.length > 0 ? `<ul class="findings">${s.findings.map((f) => `<li>${escapeHtml(f)}</li>`).join('\n')}</ul>\n` : ''}${extra}
<div class="blocks">
${s.blocks.map((b) => block(b, many)).join('\n')}
</div>
</section>`;
}

function metaTable(r: RunResults): string {
  const m = (r.meta ?? {}) as Partial<RunResults['meta']>;
  const sc = (m.scenario ?? {}) as Partial<RunResults['meta']['scenario']>;
  const git = (m.git ?? {}) as Partial<RunResults['meta']['git']>;
  const mc = (m.machine ?? {}) as Partial<RunResults['meta']['machine']>;
  const points = Array.isArray(r.points) ? r.points : [];
  const failed = points.filter((p) => p.status === 'failed');
  const started =
    typeof m.startedAt === 'string'
      ? m.startedAt
          .replace('T', ' ')
          .replace(/\.\d+Z$/, 'Z')
          .replace(/Z$/, ' UTC')
      : '—';
  const rows: [string, string][] = [
    ['Run', str(m.runId)],
    ['Scenario', `${str(sc.name)}${sc.file ? ` (${sc.file})` : ''}`],
    ['Seed', str(sc.seed)],
    ['Scenario SHA-256', str(sc.sha256)],
    ['Modes', Array.isArray(m.modes) ? m.modes.join(', ') : '—'],
    ['Services (scales)', Array.isArray(m.scales) ? m.scales.map((s) => Number(s).toLocaleString('en-US')).join(', ') : '—'],
    ['Repetitions', str(m.repetitions)],
    [
      'Cost model',
      m.costModel?.source === 'file' ? `${m.costModel.file} (sha256 ${str(m.costModel.sha256)})` : 'defaults (src/metrics/cost-model.ts)',
    ],
    ...(m.shard ? [['Shard', `${m.shard.index} of ${m.shard.count}`] as [string, string]] : []),
    ['Commit', git.commit ? `${git.commit}${git.dirty ? ' (uncommitted changes)' : ''}` : 'not recorded (not a git checkout?)'],
    [
      'Machine',
      `${str(mc.cpuModel)}, ${str(mc.cores)} cores, ${fmtBytes(mc.memoryBytes)}, ${str(mc.platform)}/${str(mc.arch)}, Node ${str(mc.node)}`,
    ],
    ['Started', started],
    ['Duration', fmtDuration(m.wallSeconds)],
    ['Workers', str(m.workers)],
    ['Points', `${points.length - failed.length} ok, ${failed.length} failed`],
    ['kpsim', str(m.kpsimVersion)],
  ];
  return `<table class="meta"><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('\n')}</tbody></table>`;
}

function failedTable(r: RunResults): string {
  const failed = (Array.isArray(r.points) ? r.points : []).filter((p) => p.status === 'failed');
  if (failed.length === 0) return '<p>Every point completed.</p>';
  return `<h3>Failed points</h3>
<p>These points raised an error in their worker; the charts and fits leave them out.</p>
<table class="failed"><thead><tr><th>mode</th><th>services</th><th>repetition</th><th>error</th></tr></thead>
<tbody>${failed.map((p) => `<tr><td>${escapeHtml(p.mode)}${typeof p.rate === 'number' ? ` @ ${escapeHtml(p.rate)}/s` : ''}</td><td class="num">${escapeHtml(str(p.scale))}</td><td class="num">${escapeHtml(str(p.repetition))}</td><td class="error">${escapeHtml(p.error ?? '(no message)')}</td></tr>`).join('\n')}</tbody></table>`;
}

function complexityTable(rows: ComplexityRow[]): string {
  if (rows.length === 0)
    return '<div class="missing"><b>No fits.</b> This run has no complexity fits (a fit needs a metric at two or more scales).</div>';
  let last = '';
  const body = rows.map((r) => {
    const group = `${r.metric}|${r.clock}|${r.statistic}`;
    const start = group !== last;
    last = group;
    return `<tr${start ? ' class="group-start"' : ''}><td>${start ? `<code>${escapeHtml(r.metric)}</code>` : ''}</td><td>${start ? escapeHtml(`${r.clock}, ${r.statistic}`) : ''}</td><td>${escapeHtml(r.mode)}</td><td class="num">${escapeHtml(r.exponent)}</td><td class="num">${escapeHtml(r.ci)}</td><td class="num">${escapeHtml(r.r2)}</td><td class="num">${escapeHtml(r.n)}</td><td><span class="verdict">${escapeHtml(r.verdict)}</span> ${escapeHtml(r.words)}</td></tr>`;
  });
  return `<details><summary>All ${rows.length} fits</summary>
<div class="table-wrap"><table class="fits"><thead><tr><th>metric</th><th>clock, statistic</th><th>mode</th><th>exponent k</th><th>95% CI of k</th><th>R²</th><th>scales</th><th>verdict</th></tr></thead>
<tbody>${body.join('\n')}</tbody></table></div>
</details>`;
}

/** Per scale, each mode's cost and how many times the fastest mode's it is. */
function ratioTable(r: ModeRatios): string {
  const head = ['services', ...r.modes.map((m) => `${m}`)];
  const rows = r.scales.map((s) => {
    const cells = r.modes.map((m) => {
      const c = s.modes.find((x) => x.mode === m);
      if (!c) return '<td class="num">—</td>';
      const value = `${fmt(c.value)} ${r.unit}`.trim();
      return c.mode === s.fastest
        ? `<td class="num fastest">${escapeHtml(value)} (fastest)</td>`
        : `<td class="num"><b>${escapeHtml(fmtRatio(c.ratio))}</b> ${escapeHtml(s.fastest)}'s · ${escapeHtml(value)}</td>`;
    });
    return `<tr><td class="num">${escapeHtml(s.scale.toLocaleString('en-US'))}</td>${cells.join('')}</tr>`;
  });
  return `<p class="table-caption">The ${escapeHtml(r.what)} per mode (<code>${escapeHtml(r.metric)}</code>, ${escapeHtml(r.clock)} ${escapeHtml(r.statistic)}), and how many times the fastest mode's it costs at each scale.</p>
<div class="table-wrap"><table class="ratios"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`;
}

/** The gate's warnings; more than three fold away behind a count. */
function warningList(warnings: string[]): string {
  if (warnings.length === 0) return '';
  const list = `<ul class="notes">${warnings.map((w) => `<li>Warning: ${escapeHtml(w)}</li>`).join('')}</ul>`;
  return warnings.length > 3 ? `<details><summary>${warnings.length} warnings from the gate</summary>\n${list}\n</details>` : list;
}

function changesSection(c: NonNullable<PageModel['comparison']>): string {
  const ch = c.changes;
  return `<section id="changes">
<h2>What changed<span class="clock">the gate's verdict</span></h2>
<p>This run against the baseline <code>${escapeHtml(c.baselineRun)}</code> (<code>${escapeHtml(c.baselineFile)}</code>), judged by the regression gate's own rules and levels (<code>kpsim gate</code>, docs/gate.md): simulated numbers exactly, wall-clock samples normalised by the calibration loop and tested for significance, fitted exponents against their bands.</p>
${warningList(ch.warnings)}
${ch.changed.rows.length > 0 ? table(ch.changed, 'changes') : `<p>${escapeHtml(ch.changed.caption)}</p>`}
${ch.bands ? table(ch.bands, 'changes') : ''}
<details><summary>${ch.unchanged.rows.length} unchanged line${ch.unchanged.rows.length === 1 ? '' : 's'}</summary>
${table(ch.unchanged, 'changes')}
</details>
</section>`;
}

/** Chart specs for the page, keyed by chart name, without $schema (vega-embed is told the mode). */
export function pageSpecs(sections: Section[]): Record<string, unknown> {
  const specs: Record<string, unknown> = {};
  for (const s of sections) {
    for (const b of s.blocks) {
      if (!b.chart.spec) continue;
      const { $schema: _schema, ...spec } = b.chart.spec as unknown as Record<string, unknown>;
      specs[b.chart.name] = spec;
    }
  }
  return specs;
}

export interface PageShell {
  title: string;
  h1: string;
  /** Plain text under the title. */
  sub: string;
  /** Markup (already escaped) between the title and the first section. */
  intro: string;
  nav: [string, string][];
  /** Markup of the sections. */
  body: string;
  specs: Record<string, unknown>;
  libraries: Library[];
  /** Markup of the footer's first sentence. */
  footer: string;
}

/** The page every kpsim report shares: head, sticky contents, header, sections, inlined libraries. */
export function renderPage(sh: PageShell): string {
  const nav = sh.nav.map(([id, t]) => `<a href="#${escapeHtml(id)}">${escapeHtml(t)}</a>`).join('');
  const libs = sh.libraries.map((l) => `${l.name} ${l.version}`).join(', ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(sh.title)}</title>
<style>${CSS}</style>
</head>
<body>
<nav class="toc" aria-label="Contents"><div class="inner"><a class="brand" href="#top">kpsim</a>${nav}</div></nav>
<main id="top">
<header>
<h1>${escapeHtml(sh.h1)}</h1>
<p class="sub">${escapeHtml(sh.sub)}</p>
${sh.intro}
</header>
${sh.body}
<footer>${sh.footer} This page is self-contained and makes no network requests; charts drawn with ${escapeHtml(libs)}.</footer>
</main>
${sh.libraries.map((l) => `<script>/* ${l.name} ${l.version} */\n${scriptSafe(l.code)}\n</script>`).join('\n')}
<script type="application/json" id="kpsim-specs">${jsonForScript(sh.specs)}</script>
<script>${EMBED_SCRIPT}</script>
</body>
</html>
`;
}

export function renderHtml(p: PageModel): string {
  const r = p.results;
  const name = r.meta?.scenario?.name ?? '(unnamed scenario)';
  const cmp = p.comparison;
  const verdict = cmp
    ? `<p class="headline ${escapeHtml(cmp.changes.outcome)}"><b>${escapeHtml(cmp.changes.summary)}</b> (against the baseline ${escapeHtml(cmp.baselineRun)}; <a href="#changes">what changed</a>)</p>`
    : '';
  const lookup = p.headline
    ? `Rule lookup (<code>${escapeHtml(p.headline.metric)}</code>, ${escapeHtml(p.headline.clock)} clock): ${p.headline.parts.map((x) => `<b>${escapeHtml(x.mode)}</b> ${escapeHtml(x.verdict)} (k = ${escapeHtml(x.exponent)})`).join(' · ')}`
    : '';
  const ratio = p.ratios ? escapeHtml(ratioSentence(p.ratios)) : '';
  const headline = lookup || ratio ? `<p class="headline">${[lookup, ratio].filter(Boolean).join('<br>')}</p>` : '';
  const nav: [string, string][] = [
    ...(cmp ? [['changes', 'What changed'] as [string, string]] : []),
    ['run', 'Run'],
    ...p.sections.map((s) => [s.id, s.title] as [string, string]),
    ['complexity', 'Complexity fits'],
    [p.reproduction.id, p.reproduction.title],
  ];
  const links = p.files
    .map((f) => `<a href="${escapeHtml(f.href)}">${escapeHtml(f.label)}</a>${f.exists ? '' : ' (not in this folder)'}`)
    .join(' · ');
  const pubNote = p.published.error
    ? `<div class="missing"><b>Published figures unavailable.</b> ${escapeHtml(p.published.error)}</div>`
    : `<p class="source">Published values from <code>data/published-figures.json</code>. Hover a mark for its source.</p>`;
  const m = r.meta ?? ({} as Partial<RunResults['meta']>);
  const runSummary = [str(m.runId), m.machine ? `${str(m.machine.cpuModel)}, ${str(m.machine.cores)} cores` : '', m.startedAt ?? '']
    .filter(Boolean)
    .join(' · ');
  const body = `${cmp ? changesSection(cmp) : ''}
<section id="run">
<h2>Run</h2>
<details><summary>${escapeHtml(runSummary)}</summary>
${metaTable(r)}
</details>
<p class="links">Data: ${links}</p>
${failedTable(r)}
</section>
${p.sections.map((s) => section(s)).join('\n')}
<section id="complexity">
<h2>Complexity fits<span class="clock">both clocks</span></h2>
<p>Each row fits metric ≈ c · services<sup>k</sup> by least squares on log-log axes over the run's scales (repetitions averaged first). An exponent k near 0 means O(1), near 1 O(n); a negative k means the metric falls as services grow (throughput). The 95% confidence interval is the slope's; R² says how well a straight line fits on log-log axes. A fit over fewer than 3 scales gives no exponent (two points always lie on a line).</p>
${complexityTable(p.complexity)}
</section>
${section(p.reproduction, pubNote)}`;
  return renderPage({
    title: `kpsim ${cmp ? 'comparison' : 'report'}: ${name} (${r.meta?.runId ?? ''})`,
    h1: cmp ? `kpsim comparison: ${name}` : `kpsim report: ${name}`,
    sub: `Run ${str(r.meta?.runId)}${cmp ? ` against the baseline ${cmp.baselineRun}` : ''} · ${Array.isArray(r.meta?.modes) ? r.meta.modes.join(', ') : ''} at ${Array.isArray(r.meta?.scales) ? r.meta.scales.map((s) => Number(s).toLocaleString('en-US')).join(', ') : '?'} services`,
    // In a comparison, what changed comes first: the per-scale ratios fold away.
    intro: `${verdict}\n${headline}\n${p.ratios ? (cmp ? `<details><summary>How the modes compare, per scale</summary>\n${ratioTable(p.ratios)}\n</details>` : ratioTable(p.ratios)) : ''}`,
    nav,
    body,
    specs: pageSpecs([...p.sections, p.reproduction]),
    libraries: p.libraries,
    footer: `Generated by kpsim from <code>results.json</code>${cmp ? ` and the baseline <code>${escapeHtml(cmp.baselineFile)}</code>` : ''}.`,
  });
}
