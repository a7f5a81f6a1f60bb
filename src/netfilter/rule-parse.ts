// Parses rule arguments ("-s 10.0.0.0/8 -m tcp -p tcp --dport 80 -j KUBE-SVC-X") into
// matches and a target. Options are looked up like iptables' merged getopt: first in the
// most recent `-m` module, then in earlier ones, then in the implicit module of `-p`.

import { joinArgs, splitArgs, type QuoteStyle } from './args.ts';
import { fail, NetfilterParseError } from './errors.ts';
import { MODULES, type OptionSpec, type OptionUse } from './match-modules.ts';
import { buildTarget, KNOWN_EXTENSION_TARGETS, TARGET_OPTIONS } from './target-parse.ts';
import type { Match, Rule, Target } from './types.ts';
import { parseAddrSpec, parseProto } from './values.ts';

/** Top-level options (iptables(8) "PARAMETERS"), long forms mapped to short. */
const TOP_LEVEL: Record<string, string> = {
  '-s': '-s',
  '--source': '-s',
  '-d': '-d',
  '--destination': '-d',
  '-p': '-p',
  '--protocol': '-p',
  '-i': '-i',
  '--in-interface': '-i',
  '-o': '-o',
  '--out-interface': '-o',
  '-m': '-m',
  '--match': '-m',
  '-j': '-j',
  '--jump': '-j',
  '-g': '-g',
  '--goto': '-g',
  '-f': '-f',
  '--fragment': '-f',
};

export interface ParseRuleOptions {
  /** Whether a `-j NAME` that is not a built-in target names a chain; default: assume it does. */
  isChain?: (name: string) => boolean;
}

export interface ParsedArgs {
  matches: Match[];
  target: Target;
  unsupported: string[];
}

interface ModuleUse {
  module: string;
  uses: OptionUse[];
}

