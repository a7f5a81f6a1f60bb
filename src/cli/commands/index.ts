// Every subcommand registers itself here; a subcommand exists only when it works.
import type { Command } from 'commander';
import { registerDns } from './dns.ts';
import { registerGenerate } from './generate.ts';
import { registerValidate } from './validate.ts';
import { registerReport } from './report.ts';

export function registerCommands(program: Command): void {
  registerDns(program);
  registerGenerate(program);
  registerValidate(program);
  registerReport(program);
}
