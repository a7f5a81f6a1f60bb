// `kpsim calibrate`: the cost model's constants measured on this machine's kernel.
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { runCalibration } from '../../calibrate/index.ts';
import { BACKENDS, type Backend } from '../../calibrate/plans.ts';
import type { CalibrationFile } from '../../calibrate/types.ts';
import { DEFAULT_COST_MODEL } from '../../metrics/cost-model.ts';
import { loadScenario } from '../../scenario/load.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { parsePositive } from '../options.ts';

const DEFAULT_SCENARIO = fileURLToPath(new URL('../../../scenarios/scale-sweep.yaml', import.meta.url));

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .summary("measure the cost model's constants on this machine's kernel (root; throwaway network namespaces)")
    .description(
      [
        "Loads kpsim's own rendered rulesets into the real iptables-nft, iptables-legacy and nft in",
        "throwaway network namespaces (`unshare --net`: never the host's tables) and measures: ns per rule",
        'of the first-packet walk (fitted over scales), iptables-restore per line, one `iptables -A`',
        'against the table size, nftables map lookups and `nft -f`, conntrack lookup and entry',
        'creation, and the plain packet path. Writes {"costModel", "measurements", "machine"}: pass',
        'it to sweep, churn or simulate with --cost-model FILE. Needs root, unshare, ip, python3,',
        'iptables and nftables (Debian packages); refuses with exit 2 and names what is missing.',
        'See docs/calibration.md.',
      ].join('\n'),
    )
    .option('-o, --out <file>', 'where to write the calibration', 'calibration.json')
    .option('--scales <list>', 'numbers of services, increasing (default 1000,5000,10000; a 0-service skeleton is added)', parseScales)
    .option('--backends <list>', `iptables backends (default ${BACKENDS.join(',')})`, parseBackends)
    .option('--scenario <file>', 'the cluster shape (default: scenarios/scale-sweep.yaml, the default sweep)')
    .option('--nft-max-services <n>', 'largest scale of the nftables group (nft -f grows about quadratically)', parsePositive, 5000)
    .option('--repetitions <n>', 'repetitions of every measurement', parsePositive, 3)
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      '\nExamples:\n  sudo kpsim calibrate --out cal.json\n  sudo kpsim calibrate --scales 1000,2000,4000 --backends nft --out cal-nft.json\n  kpsim sweep scenarios/scale-sweep.yaml --cost-model cal.json',
    )
    .action(
      async (opts: {
        out: string;
        scales?: number[];
        backends?: Backend[];
        scenario?: string;
        nftMaxServices: number;
        repetitions: number;
        quiet?: boolean;
      }) => {
        const scenario = loadScenario(opts.scenario ?? DEFAULT_SCENARIO);
        const log = opts.quiet ? undefined : (line: string) => process.stderr.write(`calibrate: ${line}\n`);
        const cal = await runCalibration({
          scenario,
          scales: opts.scales ?? [1000, 5000, 10000],
          backends: opts.backends ?? [...BACKENDS],
          nftMaxServices: opts.nftMaxServices,
          effort: { repetitions: opts.repetitions },
          log,
        });
        writeFileAtomic(opts.out, JSON.stringify(cal, null, 1) + '\n');
        process.stdout.write(`${calibrationTable(cal)}\nwrote ${opts.out} (${cal.run.wallSeconds.toFixed(0)} s)\n`);
      },
    );
}

/** The measured constants beside the defaults they replace. */
export function calibrationTable(cal: CalibrationFile): string {
  const rows = [['constant', 'backend', 'measured', 'min..max', 'default', 'in file']];
  for (const m of cal.measurements) {
    if (m.kind !== 'constant') continue;
    const def = (DEFAULT_COST_MODEL as unknown as Record<string, number>)[m.constant];
    rows.push([
      m.constant,
      m.backend ?? '',
      `${fmt(m.median)} ${m.unit}`,
      `${fmt(m.min)}..${fmt(m.max)}`,
      def === undefined ? '(not in model)' : fmt(def),
      m.inCostModel ? 'yes' : '',
    ]);
  }
  for (const m of cal.measurements) if (m.kind === 'not-measured') rows.push([m.constant ?? m.id, '', 'not measured', m.reason, '', '']);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 0.01 ? v.toFixed(3) : v.toPrecision(2);
}

function parseScales(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const scales = parts.map((s) => {
    const n = Number(s);
    if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected positive integers, got "${value}"`);
    return n;
  });
  if (scales.some((s, i) => i > 0 && s <= scales[i - 1]))
    throw new InvalidArgumentError(`scales must be strictly increasing, got "${value}"`);
  if (scales.length < 2) throw new InvalidArgumentError('give at least two scales: constants are fitted across them');
  return scales;
}

function parseBackends(value: string): Backend[] {
  const list = value.split(',').map((s) => s.trim());
  for (const b of list)
    if (!(BACKENDS as readonly string[]).includes(b))
      throw new InvalidArgumentError(`unknown backend "${b}" (known: ${BACKENDS.join(', ')})`);
  if (new Set(list).size !== list.length) throw new InvalidArgumentError(`a backend appears twice in "${value}"`);
  return list as Backend[];
}
