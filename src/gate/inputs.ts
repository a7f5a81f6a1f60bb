// Reads the baseline and current results for the gate. On top of readResults (JSON, schema tag,
// row basics) every row, sample set, fit and point is checked field by field, so a hand-edited or
// truncated baseline is an input error naming the file and the field, never a wrong verdict.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { RunResults } from '../metrics/results.ts';
import { readResults } from '../output/results-files.ts';
import { InputError } from '../util/errors.ts';

const text = z.string().min(1);
const num = z.number();
const clock = z.enum(['simulated', 'wall']);

const variant = z.string().optional();
const rowSchema = z.object({
  mode: text,
  variant,
  scale: num,
  repetition: num,
  metric: text,
  clock,
  unit: z.string(),
  statistic: text,
  value: num,
});
const sampleSchema = z.object({ mode: text, variant, scale: num, repetition: num, metric: text, unit: z.string(), values: z.array(num) });
// NaN bounds (fewer than three scales) are written as null by JSON.stringify.
const fitSchema = z.object({
  mode: text,
  metric: text,
  clock,
  statistic: text,
  exponent: num,
  ciLow: num.nullable().optional(),
  ciHigh: num.nullable().optional(),
});
const pointSchema = z.object({
  mode: text,
  variant,
  scale: num,
  repetition: num,
  status: z.enum(['ok', 'failed']),
  error: z.string().optional(),
});

/** Which input a message is about: the gate's baseline or current run, or the run a baseline is made from. */
export type Role = 'baseline' | 'current' | 'source';

/** "baseline results: FILE: FIELD: message (got VALUE)". */
export function inputError(role: Role, message: string, file?: string, field?: string, value?: unknown): InputError {
  return new InputError(`${role} results: ${new InputError(message, file, field, value).message}`);
}

export function readGateInput(path: string, role: Role): { file: string; results: RunResults } {
  const file = path === '-' || /\.json$/.test(path) ? path : `${path.replace(/\/+$/, '')}/results.json`;
  let results: RunResults;
  try {
    results = readResults(path);
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${role} results: ${err.message}`);
    // readResults assumes every row is an object; find what is not.
    throw locateMalformed(file, role) ?? inputError(role, `malformed results file (${(err as Error).message})`, file);
  }
  const check = <T>(list: T[], key: string, s: z.ZodType) => {
    for (let i = 0; i < list.length; i++) {
      const r = s.safeParse(list[i]);
      if (!r.success) {
        const issue = r.error.issues[0];
        const field = `${key}[${i}]${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`;
        const got = getPath(list[i], issue.path);
        throw got === undefined
          ? inputError(role, 'missing field', file, field)
          : inputError(role, issue.message.replace(/^Invalid (input|option): /, ''), file, field, got);
      }
    }
  };
  check(results.points, 'points', pointSchema);
  check(results.rows, 'rows', rowSchema);
  check(results.samples, 'samples', sampleSchema);
  check(results.fits, 'fits', fitSchema);
  return { file, results };
}

function locateMalformed(file: string, role: Role): InputError | null {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const key of ['rows', 'points', 'samples', 'fits']) {
      const list = data[key];
      if (!Array.isArray(list)) continue;
      const i = list.findIndex((x) => typeof x !== 'object' || x === null || Array.isArray(x));
      if (i >= 0) return inputError(role, 'must be an object', file, `${key}[${i}]`, list[i]);
    }
  } catch {
    /* fall through to the generic message */
  }
  return null;
}

function getPath(value: unknown, path: PropertyKey[]): unknown {
  let v = value;
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}
