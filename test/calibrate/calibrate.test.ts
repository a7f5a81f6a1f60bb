// `kpsim calibrate`: bad options and a machine it cannot use are exit 2 with a message naming what
// is missing and which constants go unmeasured; with root and the tools, a small calibration
// produces a file the cost model accepts (shapes only: timings are this machine's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCalibration } from '../../src/calibrate/index.ts';
import { findTool } from '../../src/calibrate/preflight.ts';
import type { ConstantMeasurement, PointMeasurement } from '../../src/calibrate/types.ts';
import { costModelWith, DEFAULT_COST_MODEL } from '../../src/metrics/cost-model.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { kpsim, ROOT, tempDir } from '../helpers/cli.ts';
import { kernelSkipReason } from '../helpers/kernel.ts';
import { spawnSync } from 'node:child_process';

test('calibrate: bad options are exit 2', () => {
  for (const [args, msg] of [
    [['--scales', '1000'], /at least two scales/],
    [['--scales', '5000,1000'], /strictly increasing/],
    [['--backends', 'nft,ipvs'], /unknown backend "ipvs"/],
  ] as const) {
    const r = kpsim(['calibrate', ...args]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, msg);
  }
});

const setpriv = findTool('setpriv');
test('calibrate: without root it refuses (exit 2), says why and which constants it could not measure, and writes nothing', {
  skip: process.getuid?.() !== 0 ? false : !setpriv ? 'needs setpriv (util-linux) to drop root' : false,
}, () => {
  const out = join(tempDir('kpsim-cal-nobody-'), 'cal.json');
  const args = [join(ROOT, 'bin', 'kpsim.js'), 'calibrate', '--out', out];
  const r =
    process.getuid?.() === 0
      ? spawnSync(setpriv!, ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, ...args], {
          cwd: ROOT,
          encoding: 'utf8',
        })
      : spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /calibrate cannot run here:\n {2}- needs root/);
  assert.match(r.stderr, /not measured: iptablesRuleNs, iptablesRestoreLineNs, .*conntrackInsertNs, packetBaseNs/);
  assert.ok(!existsSync(out));
});

test('calibrate on this kernel (small): the file has every constant, with spread, and the cost model takes it', {
  skip: kernelSkipReason(),
  timeout: 300_000,
}, async () => {
  const cal = await runCalibration({
    scenario: loadScenario('scenarios/scale-sweep.yaml'),
    scales: [100, 1000],
    backends: ['nft', 'legacy'],
    nftMaxServices: 1000,
    effort: { repetitions: 2, ops: 300, udpOps: 1000, samples: 2, appends: 2 },
  });
  assert.equal(cal.schema, 'kpsim-calibration/1');
  assert.deepEqual(cal.run.scales, [0, 100, 1000]);
  const constants = cal.measurements.filter((m): m is ConstantMeasurement => m.kind === 'constant');
  for (const name of [
    'iptablesRuleNs',
    'iptablesRestoreLineNs',
    'iptablesInvocationNs',
    'iptablesLegacyRuleSquaredNs',
    'conntrackLookupNs',
    'conntrackInsertNs',
    'packetBaseNs',
    'nftablesMapLookupNs',
    'nftablesLoadElementNs',
  ])
    assert.ok(
      constants.some((c) => c.constant === name && Number.isFinite(c.median) && c.min <= c.median && c.median <= c.max && c.n >= 2),
      name,
    );
  // Only the cost model's own names, and it accepts them.
  for (const k of Object.keys(cal.costModel)) assert.ok(Object.hasOwn(DEFAULT_COST_MODEL, k), k);
  assert.ok(Object.keys(cal.costModel).length >= 5, JSON.stringify(cal.costModel));
  costModelWith(cal.costModel, 'cal.json');
  // A rule costs something between a nanosecond and a tenth of a microsecond, and more rules cost more.
  for (const b of ['nft', 'legacy']) {
    const perRule = constants.find((c) => c.constant === 'iptablesRuleNs' && c.backend === b)!;
    assert.ok(perRule.median > 0.5 && perRule.median < 100, `${b}: ${perRule.median} ns/rule`);
    const walk = cal.measurements.filter((m): m is PointMeasurement => m.kind === 'point' && m.id === 'iptables.walk' && m.backend === b);
    assert.ok(walk.find((w) => w.services === 1000)!.median > walk.find((w) => w.services === 100)!.median, b);
    const restore = cal.measurements.filter(
      (m): m is PointMeasurement => m.kind === 'point' && m.id === 'iptables.restore' && m.backend === b,
    );
    assert.ok(restore.find((w) => w.services === 1000)!.median > restore.find((w) => w.services === 100)!.median, b);
  }
  assert.ok(cal.machine.kernel && cal.machine.versions['iptables-nft']?.includes('nf_tables'), JSON.stringify(cal.machine.versions));
  if (!existsSync('/proc/net/ip_vs'))
    assert.ok(
      cal.measurements.some((m) => m.kind === 'not-measured' && m.constant === 'ipvsNetlinkOpNs' && m.reason === 'no ip_vs module'),
    );
});
