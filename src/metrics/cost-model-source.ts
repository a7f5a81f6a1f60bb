// Which prices a run uses, and the record of it: the built-in defaults, or a cost-model file
// (what `kpsim calibrate` writes: {"costModel": {...}, "measurements": [...], "machine": {...}},
// or a flat {constant: number} object), then the scenario's own `costModel` section on top.
// The file comes from --cost-model FILE or the scenario's `costModelFile:` (relative to the
// scenario); the command line wins. Results record the source so the gate can tell runs priced
// differently apart.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Scenario } from '../scenario/schema.ts';
import { InputError } from '../util/errors.ts';
import { type CostModel, costModelWith } from './cost-model.ts';

/** A measured point the report's "this kernel vs the model" panel draws (from a calibration file). */
export interface CalibrationPoint {
  /** iptables.restore (s) or iptables.walk (ns). */
  id: string;
  backend: string;
  services: number;
  median: number;
  min: number;
  max: number;
  unit: string;
}

export interface CostModelInfo {
  /** 'defaults': the built-in prices; 'file': a cost-model file's, over the defaults. */
  source: 'defaults' | 'file';
  /** The file as resolved (absolute). */
  file?: string;
  sha256?: string;
  /** Constants the file sets. */
  fileConstants?: string[];
  /** Constants the scenario's `costModel` section sets (applied last). */
  scenarioConstants: string[];
  /** Every price the run used. */
  prices: CostModel;
  /** When the file is a calibration: where it was measured and its restore and walk points. */
  calibration?: { kernel: string; cpuModel: string; date: string; points: CalibrationPoint[] };
}

export interface ResolvedCostModel {
  costModel: CostModel;
  info: CostModelInfo;
}

const PANEL_POINTS = new Set(['iptables.restore', 'iptables.walk']);

/** The scenario with --cost-model FILE in place of its own costModelFile (an absolute path). */
export function withCostModelFile<S extends Scenario>(scenario: S, cliFile: string | undefined): S {
  return cliFile === undefined ? scenario : { ...scenario, costModelFile: resolve(cliFile) };
}

/** The cost model for a scenario: defaults, its costModelFile (relative to the scenario), its costModel section. */
export function resolveCostModel(scenario: Scenario): ResolvedCostModel {
  const scenarioFile = scenario.file ?? '(scenario)';
  const named = scenario.costModelFile !== undefined ? resolve(dirname(scenarioFile), scenario.costModelFile) : null;
  const inline = scenario.costModel ?? {};
  const scenarioConstants = Object.keys(inline).sort();
  if (named === null) {
    const costModel = costModelWith(scenario.costModel, scenarioFile);
    return { costModel, info: { source: 'defaults', scenarioConstants, prices: costModel } };
  }
  const file = readCostModelFile(named);
  const prices: Record<string, number> = { ...costModelWith(file.constants, named) };
  // The scenario's own constants (validated here) go on top of the file's.
  const own = costModelWith(scenario.costModel, scenarioFile);
  for (const k of scenarioConstants) prices[k] = own[k];
  const costModel = prices as CostModel;
  return {
    costModel,
    info: {
      source: 'file',
      file: named,
      sha256: file.sha256,
      fileConstants: Object.keys(file.constants).sort(),
      scenarioConstants,
      prices: costModel,
      ...(file.calibration ? { calibration: file.calibration } : {}),
    },
  };
}

interface CostModelFile {
  constants: Record<string, unknown>;
  sha256: string;
  calibration?: CostModelInfo['calibration'];
}

function readCostModelFile(path: string): CostModelFile {
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (err) {
    throw new InputError(`cannot read the cost-model file (--cost-model or the scenario's costModelFile): ${(err as Error).message}`, path);
  }
  let data: unknown;
  try {
    data = JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw new InputError(`malformed JSON: ${(err as Error).message}`, path);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new InputError(
      'a cost-model file is an object: {"costModel": {...}} (what kpsim calibrate writes) or {constant: number}',
      path,
      '(top level)',
    );
  const obj = data as Record<string, unknown>;
  const nested = 'costModel' in obj;
  const constants = nested ? obj.costModel : obj;
  if (typeof constants !== 'object' || constants === null || Array.isArray(constants))
    throw new InputError('must be an object of constant: number', path, 'costModel', constants);
  return {
    constants: constants as Record<string, unknown>,
    sha256: createHash('sha256').update(text).digest('hex'),
    calibration: nested ? calibrationSummary(obj) : undefined,
  };
}

/** The machine and the panel's points of a calibration file; undefined when it has none. */
function calibrationSummary(obj: Record<string, unknown>): CostModelInfo['calibration'] {
  const machine = (obj.machine ?? {}) as Record<string, unknown>;
  const run = (obj.run ?? {}) as Record<string, unknown>;
  const list = Array.isArray(obj.measurements) ? obj.measurements : [];
  const points: CalibrationPoint[] = [];
  for (const m of list as Record<string, unknown>[]) {
    if (m?.kind !== 'point' || !PANEL_POINTS.has(String(m.id))) continue;
    const nums = [m.services, m.median, m.min, m.max];
    if (!nums.every((v) => typeof v === 'number' && Number.isFinite(v))) continue;
    points.push({
      id: String(m.id),
      backend: String(m.backend ?? ''),
      services: m.services as number,
      median: m.median as number,
      min: m.min as number,
      max: m.max as number,
      unit: String(m.unit ?? ''),
    });
  }
  if (points.length === 0) return undefined;
  return {
    kernel: String(machine.kernel ?? 'unknown'),
    cpuModel: String(machine.cpuModel ?? 'unknown'),
    date: String(run.date ?? ''),
    points,
  };
}

/** "defaults" or "FILE (sha256 abcdef012345)": how a message names what priced a run. */
export function describeCostModel(info: Pick<CostModelInfo, 'source' | 'file' | 'sha256'> | undefined): string {
  if (!info || info.source === 'defaults') return 'the default cost model';
  return `${info.file} (sha256 ${info.sha256?.slice(0, 12)})`;
}

/** Equal when two runs were priced from the same source (missing: defaults, as every run before this record). */
export function samePricing(a: CostModelInfo | undefined, b: CostModelInfo | undefined): boolean {
  const key = (i: CostModelInfo | undefined) => (i?.source === 'file' ? `file:${i.sha256}` : 'defaults');
  return key(a) === key(b);
}
