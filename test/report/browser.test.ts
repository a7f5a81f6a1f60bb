// The report in a real browser: headless Chromium (Debian's, or the one npm installs: see
// test/helpers/browser.ts) opens index.html from disk and must draw every chart with no console
// error and no network request. A comparison report is also checked at 1400 px: its first
// section is what changed, and its charts sit side by side (one column on a narrow screen).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { DEFAULT_GATE_CONFIG } from '../../src/gate/config.ts';
import { compareRuns } from '../../src/gate/gate.ts';
import { writeReport } from '../../src/report/index.ts';
import { launchChromium } from '../helpers/browser.ts';
import { ROOT, tempDir } from '../helpers/cli.ts';
import { CHURN_MODES, churnResults } from './churn-fixture.ts';
import { slowerRun } from './compare-fixture.ts';
import { FIXTURE_MODES, syntheticResults } from './fixture.ts';

const SCREENSHOT = join(ROOT, 'test-output', 'report.png');

/** Opens a report page with every request but the page itself refused and recorded. */
async function openReport(browser: Browser, url: string, width = 1200) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const errors: string[] = [];
  const requests = new Set<string>();
  // Anything but the page itself is a network request the report must not make: record and refuse it.
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url) return route.continue();
    requests.add(u);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('request', (r) => {
    if (r.url() !== url) requests.add(r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors, requests };
}

test('index.html renders offline in headless Chromium: every chart drawn, no errors, no network', { timeout: 90_000 }, async () => {
  const dir = tempDir('kpsim-report-browser-');
  const files = await writeReport(dir, syntheticResults({ failed: [{ mode: 'ipvs', scale: 30000, error: 'worker heap limit reached' }] }));
  const charts = files.filter((f) => f.endsWith('.vl.json')).length;
  assert.equal(charts, 7);
  const url = pathToFileURL(files[0]).href;

  const { browser } = await launchChromium();
  try {
    const { page, errors, requests } = await openReport(browser, url);
    try {
      await page.waitForFunction(
        (n) => {
          const els = [...document.querySelectorAll('.chart')];
          return (
            els.length === n &&
            els.every((el) => {
              const g = el.querySelector('svg, canvas');
              const box = g?.getBoundingClientRect();
              return (
                !!g &&
                !!box &&
                box.width > 100 &&
                box.height > 100 &&
                (g.tagName.toLowerCase() === 'canvas' || g.querySelectorAll('path').length > 0)
              );
            })
          );
        },
        charts,
        { timeout: 10_000 },
      );
    } catch (err) {
      const states = await page.evaluate(() =>
        [...document.querySelectorAll('.chart')].map((e) => `${e.id}: ${e.getAttribute('data-rendered')} ${e.textContent?.slice(0, 80)}`),
      );
      assert.fail(
        `charts did not all render within 10 s (${(err as Error).message.split('\n')[0]})\n${states.join('\n')}\n${errors.join('\n')}`,
      );
    }

    const drawn = await page.evaluate(() =>
      [...document.querySelectorAll('.chart')].map((el) => ({
        id: el.id,
        state: el.getAttribute('data-rendered'),
        text: el.querySelector('svg')?.textContent ?? '',
      })),
    );
    assert.equal(drawn.length, charts, 'one container per chart');
    for (const c of drawn) {
      assert.equal(c.state, 'true', `${c.id} rendered`);
      const modes =
        c.id === 'chart-memory-per-rule' ? ['iptables'] : c.id.startsWith('chart-repro-') ? ['iptables', 'ipvs'] : FIXTURE_MODES;
      for (const m of modes) assert.ok(c.text.includes(m), `${c.id} shows mode ${m}`);
    }
    // A published mark's tooltip cites its source.
    await page.locator('#chart-repro-cpu g.layer_1_marks path').first().hover();
    await page.waitForSelector('#vg-tooltip-element.visible', { timeout: 3000 });
    assert.match(await page.locator('#vg-tooltip-element').innerText(), /Tigera\/Project Calico blog/);

    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual([...requests], [], 'no network requests');
    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await browser.close();
  }
});

test("a churn sweep's report renders offline too: every control-plane chart drawn, no errors, no network", {
  timeout: 90_000,
}, async () => {
  const dir = tempDir('kpsim-report-browser-churn-');
  const files = await writeReport(dir, churnResults());
  const charts = files.filter((f) => f.endsWith('.vl.json')).length;
  assert.ok(charts >= 3, `${charts} charts`);
  const url = pathToFileURL(files[0]).href;
  const { browser } = await launchChromium();
  try {
    const { page, errors, requests } = await openReport(browser, url);
    await page.waitForFunction(
      (n) => {
        const els = [...document.querySelectorAll('.chart')];
        return (
          els.length === n &&
          els.every(
            (el) => el.getAttribute('data-rendered') === 'true' && (el.querySelector('svg')?.querySelectorAll('path').length ?? 0) > 0,
          )
        );
      },
      charts,
      { timeout: 10_000 },
    );
    const texts = await page.evaluate(() =>
      [...document.querySelectorAll('.chart')].map((el) => ({ id: el.id, text: el.querySelector('svg')?.textContent ?? '' })),
    );
    for (const c of texts.filter((x) => x.id.startsWith('chart-churn-'))) {
      for (const m of CHURN_MODES) assert.ok(c.text.includes(m), `${c.id} shows mode ${m}`);
    }
    assert.ok(
      texts.some((x) => x.id.startsWith('chart-churn-')),
      'the control-plane charts are on the page',
    );
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-output', 'report-churn.png'), fullPage: true });
    assert.deepEqual([...requests], [], 'no network requests');
    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await browser.close();
  }
});

/** Every .chart element drawn as an SVG with paths. */
async function waitForCharts(page: import('playwright-core').Page, n: number): Promise<void> {
  await page.waitForFunction(
    (count) => {
      const els = [...document.querySelectorAll('.chart')];
      return (
        els.length === count &&
        els.every(
          (el) => el.getAttribute('data-rendered') === 'true' && (el.querySelector('svg')?.querySelectorAll('path').length ?? 0) > 0,
        )
      );
    },
    n,
    { timeout: 20_000 },
  );
}

test('a comparison report at 1400 px: what changed first, charts side by side, no errors; one column on a narrow screen', {
  timeout: 90_000,
}, async (t) => {
  const { baseline, current } = slowerRun();
  const dir = tempDir('kpsim-report-browser-compare-');
  const gate = compareRuns(baseline, current, DEFAULT_GATE_CONFIG);
  const files = await writeReport(dir, current, { comparison: { baseline, baselineFile: 'baseline/results.json', gate } });
  const charts = files.filter((f) => f.endsWith('.vl.json')).length;
  const url = pathToFileURL(files[0]).href;
  const { browser, choice } = await launchChromium();
  t.diagnostic(`chromium: ${choice.source} (${choice.executablePath}, ${browser.version()})`);
  try {
    const wide = await openReport(browser, url, 1400);
    await waitForCharts(wide.page, charts);
    // The first section is what changed: its table holds only the lines the gate flagged.
    const first = await wide.page.evaluate(() => {
      const s = document.querySelector('main section');
      const shown = s?.querySelector(':scope > .table-wrap table');
      const folded = s?.querySelector(':scope > details:last-of-type');
      return {
        id: s?.id,
        verdicts: [...(shown?.querySelectorAll('tbody tr td:nth-child(10)') ?? [])].map((td) => td.textContent),
        foldedOpen: folded?.hasAttribute('open'),
        foldedRows: folded?.querySelectorAll('tbody tr').length ?? 0,
      };
    });
    assert.equal(first.id, 'changes');
    assert.deepEqual(first.verdicts, ['FAIL', 'FAIL']);
    assert.equal(first.foldedOpen, false, 'unchanged lines are folded away');
    assert.ok(first.foldedRows > 20);
    // The contents stay in view while scrolling.
    await wide.page.evaluate(() => window.scrollTo(0, document.body.scrollHeight / 2));
    const navTop = await wide.page.evaluate(() => document.querySelector('nav.toc')!.getBoundingClientRect().top);
    assert.equal(navTop, 0, 'sticky table of contents');
    await wide.page.evaluate(() => window.scrollTo(0, 0));
    // Two reproduction charts share a row at 1400 px, each at a readable size.
    const box = (id: string) =>
      wide.page.evaluate((sel) => {
        const r = document.querySelector(sel)!.querySelector('svg')!.getBoundingClientRect();
        // The row is the blocks' (heading, caption, chart): captions of different lengths move the svg.
        const top = document.querySelector(sel)!.closest('.block')!.getBoundingClientRect().top;
        return { left: r.left, right: r.right, top, bottom: r.bottom, width: r.width };
      }, id);
    const a = await box('#chart-repro-first-packet');
    const b = await box('#chart-repro-cpu');
    assert.ok(Math.abs(a.top - b.top) < 2, `same row: tops ${a.top} and ${b.top}`);
    assert.ok(b.left >= a.right, `side by side: ${JSON.stringify({ a, b })}`);
    assert.ok(a.width > 450 && b.width > 450, `readable: ${a.width} and ${b.width} px wide`);
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    await wide.page.mouse.move(0, 0);
    await wide.page.screenshot({ path: join(ROOT, 'test-output', 'report-compare-1400.png'), fullPage: true });
    assert.deepEqual([...wide.requests], [], 'no network requests');
    assert.deepEqual(wide.errors, [], 'no console errors or page errors');
    // On a phone-sized screen the same two charts stack.
    const narrow = await openReport(browser, url, 600);
    await waitForCharts(narrow.page, charts);
    const [na, nb] = await narrow.page.evaluate(() =>
      ['#chart-repro-first-packet', '#chart-repro-cpu'].map((sel) => {
        const r = document.querySelector(sel)!.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom };
      }),
    );
    assert.ok(nb.top >= na.bottom, 'one column on a narrow screen');
    assert.deepEqual(narrow.errors, [], 'no console errors on the narrow page');
  } finally {
    await browser.close();
  }
});
