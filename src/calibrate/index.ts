// `kpsim calibrate`: measures the simulated clock's constants on this machine's kernel, in
// throwaway network namespaces, with kpsim's own rendered rulesets. See docs/calibration.md.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { DEFAULT_COST_MODEL } from '../metrics/cost-model.ts';
import type { Scenario } from '../scenario/schema.ts';
import { analyseIptables } from './analyse-iptables.ts';
import { analyseConntrack, analyseNftables } from './analyse-kernel.ts';
import { runInNamespace, type Step, type StepResult } from './netns.ts';
import { conntrackPlan, conntrackTables, DEFAULT_EFFORT, type Backend, type Effort, iptablesPlan, nftablesPlan } from './plans.ts';
import { irqTimeAccounting, preflight } from './preflight.ts';
import { renderMaterial } from './rulesets.ts';
import type { CalibrationFile, ConstantMeasurement, Measurement } from './types.ts';

export type { CalibrationFile, Measurement } from './types.ts';

export interface CalibrateOptions {
  scenario: Scenario;
  scales: number[];
  backends: Backend[];
  /** nftables loads grow about quadratically: its group stops at this many services. */
  nftMaxServices: number;
  effort?: Partial<Effort>;
  /** Progress lines (stderr). */
  log?: (line: string) => void;
}

/** Where each cost-model constant comes from, best source first (backend undefined: the only one). */
const SOURCES: { constant: string; from: (string | undefined)[] }[] = [
  { constant: 'iptablesRuleNs', from: ['nft', 'legacy'] },
  { constant: 'iptablesRestoreLineNs', from: ['nft', 'legacy'] },
  { constant: 'iptablesInvocationNs', from: ['legacy', 'nft'] },
  { constant: 'iptablesLegacyRuleSquaredNs', from: ['legacy'] },
  { constant: 'conntrackLookupNs', from: [undefined] },
  { constant: 'conntrackInsertNs', from: [undefined] },
  { constant: 'packetBaseNs', from: [undefined] },
  // The nftables mode's map lookup; the load per element is a proposal (the mode prices a load by
  // its transaction's lines and commit walks): written once the cost model has it.
  { constant: 'nftablesMapLookupNs', from: ['nftables'] },
  { constant: 'nftablesLoadElementNs', from: ['nftables'] },
];

/** A namespace run may take this long before it is stopped. */
const GROUP_TIMEOUT_MS = 280_000;

export async function runCalibration(o: CalibrateOptions): Promise<CalibrationFile> {
  const log = o.log ?? (() => {});
  const effort: Effort = { ...DEFAULT_EFFORT, ...o.effort };
  const t0 = performance.now();
  const pre = await preflight(o.backends);
  const dir = mkdtempSync(join(os.tmpdir(), 'kpsim-calibrate-'));
  try {
    const scales = [0, ...o.scales.filter((s) => s > 0)];
    log(`rendering kpsim's rulesets at ${scales.join(', ')} services`);
    const material = renderMaterial(o.scenario, scales, dir);
    const nftMaterial = { ...material, scales: material.scales.filter((s) => s.services <= o.nftMaxServices) };
    const measurements: Measurement[] = [];
    const run = async (name: string, steps: Step[]): Promise<StepResult[]> => {
      const t = performance.now();
      log(`${name}: ${steps.length} steps in a new network namespace`);
      const res = await runInNamespace(pre.python, steps, GROUP_TIMEOUT_MS);
      log(`${name}: done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      return res;
    };
    for (const b of o.backends)
      measurements.push(...analyseIptables(b, await run(`iptables-${b}`, iptablesPlan(b, material, effort)), material, effort.repetitions));
    measurements.push(...analyseNftables(await run('nftables', nftablesPlan(nftMaterial, effort)), nftMaterial, effort.repetitions));
    measurements.push(...analyseConntrack(await run('conntrack', conntrackPlan(conntrackTables(dir), effort)), effort.repetitions));
    for (const b of ['nft', 'legacy'] as const)
      if (!o.backends.includes(b))
        measurements.push({
          kind: 'not-measured',
          id: `iptables-${b}`,
          what: `the iptables ${b} backend`,
          reason: '--backends leaves it out',
        });
    if (!pre.ipvs)
      measurements.push({
        kind: 'not-measured',
        id: 'ipvs.netlink_op',
        constant: 'ipvsNetlinkOpNs',
        what: 'one IPVS netlink operation (add a virtual or real server)',
        reason: 'no ip_vs module',
      });
    else
      measurements.push({
        kind: 'not-measured',
        id: 'ipvs.netlink_op',
        constant: 'ipvsNetlinkOpNs',
        what: 'one IPVS netlink operation',
        reason: 'this kernel has IPVS, but calibration has no IPVS measurement yet',
      });
    const costModel = chooseCostModel(measurements);
    const cpus = os.cpus();
    return {
      schema: 'kpsim-calibration/1',
      costModel,
      measurements,
      machine: {
        kernel: os.release(),
        cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
        cores: os.availableParallelism?.() ?? cpus.length,
        memoryBytes: os.totalmem(),
        versions: pre.versions,
        irqTimeAccounting: irqTimeAccounting(),
        node: process.version,
      },
      run: {
        date: new Date().toISOString(),
        kpsimVersion: '0.1.0',
        scenario: o.scenario.file ?? o.scenario.name,
        scales,
        backends: o.backends,
        repetitions: effort.repetitions,
        opsPerSample: effort.ops,
        samples: effort.samples,
        wallSeconds: (performance.now() - t0) / 1000,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The flat price list: for each constant the first source that measured it. A non-positive
 * median is noise, not a price, and is left out (iptablesLegacyRuleSquaredNs excepted: 0 there
 * means "no quadratic growth on this kernel"). Constants the cost model does not have stay in
 * the measurements only.
 */
export function chooseCostModel(measurements: Measurement[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { constant, from } of SOURCES) {
    if (!Object.hasOwn(DEFAULT_COST_MODEL, constant)) continue;
    for (const backend of from) {
      const m = measurements.find(
        (x): x is ConstantMeasurement => x.kind === 'constant' && x.constant === constant && x.backend === backend,
      );
      if (!m || !Number.isFinite(m.median)) continue;
      const value = constant === 'iptablesLegacyRuleSquaredNs' ? Math.max(0, m.median) : m.median;
      if (value < 0 || (value === 0 && constant !== 'iptablesLegacyRuleSquaredNs')) continue;
      out[constant] = Number(value.toPrecision(4));
      m.inCostModel = true;
      break;
    }
  }
  return out;
}
