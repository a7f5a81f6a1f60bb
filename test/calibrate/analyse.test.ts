// The analysis of calibration results, on synthetic namespace results made from known prices:
// the fits must give those prices back, the spread must come from the repetitions, and a
// conntrack run that did not behave as planned must not produce constants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLine, fitTwo } from '../../src/calibrate/analyse.ts';
import { analyseIptables } from '../../src/calibrate/analyse-iptables.ts';
import { analyseConntrack, analyseNftables } from '../../src/calibrate/analyse-kernel.ts';
import { chooseCostModel } from '../../src/calibrate/index.ts';
import type { StepResult } from '../../src/calibrate/netns.ts';
import type { Material, ScaleMaterial } from '../../src/calibrate/rulesets.ts';
import type { ConstantMeasurement, Measurement } from '../../src/calibrate/types.ts';
import { costModelWith } from '../../src/metrics/cost-model.ts';

const REPS = 3;

function scale(services: number): ScaleMaterial {
  return {
    services,
    saveFile: '',
    saveLines: 80 + 15 * services,
    restoreFile: '',
    restoreLines: 60 + 15 * services,
    natRules: 37 + 11 * services,
    totalRules: 52 + 11 * services,
    walkRules: 6 + services,
    nftFile: '',
    nft: { chains: 20 + 4 * services, rules: 30 + 8 * services, elements: 8 + 2 * services },
    hits: [],
  };
}

const material: Material = {
  serviceCIDR: '10.96.0.0/12',
  clusterCIDR: '10.244.0.0/16',
  probes: ['10.111.255.254'],
  scales: [0, 1000, 5000, 10000].map(scale),
  nftNoLookupFile: '',
  emptyFile: '',
};

/** A little deterministic wobble, different per repetition, so spreads are not zero. */
const wobble = (r: number, k = 0) => 1 + 0.01 * Math.sin(3 * r + k);

function iptablesResults(ruleNs: number, lineNs: number, quad: number, invocationNs: number, copyNs: number): StepResult[] {
  const out: StepResult[] = [{ op: 'connect', label: 'walk:none:0:0', threadNs: [18000, 18100, 17900] }];
  for (let r = 0; r < REPS; r++)
    for (const s of material.scales) {
      const walk = 18000 + 3000 + ruleNs * s.walkRules * wobble(r);
      out.push({ op: 'connect', label: `walk:nft:${s.services}:${r}`, threadNs: [walk, walk * 1.01, walk * 0.99] });
      out.push({
        op: 'run',
        label: `restore:nft:${s.services}:${r}`,
        cpuNs: (5e6 + lineNs * s.saveLines + quad * s.totalRules ** 2) * wobble(r, 1),
        wallNs: 2e7,
      });
      if (r === 0)
        for (let k = 0; k < 4; k++)
          out.push({ op: 'run', label: `append:nft:${s.services}:0:${k}`, cpuNs: (invocationNs + copyNs * s.natRules) * wobble(k, 2) });
    }
  return out;
}

const constantOf = (ms: Measurement[], name: string) =>
  ms.find((m): m is ConstantMeasurement => m.kind === 'constant' && m.constant === name)!;

test('fitLine and fitTwo recover the coefficients they were made from', () => {
  const xs = [0, 1000, 5000, 10000];
  assert.deepEqual(
    fitLine(
      xs,
      xs.map((x) => 7 + 3 * x),
    ),
    { slope: 3, intercept: 7 },
  );
  assert.equal(fitLine([5, 5], [1, 2]), null);
  const g = fitTwo(
    xs,
    xs.map((x) => x * x),
    xs.map((x) => 100 + 2 * x + 0.5 * x * x),
  )!;
  assert.ok(Math.abs(g.a - 100) < 1e-3 && Math.abs(g.c - 2) < 1e-6 && Math.abs(g.q - 0.5) < 1e-9, JSON.stringify(g));
});

