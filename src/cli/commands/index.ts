// Every subcommand registers itself here; a subcommand exists only when it works.
import type { Command } from 'commander';
import { registerGenerate } from './generate.ts';
import { registerValidate } from './validate.ts';

export function registerCommands(program: Command): void {
  registerGenerate(program);
  registerValidate(program);
}
