// Every subcommand registers itself here; a subcommand exists only when it works.
import type { Command } from 'commander';
import { registerDns } from './dns.ts';
import { registerGenerate } from './generate.ts';
import { registerValidate } from './validate.ts';
import { registerSweep } from './sweep.ts';
import { registerMerge } from './merge.ts';
import { registerChurn } from './churn.ts';
import { registerReport } from './report.ts';
import { registerGate } from './gate.ts';
import { registerHistory } from './history.ts';
import { registerBaseline } from './baseline.ts';
import { registerSimulate } from './simulate.ts';
import { registerRules } from './rules.ts';
import { registerTrace } from './trace.ts';

export function registerCommands(program: Command): void {
  registerDns(program);
  registerGenerate(program);
  registerValidate(program);
  registerSweep(program);
  registerMerge(program);
  registerChurn(program);
  registerReport(program);
  registerGate(program);
  registerHistory(program);
  registerBaseline(program);
  registerSimulate(program);
  registerRules(program);
  registerTrace(program);
}
