// `kpsim churn --sweep` end to end on a tiny scenario: the run folder, deterministic rows, the
// report's churn section, and bad input refused before anything is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { parseRateList, parseScaleList } from '../../src/cli/commands/churn-sweep.ts';
import { parseModes as parseModeList } from '../../src/cli/options.ts';
import type { RunResults } from '../../src/metrics/results.ts';
import { modeNames } from '../../src/proxy/modes.ts';
import { kpsim, tempDir } from '../helpers/cli.ts';

const SCENARIO = 'test/fixtures/scenarios/churn-tiny.yaml';
const SWEEP = ['churn', SCENARIO, '--sweep', '--rates', '1,5'];
// Series: each registered mode (the default), and iptables' partial-restore variant (a column of its own).
const MODES = modeNames();
const SERIES: [string, string][] = MODES.flatMap((m): [string, string][] =>
  m === 'iptables'
    ? [
        [m, ''],
        [m, 'partial'],
      ]
    : [[m, '']],
);
const POINTS = 2 * 2 * SERIES.length;
const LAST = MODES[MODES.length - 1];
const CHURN_CHARTS = ['churn-sync-time', 'churn-programming-latency', 'churn-latency-vs-rate'];

test('kpsim churn --sweep writes results.csv/json and the report; the rows are the same on every run', () => {
  const [a, b] = [join(tempDir(), 'run'), join(tempDir(), 'run')];
  const first = kpsim([...SWEEP, '--out', a, '--progress']);
  assert.equal(first.status, 0, first.stderr);
  // Progress per point on stderr (asked for: stderr is not a terminal here), after the plan:
  // 2 scales x 2 rates x every series (iptables+partial by default).
  assert.match(first.stderr, new RegExp(`^kpsim: ${POINTS} points in this process, one after the other\\n`));
  assert.match(
    first.stderr,
    new RegExp(`^kpsim: userspace @ 10 services, 1/s: ok in \\d+\\.\\d s — 1/${POINTS} points \\(\\d+%\\), .*ETA`, 'm'),
  );
  assert.match(
    first.stderr,
    new RegExp(`^kpsim: ${LAST} @ 40 services, 5/s: ok in \\d+\\.\\d s — ${POINTS}/${POINTS} points \\(100%\\)`, 'm'),
  );
  assert.match(first.stdout, /^iptables\+partial +40 +5 /m);
  assert.match(first.stdout, /^- Full sync time grows as services\^k/m);
  assert.match(first.stdout, /^- ipvs keeps up at every scale and rate of this run/m);
  assert.match(first.stdout, /report: open .*index\.html/);

  const csv = readFileSync(join(a, 'results.csv'), 'utf8');
  const lines = csv.split('\n');
  assert.equal(lines[0], 'mode,variant,scale,repetition,metric,clock,unit,statistic,value');
  for (const [mode, variant] of SERIES)
    for (const scale of [10, 40])
      for (const rate of [1, 5]) {
        assert.ok(
          lines.some((l) => l.startsWith(`${mode},${variant},${scale},0,programming.latency@${rate}/s,simulated,s,p99,`)),
          `${mode} ${variant} @ ${scale}, ${rate}/s has a p99 row`,
        );
      }
  assert.ok(lines.some((l) => l.startsWith('iptables,partial,40,0,sync.duration.partial@5/s,simulated,s,p50,')));
  assert.ok(lines.some((l) => l.startsWith('ipvs,,10,0,queue.length@1/s,simulated,changes,final,')));
  const results = JSON.parse(readFileSync(join(a, 'results.json'), 'utf8')) as RunResults;
  assert.equal(results.schema, 'kpsim-results/1');
  assert.deepEqual(results.meta.modes, MODES);
  assert.deepEqual(results.meta.scales, [10, 40]);
  assert.deepEqual(results.meta.churn?.rates, [1, 5]);
  assert.equal(results.meta.churn?.nodes, 3);
  assert.equal(results.meta.churn?.durationS, 30);
  assert.equal(results.meta.iptablesProfile, 'modern');
  assert.equal(results.points.length, POINTS);
  assert.ok(results.points.every((p) => p.status === 'ok' && typeof p.rate === 'number'));
  assert.equal(results.rows.length, lines.length - 2, 'results.json holds the CSV rows');
  assert.match(readFileSync(join(a, 'fits.csv'), 'utf8'), /^iptables,,sync\.duration\.full@1\/s,simulated,p50,s,/m);

  // Simulated clock, seeded: a second run writes the same rows, byte for byte.
  const second = kpsim([...SWEEP, '--out', b, '--quiet']);
  assert.equal(second.status, 0, second.stderr);
  assert.equal(second.stderr, '', '--quiet: no progress');
  assert.equal(readFileSync(join(b, 'results.csv'), 'utf8'), csv);
  assert.equal(readFileSync(join(b, 'fits.csv'), 'utf8'), readFileSync(join(a, 'fits.csv'), 'utf8'));

  const html = readFileSync(join(a, 'index.html'), 'utf8');
  assert.ok(html.includes('<section id="churn">'), 'the churn section');
  assert.ok(html.includes('Control plane: sync time and network programming latency'));
  assert.ok(html.includes('<ul class="findings">'));
  assert.ok(!html.includes('<section id="lookup">'), 'no empty data-plane sections in a churn-only run');
  for (const name of CHURN_CHARTS) {
    assert.ok(html.includes(`id="chart-${name}"`), `container for ${name}`);
    const svg = join(a, 'charts', `${name}.svg`);
    assert.ok(existsSync(svg) && statSync(svg).size > 1000, `${name}.svg written and not empty`);
    assert.match(readFileSync(svg, 'utf8'), /^<svg[^>]*>[\s\S]*>iptables\+partial</);
    assert.ok(existsSync(join(a, 'charts', `${name}.vl.json`)));
  }
});

