// The report in a real browser: headless Debian Chromium opens index.html from disk and must draw
// every chart with no console error and no network request. Does not skip: without Chromium it fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { writeReport } from '../../src/report/index.ts';
import { ROOT, tempDir } from '../helpers/cli.ts';
import { CHURN_MODES, churnResults } from './churn-fixture.ts';
import { FIXTURE_MODES, syntheticResults } from './fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = join(ROOT, 'test-output', 'report.png');

/** Opens a report page with every request but the page itself refused and recorded. */
async function openReport(browser: Browser, url: string) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
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

test('index.html renders offline in headless Chromium: every chart drawn, no errors, no network', { timeout: 20_000 }, async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} not found: this test needs Debian's chromium package (as root: apt-get update && apt-get install -y chromium). CI installs it; the test does not skip without it.`,
  );
  const dir = tempDir('kpsim-report-browser-');
  const files = await writeReport(dir, syntheticResults({ failed: [{ mode: 'ipvs', scale: 30000, error: 'worker heap limit reached' }] }));
  const charts = files.filter((f) => f.endsWith('.vl.json')).length;
  assert.equal(charts, 6);
  const url = pathToFileURL(files[0]).href;

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
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
      const modes = c.id.startsWith('chart-repro-') ? ['iptables', 'ipvs'] : FIXTURE_MODES;
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
  timeout: 20_000,
}, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found (see the test above)`);
  const dir = tempDir('kpsim-report-browser-churn-');
  const files = await writeReport(dir, churnResults());
  const charts = files.filter((f) => f.endsWith('.vl.json')).length;
  assert.ok(charts >= 3, `${charts} charts`);
  const url = pathToFileURL(files[0]).href;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
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