test('iptables: ns per rule, per restore line, the rules^2 term and the invocation cost come back from the data', () => {
  const ms = analyseIptables('nft', iptablesResults(9, 20000, 0, 4e6, 1000), material, REPS);
  const walk = constantOf(ms, 'iptablesRuleNs');
  assert.ok(Math.abs(walk.median - 9) < 0.2, `${walk.median}`);
  assert.ok(walk.min < walk.max && walk.n === REPS);
  const line = constantOf(ms, 'iptablesRestoreLineNs');
  assert.ok(Math.abs(line.median - 20000) < 400, `${line.median}`);
  assert.ok(line.exponent! > 0.9 && line.exponent! < 1.1);
  const inv = constantOf(ms, 'iptablesInvocationNs');
  // The invocation against the skeleton: the fixed cost plus a 37-rule copy.
  assert.ok(Math.abs(inv.median - (4e6 + 37 * 1000)) < 1e5, `${inv.median}`);
  assert.ok(Math.abs(constantOf(ms, 'iptablesTableCopyRuleNs').median - 1000) < 30);
  // Points per scale, the walk above the no-rules connect.
  const walkPoints = ms.filter((m) => m.kind === 'point' && m.id === 'iptables.walk');
  assert.deepEqual(
    walkPoints.map((m) => (m.kind === 'point' ? m.services : -1)),
    [0, 1000, 5000, 10000],
  );
  // No legacy-only constant for the nft backend.
  assert.equal(constantOf(ms, 'iptablesLegacyRuleSquaredNs'), undefined);
});

test('legacy: a quadratic restore gives its rules^2 coefficient; a linear one gives about zero', () => {
  const results = (quad: number) =>
    iptablesResults(5, 8000, quad, 4e6, 10000).map((r) => ({ ...r, label: r.label?.replace(':nft:', ':legacy:') }));
  const q = constantOf(analyseIptables('legacy', results(0.05), material, REPS), 'iptablesLegacyRuleSquaredNs');
  assert.ok(Math.abs(q.median - 0.05) < 0.005, `${q.median}`);
  const flat = constantOf(analyseIptables('legacy', results(0), material, REPS), 'iptablesLegacyRuleSquaredNs');
  assert.ok(Math.abs(flat.median) < 0.005, `${flat.median}`);
});

test('nftables: the lookup is the miss minus the table without a lookup; load per element from the slope', () => {
  const out: StepResult[] = [{ op: 'connect', label: 'nft-miss:none:0:0', threadNs: [18000] }];
  for (let r = 0; r < REPS; r++) {
    out.push({ op: 'connect', label: `nft-nolookup:nftables:0:${r}`, threadNs: [21000 * wobble(r)] });
    for (const s of material.scales) {
      out.push({ op: 'connect', label: `nft-miss:nftables:${s.services}:${r}`, threadNs: [21000 * wobble(r) + 300] });
      out.push({ op: 'connect', label: `nft-hit:nftables:${s.services}:${r}`, threadNs: [24000] });
      out.push({ op: 'run', label: `nft-load:nftables:${s.services}:${r}`, cpuNs: 2e7 + 50000 * s.nft.elements });
    }
  }
  const ms = analyseNftables(out, material, REPS);
  assert.ok(Math.abs(constantOf(ms, 'nftablesMapLookupNs').median - 300) < 1);
  assert.ok(Math.abs(constantOf(ms, 'nftablesLoadElementNs').median - 50000) < 1);
  const hits = ms.filter((m) => m.kind === 'point' && m.id === 'nftables.hit');
  assert.ok(hits.every((m) => m.kind === 'point' && m.median === 6000));
});