test('a sweep point has the rows of the same single-point run, the rate added to the metric names', () => {
  const dir = tempDir();
  const sweep = kpsim([
    'churn',
    SCENARIO,
    '--sweep',
    '--modes',
    'iptables',
    '--scales',
    '40',
    '--rates',
    '5',
    '--no-partial-sync-too',
    '--out',
    join(dir, 'sweep'),
    '--quiet',
  ]);
  assert.equal(sweep.status, 0, sweep.stderr);
  const one = kpsim(['churn', SCENARIO, '--mode', 'iptables', '--services', '40', '--rate', '5', '--out', join(dir, 'one')]);
  assert.equal(one.status, 0, one.stderr);
  const sweepRows = readFileSync(join(dir, 'sweep', 'results.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .sort();
  const oneRows = readFileSync(join(dir, 'one', 'churn.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => {
      const c = l.split(',');
      c[4] += '@5/s';
      return c.join(',');
    })
    .sort();
  assert.ok(oneRows.length > 20);
  assert.deepEqual(sweepRows, oneRows);
});

test('bad sweep input exits 2 naming the option and the value, and writes nothing', () => {
  const cases: [string[], RegExp][] = [
    [['--modes', 'iptables,nft'], /--modes <list>.*'iptables,nft'.*unknown mode "nft"/],
    [['--rates', '1,fast'], /--rates <list>.*'1,fast'.*"fast"/],
    [['--mode', 'iptables'], /--mode: --mode is for one point; a sweep uses --modes \(got "iptables"\)/],
    [['--min-sync-period', '60s'], /churn-tiny\.yaml: churn\.syncPeriod: syncPeriod \(30s\) must be >= minSyncPeriod \(60s\)/],
  ];
  for (const [extra, message] of cases) {
    const out = join(tempDir(), 'run');
    const r = kpsim([...SWEEP, ...extra, '--out', out]);
    assert.equal(r.status, 2, `${extra.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, extra.join(' '));
    assert.equal(existsSync(out), false, `${extra.join(' ')}: nothing written`);
  }
  const noSweep = kpsim(['churn', SCENARIO, '--mode', 'ipvs', '--modes', 'ipvs']);
  assert.equal(noSweep.status, 2);
  assert.match(noSweep.stderr, /--modes: only with --sweep \(got \["ipvs"\]\)/);
});

test('sweep list options: what each refuses, in words naming the value', () => {
  const refuses = (parse: (v: string) => unknown, value: string, message: RegExp) =>
    assert.throws(
      () => parse(value),
      (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message),
      `${value}`,
    );
  assert.deepEqual(parseModeList('ipvs, iptables'), ['ipvs', 'iptables']);
  refuses(parseModeList, 'ipvs,ipvs', /listed twice in "ipvs,ipvs"/);
  refuses(parseModeList, 'iptables+partial', /unknown mode "iptables\+partial".*--partial-sync-too/);
  refuses(parseModeList, 'ipvs,', /comma-separated list of proxy modes, got "ipvs,"/);
  assert.deepEqual(parseRateList('0.5,1,1e2'), [0.5, 1, 100]);
  refuses(parseRateList, '10,1', /strictly increasing, got "10,1"/);
  refuses(parseRateList, '0,1', /positive numbers of events per second, got "0" in "0,1"/);
  refuses(parseRateList, '-1', /got "-1"/);
  assert.deepEqual(parseScaleList('1000,10_000'), [1000, 10000]);
  refuses(parseScaleList, '40,abc', /positive integers \(numbers of services\), got "abc" in "40,abc"/);
  refuses(parseScaleList, '0,10', /got "0"/);
  refuses(parseScaleList, '', /comma-separated list of numbers of services, got ""/);
});

test('kpsim merge joins churn sweeps run at different rates into the rows of one sweep', () => {
  const dir = tempDir();
  const run = (name: string, rates: string) => {
    const out = join(dir, name);
    const r = kpsim(['churn', SCENARIO, '--sweep', '--quiet', '--modes', 'iptables,ipvs', '--rates', rates, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    return out;
  };
  const [slow, fast, both] = [run('slow', '1'), run('fast', '5'), run('both', '1,5')];
  const merged = join(dir, 'merged');
  const m = kpsim(['merge', slow, fast, '--out', merged]);
  assert.equal(m.status, 0, m.stderr);
  assert.equal(readFileSync(join(merged, 'results.csv'), 'utf8'), readFileSync(join(both, 'results.csv'), 'utf8'));
  const a = JSON.parse(readFileSync(join(merged, 'results.json'), 'utf8')) as RunResults;
  const b = JSON.parse(readFileSync(join(both, 'results.json'), 'utf8')) as RunResults;
  assert.deepEqual(a.fits, b.fits);
  assert.deepEqual(a.meta.churn, b.meta.churn);
  // The same rate twice is a point in two runs; other churn settings must agree.
  const again = kpsim(['merge', slow, slow, '--out', join(dir, 'dup')]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /point iptables\/10\/0 at 1\/s appears in more than one shard/);
  const other = join(dir, 'other');
  assert.equal(
    kpsim(['churn', SCENARIO, '--sweep', '--quiet', '--modes', 'ipvs', '--rates', '5', '--nodes', '3', '--out', other]).status,
    0,
  );
  const mixed = kpsim(['merge', slow, other, '--out', join(dir, 'mixed')]);
  assert.equal(mixed.status, 2);
  assert.match(mixed.stderr, /meta\.churn: churn settings differ from .*only the rates and scales may differ/);
});
