// Shared pieces of the fuzz tests: the run budget, "ends in a result or an InputError", and
// mutations of valid inputs (the inputs a user gets slightly wrong are the interesting ones).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputError } from '../../src/util/errors.ts';

/** Runs per property: a short budget in `npm test`, FUZZ_RUNS (e.g. `npm run fuzz`) for a long one. */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

export const fuzzParams = { numRuns: RUNS, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined };

/** Calls `f`: it may return or throw an InputError; anything else fails the property. */
export function resultOrInputError<T>(f: () => T): T | InputError {
  try {
    return f();
  } catch (err) {
    if (err instanceof InputError) {
      assert.doesNotMatch(err.message, /\n/, 'an InputError is one line (names are escaped)');
      return err;
    }
    throw err;
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** One edit of a JSON value: at the path picked by `at`, replace, delete, or change the type. */
export interface Edit {
  at: number;
  op: 'replace' | 'delete' | 'stringify' | 'wrap';
  value: unknown;
}

export const editArb: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('replace', 'delete', 'stringify', 'wrap'),
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom('', 'eighty', 'Bad_Name', 'a"\n-A KUBE-SERVICES -j DROP', 'x'.repeat(70), -1, 0, 8080, 65536, 1e100, '10.96.0.0/12'),
  ),
});

/** Applies the edits to a deep copy of `value`. */
export function mutate(value: unknown, edits: Edit[]): unknown {
  const root = { v: structuredClone(value) as Json };
  for (const e of edits) {
    const slots = allSlots(root);
    const [parent, key] = slots[e.at % slots.length];
    const cur = (parent as Record<string, unknown>)[key];
    if (e.op === 'delete' && parent !== root) {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete (parent as Record<string, unknown>)[key];
    } else if (e.op === 'stringify') (parent as Record<string, unknown>)[key] = typeof cur === 'string' ? Number(cur) : String(cur);
    else if (e.op === 'wrap') (parent as Record<string, unknown>)[key] = [cur];
    else (parent as Record<string, unknown>)[key] = e.value;
  }
  return root.v;
}

function allSlots(root: object): [object, string][] {
  const out: [object, string][] = [];
  const visit = (o: unknown) => {
    if (typeof o !== 'object' || o === null) return;
    for (const k of Object.keys(o)) {
      out.push([o, k]);
      visit((o as Record<string, unknown>)[k]);
    }
  };
  visit(root);
  return out;
}
