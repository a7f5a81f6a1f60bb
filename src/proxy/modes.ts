// Queries over the registered proxy modes (registry.ts): the one place mode names are listed.
import { InputError } from '../util/errors.ts';
import type { ProxyModeDescriptor } from './mode.ts';
import * as registered from './registry.ts';

const MODES: readonly ProxyModeDescriptor[] = Object.values(registered).sort(
  (a, b) => a.display.order - b.display.order || (a.name < b.name ? -1 : 1),
);
const BY_NAME = new Map(MODES.map((m) => [m.name, m]));

/** Every registered mode, in display order. */
export function allModes(): readonly ProxyModeDescriptor[] {
  return MODES;
}

/** Names of the registered modes, in display order. */
export function modeNames(): string[] {
  return MODES.map((m) => m.name);
}

/** The mode called `name`, or undefined. */
export function findMode(name: string): ProxyModeDescriptor | undefined {
  return BY_NAME.get(name);
}

/** The mode called `name`; an InputError naming the known ones otherwise. */
export function getMode(name: string, file?: string, field = 'mode'): ProxyModeDescriptor {
  const mode = BY_NAME.get(name);
  if (!mode) throw new InputError(`unknown proxy mode (known: ${modeNames().join(', ')})`, file, field, name);
  return mode;
}

/** Display rank of a mode name: registered modes in their order, then anything else. */
export function modeRank(name: string): number {
  const m = BY_NAME.get(name);
  return m ? m.display.order : 1e9;
}

/** Every output format any mode renders, in mode order. */
export function allFormats(): string[] {
  return [...new Set(MODES.flatMap((m) => m.formats))];
}
