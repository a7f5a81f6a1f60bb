import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeHtml, jsonForScript, writeReport } from '../../src/report/index.ts';
import { tempDir } from '../helpers/cli.ts';
import { syntheticResults } from './fixture.ts';

const EVIL_NAME = '<img src=x onerror=alert(1)>';
const EVIL_ERROR = 'boom </script><script>alert(2)</script> & "quotes"';
const EVIL_MODE = '<svg/onload=alert(3)>';

/** A regex check on the page that, on failure, prints the pattern rather than 900 KB of HTML. */
function has(html: string, re: RegExp, yes = true): void {
  assert.equal(
    re.test(html),
    yes,
    `index.html ${yes ? 'should' : 'should not'} match ${re}${yes ? '' : `: found ${JSON.stringify(re.exec(html)?.[0])}`}`,
  );
}

/** The page with its inline <script> bodies removed: the part a browser parses as markup. */
function markupOnly(html: string): string {
  return html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '<script></script>');
}

test('writeReport writes index.html and, per chart, charts/<name>.vl.json and .svg', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'results.json'), '{}');
  const files = await writeReport(dir, syntheticResults());
  assert.equal(files[0], join(dir, 'index.html'));
  const names = ['lookup-latency', 'sync-time', 'memory-per-rule', 'throughput', 'repro-first-packet', 'repro-cpu', 'repro-rule-add'];
  assert.deepEqual(readdirSync(join(dir, 'charts')).sort(), names.flatMap((n) => [`${n}.svg`, `${n}.vl.json`]).sort());
  assert.equal(files.length, 1 + 2 * names.length);
  for (const n of names) {
    const spec = JSON.parse(readFileSync(join(dir, 'charts', `${n}.vl.json`), 'utf8'));
    assert.match(spec.$schema, /vega-lite\/v6/);
    assert.ok(Array.isArray(spec.data.values) && spec.data.values.length > 0, `${n}: data inline`);
  }
  const html = readFileSync(files[0], 'utf8');
  for (const n of names) assert.ok(html.includes(`id="chart-${n}"`), `container for ${n}`);
  for (const section of ['id="run"', 'id="lookup"', 'id="sync"', 'id="throughput"', 'id="complexity"', 'id="reproduction"'])
    assert.ok(html.includes(section), section);
  // The libraries are inline, the specs too; the data files are linked relatively.
  for (const lib of ['vega 6', 'vega-lite 6.4', 'vega-embed 7']) assert.ok(html.includes(`<script>/* ${lib}`), `${lib} inlined`);
  has(html, /<script type="application\/json" id="kpsim-specs">\{"lookup-latency":/);
  has(html, /<a href="results\.csv">results\.csv<\/a> \(not in this folder\)/);
  has(html, /<a href="results\.json">results\.json<\/a><\/p>/);
  has(html, /<b>iptables<\/b> O\(n\) \(k = 1\.00\) · <b>ipvs<\/b> O\(1\)/);
  has(html, /linear: doubles when the services double/);
});

test('every input string is escaped; embedded JSON cannot close its script tag', async () => {
  const dir = tempDir();
  const results = syntheticResults({ scenarioName: EVIL_NAME, failed: [{ mode: EVIL_MODE, scale: 1000, error: EVIL_ERROR }] });
  results.meta.scenario.file = `/tmp/${EVIL_NAME}.yaml`;
  results.fits.push({ ...results.fits[0], mode: EVIL_MODE, verdict: '<b>O(n)</b>' });
  for (const r of results.rows.filter((x) => x.mode === 'ipvs')) r.mode = `ipvs${EVIL_MODE}`;
  const html = readFileSync((await writeReport(dir, results))[0], 'utf8');
  for (const evil of [EVIL_NAME, EVIL_MODE, '<script>alert(2)', '<b>O(n)</b>', 'onerror=alert(1)>']) {
    assert.ok(!html.includes(evil), `unescaped ${evil} in index.html`);
  }
  assert.ok(html.includes(escapeHtml(EVIL_NAME)), 'scenario name shown, escaped');
  assert.ok(html.includes('boom &lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt; &amp; &quot;quotes&quot;'), 'error shown, escaped');
  // Exactly our own script elements: the three libraries, the specs and the embedding script.
  assert.equal((html.match(/<script\b/gi) ?? []).length, 5);
  assert.equal((html.match(/<\/script>/gi) ?? []).length, 5);
  // The specs JSON (which holds the mode names) round-trips.
  const json = /<script type="application\/json" id="kpsim-specs">([\s\S]*?)<\/script>/.exec(html)![1];
  assert.ok(!json.includes('<'));
  const specs = JSON.parse(json) as Record<string, { data: { values: { mode: string }[] } }>;
  assert.ok(specs['lookup-latency'].data.values.some((v) => v.mode === `ipvs${EVIL_MODE}`));
});

test('escapeHtml and jsonForScript', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.equal(escapeHtml(undefined), '');
  const s = jsonForScript({ a: '</script><!-- \u2028' });
  assert.ok(!s.includes('<') && !s.includes('\u2028'));
  assert.deepEqual(JSON.parse(s), { a: '</script><!-- \u2028' });
});

test('index.html references nothing on the network', async () => {
  const dir = tempDir();
  const html = readFileSync((await writeReport(dir, syntheticResults()))[0], 'utf8');
  // No src/href/action/srcset/poster attribute (anywhere, libraries included) that points off the machine.
  has(html, /\b(?:src|href|action|srcset|poster|formaction|xlink:href)\s*=\s*["'`]?\s*(?:https?:)?\/\//i, false);
  const markup = markupOnly(html);
  has(markup, /https?:\/\//i, false);
  has(html, /@import|@font-face|url\(\s*["']?(?:https?:)?\/\//i, false);
  has(markup, /<(?:link|iframe|img|object|embed|base)\b/i, false);
  has(markup, /<script\b[^>]*\bsrc=/i, false);
  has(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;/);
  // The specs for the page carry no $schema URL (vega-embed is told the mode instead).
  assert.doesNotMatch(/id="kpsim-specs">([\s\S]*?)<\/script>/.exec(html)![1], /\$schema/);
});

test('a run with missing metrics, fits and metadata still gets a page with notes', async () => {
  const dir = tempDir();
  const results = syntheticResults({
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
  });
  results.fits = [];
  (results.meta as unknown as Record<string, unknown>).machine = undefined;
  (results.meta as unknown as Record<string, unknown>).git = undefined;
  // A chart this run cannot draw must not leave an older run's files behind.
  mkdirSync(join(dir, 'charts'));
  writeFileSync(join(dir, 'charts', 'throughput.svg'), '<svg/>');
  const files = await writeReport(dir, results, { publishedFile: join(dir, 'no-such-file.json') });
  assert.deepEqual(files, [join(dir, 'index.html')]);
  assert.equal(existsSync(join(dir, 'charts', 'throughput.svg')), false);
  const html = readFileSync(files[0], 'utf8');
  has(html, /class="chart"/, false);
  assert.equal((html.match(/<b>No chart\.<\/b>/g) ?? []).length, 7);
  has(html, /<b>No fits\.<\/b>/);
  has(html, /Published figures unavailable/);
  has(html, /not recorded \(not a git checkout\?\)/);
  has(html, /id="kpsim-specs">\{\}</);
});