/** Parses argument tokens into matches and a target; throws NetfilterParseError. */
export function parseRuleArgs(args: readonly string[], opts: ParseRuleOptions = {}): ParsedArgs {
  // Matches are kept in rule order; module occurrences are expanded when parsing ends.
  const items: (Match | ModuleUse)[] = [];
  const modules: ModuleUse[] = [];
  const unsupported: string[] = [];
  let target: Target = { kind: 'none' };
  let targetName: string | null = null;
  let targetUses: OptionUse[] | null = null;
  let proto: string | null = null;
  let negate = false;
  let i = 0;

  const valueAt = (opt: string, k: number): string => {
    if (k >= args.length) fail(`option "${opt}" requires an argument`, opt);
    return args[k];
  };
  const isBoundary = (k: number): boolean => args[k] in TOP_LEVEL || (args[k] === '!' && k + 1 < args.length && args[k + 1] in TOP_LEVEL);

  while (i < args.length) {
    const tok = args[i];
    if (tok === '!') {
      if (negate) fail('"!" given twice', tok);
      negate = true;
      i++;
      continue;
    }
    const top = TOP_LEVEL[tok];
    if (top !== undefined) {
      if (negate && (top === '-m' || top === '-j' || top === '-g')) fail(`option "${tok}" cannot be negated`, tok);
      const val = top === '-f' ? '' : valueAt(tok, i + 1);
      i += top === '-f' ? 1 : 2;
      switch (top) {
        case '-s':
        case '-d':
          items.push({ kind: 'addr', dir: top === '-s' ? 'src' : 'dst', negate, text: val, ...parseAddrSpec(val) });
          break;
        case '-p':
          proto = val.toLowerCase();
          items.push({ kind: 'proto', negate, name: val, code: parseProto(val) });
          break;
        case '-i':
        case '-o': {
          const wildcard = val.endsWith('+');
          items.push({ kind: 'iface', dir: top === '-i' ? 'in' : 'out', negate, name: wildcard ? val.slice(0, -1) : val, wildcard });
          break;
        }
        case '-f':
          items.push({ kind: 'unknown', module: 'fragment', args: [...(negate ? ['!'] : []), tok] });
          unsupported.push('-f (fragment) is not modelled');
          break;
        case '-m': {
          if (MODULES[val] === undefined) {
            // Unknown module: its options run until the next top-level option.
            const start = i;
            while (i < args.length && !isBoundary(i)) i++;
            items.push({ kind: 'unknown', module: val, args: args.slice(start, i) });
            unsupported.push(`unknown match module "-m ${val}"`);
          } else {
            const m: ModuleUse = { module: val, uses: [] };
            modules.push(m);
            items.push(m);
          }
          break;
        }
        case '-j':
        case '-g': {
          if (targetName !== null) fail(`more than one target ("${tok} ${val}" after "${targetName}")`, tok);
          targetName = val;
          if (top === '-g') {
            if (val in TARGET_OPTIONS || KNOWN_EXTENSION_TARGETS.has(val)) fail(`"-g" needs a chain, not the target "${val}"`, val);
            target = { kind: 'goto', chain: val };
          } else if (val in TARGET_OPTIONS) {
            targetUses = [];
          } else if (KNOWN_EXTENSION_TARGETS.has(val) || (opts.isChain && !opts.isChain(val)) || startsTargetOptions(i)) {
            // Extension target the model does not know: keep its options as text.
            const start = i;
            while (i < args.length && !isBoundary(i)) i++;
            target = { kind: 'unknown', name: val, args: args.slice(start, i) };
          } else {
            target = { kind: 'jump', chain: val };
          }
          break;
        }
      }
      negate = false;
      continue;
    }
    if (!tok.startsWith('-')) fail(`unexpected argument "${tok}"`, tok);

    // A module or target option.
    const targetSpec = targetName !== null && targetUses !== null ? TARGET_OPTIONS[targetName][tok] : undefined;
    if (targetSpec !== undefined) {
      if (negate) fail(`option "${tok}" cannot be negated`, tok);
      targetUses!.push(collect(tok, targetSpec, false));
      continue;
    }
    const owner = findOwner(tok);
    if (owner === null) fail(`unknown option "${tok}"`, tok);
    const spec = MODULES[owner.module].options[tok];
    if (negate && !spec.negatable) fail(`option "${tok}" cannot be negated`, tok);
    owner.uses.push(collect(tok, spec, negate));
    negate = false;
  }
  if (negate) fail('"!" at the end of the rule negates nothing', '!');

  if (targetName !== null && targetUses !== null) target = buildTarget(targetName, targetUses);
  const matches: Match[] = [];
  for (const it of items) {
    if ('kind' in it) {
      matches.push(it);
    } else {
      const built = MODULES[it.module].build(it.uses, it.module);
      matches.push(...built.matches);
      unsupported.push(...built.unsupported);
    }
  }
  return { matches, target, unsupported };

  function collect(opt: string, spec: OptionSpec, neg: boolean): OptionUse {
    const values: string[] = [];
    for (let k = 0; k < spec.arity; k++) values.push(valueAt(opt, i + 1 + k));
    i += 1 + spec.arity;
    return { name: opt, values, negate: neg };
  }

  function findOwner(opt: string): ModuleUse | null {
    for (let k = modules.length - 1; k >= 0; k--) {
      if (opt in MODULES[modules[k].module].options) return modules[k];
    }
    // `-p tcp --dport 80` loads the tcp match implicitly (iptables-extensions: "tcp").
    if ((proto === 'tcp' || proto === 'udp' || proto === 'sctp') && opt in MODULES[proto].options) {
      const m: ModuleUse = { module: proto, uses: [] };
      modules.push(m);
      items.push(m);
      return m;
    }
    return null;
  }

  function startsTargetOptions(k: number): boolean {
    // `-j X --opt` where --opt belongs to no loaded module: X must be an extension target.
    if (k >= args.length || !args[k].startsWith('--')) return false;
    return !modules.some((m) => args[k] in MODULES[m.module].options);
  }
}

function makeRule(text: string, args: string[], opts: ParseRuleOptions): Rule {
  const parsed = parseRuleArgs(args, opts);
  return { text, args, ...parsed, counters: null, before: [] };
}

/**
 * Builds a rule from argument text as written after `-A CHAIN`, e.g.
 * `rule('-m comment --comment "x y" -j KUBE-MARK-MASQ')`. The text is kept verbatim.
 */
export function rule(text: string, opts: ParseRuleOptions = {}): Rule {
  let args: string[];
  try {
    args = splitArgs(text);
  } catch (e) {
    throw new NetfilterParseError((e as Error).message);
  }
  return makeRule(text.trim(), args, opts);
}

/** Builds a rule from unquoted arguments; the text is produced with `style` quoting. */
export function ruleFromArgs(args: readonly string[], style: QuoteStyle = 'kube-proxy', opts: ParseRuleOptions = {}): Rule {
  return makeRule(joinArgs(args, style), [...args], opts);
}