function conntrackResults(opts: { lookup: number; insert: number; created?: number; offCreated?: number }): StepResult[] {
  const out: StepResult[] = [];
  let count = 0;
  for (let r = 0; r < REPS; r++) {
    const hookSame = 6400 * wobble(r);
    const hookNew = 6700 * wobble(r);
    out.push(
      { op: 'udp', label: `udp-same:plain:0:${r}`, threadNs: [6000, 6000], count: 100, userNs: 3e6, sysNs: 9e6 },
      { op: 'udp', label: `udp-new:plain:0:${r}`, threadNs: [6300], count: 100 },
      { op: 'udp', label: `udp-same:hook:0:${r}`, threadNs: [hookSame], count: 100 },
      { op: 'read', label: `ct-count:hook-before:0:${r}`, text: `${count}\n` },
      { op: 'udp', label: `udp-new:hook:0:${r}`, threadNs: [hookNew, hookNew], count: 100 },
      { op: 'read', label: `ct-count:hook-after:0:${r}`, text: `${(count += opts.offCreated ?? 0)}\n` },
      { op: 'udp', label: `udp-same:ct:0:${r}`, threadNs: [hookSame + 2 * opts.lookup], count: 100 },
      { op: 'read', label: `ct-count:ct-before:0:${r}`, text: `${count}\n` },
      {
        op: 'udp',
        label: `udp-new:ct:0:${r}`,
        threadNs: [hookNew + opts.insert + opts.lookup, hookNew + opts.insert + opts.lookup],
        count: 100,
      },
      { op: 'read', label: `ct-count:ct-after:0:${r}`, text: `${(count += opts.created ?? 300)}\n` },
    );
  }
  return out;
}

test('conntrack: lookup and insert from the four paths; the plain path is the kernel share of a datagram', () => {
  const ms = analyseConntrack(conntrackResults({ lookup: 150, insert: 2000 }), REPS);
  assert.ok(Math.abs(constantOf(ms, 'conntrackLookupNs').median - 150) < 1e-6);
  assert.ok(Math.abs(constantOf(ms, 'conntrackInsertNs').median - 2000) < 1e-6);
  assert.equal(constantOf(ms, 'packetBaseNs').median, 6000 * 0.75);
});

test('conntrack: entries while it should be off, or too few while on, mean no constants', () => {
  for (const bad of [{ offCreated: 5 }, { created: 10 }]) {
    const ms = analyseConntrack(conntrackResults({ lookup: 150, insert: 2000, ...bad }), REPS);
    assert.equal(constantOf(ms, 'conntrackInsertNs'), undefined);
    assert.ok(ms.some((m) => m.kind === 'not-measured' && m.constant === 'conntrackLookupNs'));
  }
});

test('the cost model file: best source per constant, known constants only, noise left out', () => {
  const c = (constant: string, backend: string | undefined, median: number): ConstantMeasurement => ({
    kind: 'constant',
    id: constant,
    constant,
    inCostModel: false,
    what: '',
    unit: 'ns',
    clock: 'thread-cpu',
    derivation: '',
    backend,
    median,
    min: median,
    max: median,
    n: 3,
  });
  const ms: Measurement[] = [
    c('iptablesRuleNs', 'legacy', 5),
    c('iptablesRuleNs', 'nft', 10),
    c('iptablesInvocationNs', 'nft', 3e6),
    c('iptablesInvocationNs', 'legacy', 4e6),
    c('iptablesLegacyRuleSquaredNs', 'legacy', -0.01),
    c('conntrackLookupNs', undefined, -20),
    c('conntrackInsertNs', undefined, 1500),
    c('nftablesMapLookupNs', 'nftables', 300),
  ];
  const cm = chooseCostModel(ms);
  assert.deepEqual(cm, {
    iptablesRuleNs: 10,
    iptablesInvocationNs: 4e6,
    iptablesLegacyRuleSquaredNs: 0,
    conntrackInsertNs: 1500,
    nftablesMapLookupNs: 300,
  });
  assert.deepEqual(
    ms
      .filter((m) => m.kind === 'constant' && m.inCostModel)
      .map((m) => `${m.kind === 'constant' && m.constant}/${m.kind === 'constant' && m.backend}`),
    [
      'iptablesRuleNs/nft',
      'iptablesInvocationNs/legacy',
      'iptablesLegacyRuleSquaredNs/legacy',
      'conntrackInsertNs/undefined',
      'nftablesMapLookupNs/nftables',
    ],
  );
  // What calibrate writes is what the cost model accepts.
  assert.equal(costModelWith(cm, 'cal.json').iptablesRuleNs, 10);
});
