// kpsim's command line. Exit codes: 0 success, 1 a run failed or a check found a regression,
// 2 bad usage or bad input (the message names the file, field and value).
import { Command, CommanderError } from 'commander';
import { InputError } from '../util/errors.ts';
import { registerCommands } from './commands/index.ts';

export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('kpsim')
    .description(
      'Discrete-event simulator and benchmark harness for Kubernetes service networking\n(kube-proxy userspace, iptables, IPVS and nftables modes, Cilium eBPF service load\nbalancing, conntrack, SNAT, cluster DNS).',
    )
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // Descriptions are laid out by hand at under 100 columns; commander would wrap them at 80
    // when stdout is not a terminal (piped help, tests).
    .configureHelp({ helpWidth: Math.max(process.stdout.columns ?? 0, 100) })
    .exitOverride();
  await registerCommands(program, argv);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with code 0.
      if (err.exitCode === 0) return EXIT_OK;
      return EXIT_USAGE;
    }
    if (err instanceof InputError) {
      process.stderr.write(`kpsim: error: ${err.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`kpsim: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT_FAIL;
  }
}
