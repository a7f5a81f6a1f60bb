// Public API of the netfilter model (see each module for details).

export * from './types.ts';
export { splitArgs, quoteArg, quoteArgSaveStyle, joinArgs, type QuoteStyle } from './args.ts';
export { NetfilterParseError } from './errors.ts';
export { rule, ruleFromArgs, parseRuleArgs, type ParseRuleOptions, type ParsedArgs } from './rule-parse.ts';
export {
  newRuleset,
  newTable,
  newChain,
  getTable,
  getChain,
  ensureTable,
  ensureChain,
  appendRule,
  reindex,
  buildRuleset,
  isBuiltinChain,
  isTableName,
  TABLE_NAMES,
} from './ruleset.ts';
export { parseIptablesSave } from './save-parse.ts';
export { writeIptablesSave, writeIptablesRestore } from './save-write.ts';
export { findJumpLoops, assertNoJumpLoops, lintRuleset, type LintIssue } from './lint.ts';
export { MemoryRecentStore, type RecentStore } from './recent.ts';
export { walkChain, type WalkOptions, type WalkResult, type PathStep, type Verdict } from './trace.ts';
export {
  walkHooks,
  walkInbound,
  walkLocalOutput,
  inboundHooks,
  localOutputHooks,
  type HookStep,
  type HooksOptions,
  type HooksResult,
  type HookStepResult,
} from './hooks.ts';
export { compileRuleset, compileTable, TableCompiler, type CompileOptions } from './table-compile.ts';
export {
  describeRule,
  releaseRuleObjects,
  verdictName,
  type CompiledTable,
  type CompiledRuleset,
} from './compiled.ts';
export { CompiledWalker, CompiledWalkResult, walkCompiled, toWalkResult } from './compiled-walk.ts';
export { PacketWalk } from './packet-walk.ts';
export { T_ACCEPT, T_DNAT, T_DROP, T_MASQUERADE, T_REDIRECT, T_REJECT, T_SNAT } from './compiled.ts';
