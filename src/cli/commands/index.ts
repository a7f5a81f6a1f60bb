// Every subcommand registers itself here; a subcommand exists only when it works. Each module is
// loaded only when needed: `kpsim sweep ...` loads the sweep command alone, so it starts (and
// prints its plan) without first importing every other command's code; help loads them all.
import type { Command } from 'commander';

type Register = (program: Command) => void;

const COMMANDS: Record<string, () => Promise<Register>> = {
  dns: async () => (await import('./dns.ts')).registerDns,
  generate: async () => (await import('./generate.ts')).registerGenerate,
  validate: async () => (await import('./validate.ts')).registerValidate,
  sweep: async () => (await import('./sweep.ts')).registerSweep,
  merge: async () => (await import('./merge.ts')).registerMerge,
  churn: async () => (await import('./churn.ts')).registerChurn,
  report: async () => (await import('./report.ts')).registerReport,
  gate: async () => (await import('./gate.ts')).registerGate,
  history: async () => (await import('./history.ts')).registerHistory,
  baseline: async () => (await import('./baseline.ts')).registerBaseline,
  simulate: async () => (await import('./simulate.ts')).registerSimulate,
  rules: async () => (await import('./rules.ts')).registerRules,
  trace: async () => (await import('./trace.ts')).registerTrace,
  calibrate: async () => (await import('./calibrate.ts')).registerCalibrate,
};

/** Registers the subcommand `argv` names, or every subcommand (help, a typo, no subcommand). */
export async function registerCommands(program: Command, argv: string[] = []): Promise<void> {
  const name = argv.find((a) => !a.startsWith('-'));
  const names = name !== undefined && Object.hasOwn(COMMANDS, name) ? [name] : Object.keys(COMMANDS);
  for (const register of await Promise.all(names.map((n) => COMMANDS[n]()))) register(program);
}
