// Option parsers shared by subcommands; they throw commander's InvalidArgumentError so the
// message names the option and the value.
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../engine/simulator.ts';
import { allModes, findMode, modeNames } from '../proxy/modes.ts';
import { InputError } from '../util/errors.ts';

export function parseCount(value: string): number {
  const n = Number(value.replace(/_/g, ''));
  if (!/^\d[\d_]*$/.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
}

export function parsePositive(value: string): number {
  const n = parseCount(value);
  if (n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

/** A comma-separated list, each item parsed by `item`; empty items are an error. */
export function parseList<T>(value: string, what: string, item: (s: string) => T): T[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((s) => s === ''))
    throw new InvalidArgumentError(`expected a comma-separated list of ${what}, got "${value}"`);
  return parts.map(item);
}

/** A comma-separated list of registered proxy modes, each once. */
export function parseModes(value: string): string[] {
  const modes = parseList(value, 'proxy modes', (m) => {
    if (findMode(m)) return m;
    const variants = allModes().flatMap((d) => d.variants.map((v) => `${d.name} ${v.name}`));
    const hint =
      variants.length > 0
        ? `; variants (${variants.join(', ')}) are a column of their own: churn --sweep adds them with --partial-sync-too`
        : '';
    throw new InvalidArgumentError(`unknown mode "${m}" (known: ${modeNames().join(', ')}${hint})`);
  });
  if (new Set(modes).size !== modes.length) throw new InvalidArgumentError(`a mode is listed twice in "${value}"`);
  return modes;
}

/** The registered modes' names for help texts. */
export function knownModes(sep = ', '): string {
  return modeNames().join(sep);
}

/** A positive Go duration ("300s", "5m", "1m30s"): a unit is required, as in Go and kube-proxy. */
export function parseDurationOption(value: string): number {
  let ns: number;
  try {
    ns = parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  if (ns <= 0) throw new InvalidArgumentError(`duration must be greater than 0, got "${value}"`);
  return ns;
}

/** At most one file option may be "-" (standard input can be read once): names them otherwise. */
export function checkOneStdin(given: Record<string, unknown>): void {
  const dashes = Object.entries(given)
    .filter(([, v]) => v === '-')
    .map(([flag]) => flag);
  if (dashes.length > 1) throw new InputError(`only one of ${dashes.join(' and ')} can be - (standard input)`, undefined, dashes[1]);
}
