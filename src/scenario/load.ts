// Loads a scenario file (YAML or JSON) and reports schema errors by file, field path and value.
import { basename, extname } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../util/errors.ts';
import { ioName, readInput } from '../util/stdio.ts';
import { type Scenario, scenarioSchema } from './schema.ts';

export function loadScenario(path: string): Scenario {
  const text = readInput(path, 'scenario');
  return parseScenario(text, ioName(path));
}

export function parseScenario(text: string, path: string): Scenario {
  const raw = parseText(text, path);
  const parsed = scenarioSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw schemaError(parsed.error, path);
  return { ...parsed.data, name: parsed.data.name ?? basename(path, extname(path)), file: path };
}

function parseText(text: string, path: string): unknown {
  if (/\.json$/i.test(path)) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new InputError(`malformed JSON: ${(err as Error).message}`, path);
    }
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line;
    throw new InputError(`malformed YAML${line ? ` at line ${line}` : ''}: ${e.message.split('\n')[0].replace(/:$/, '')}`, path);
  }
  const value = doc.toJS();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError('a scenario must be a mapping of fields (seed, nodes, services, ...)', path, '(top level)', value);
  }
  return value;
}

/** Turns zod's first issue into "file: field.path: message (got value)". */
export function schemaError(error: z.ZodError, path: string, section?: string): InputError {
  const issue = error.issues[0];
  const inner = issue.path.length ? formatPath(issue.path) : '';
  const field = section ? (inner ? `${section}.${inner}` : section) : inner || '(top level)';
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.join(', ');
    return new InputError(
      `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}`,
      path,
      issue.path.length || section ? `${field}.${issue.keys[0]}` : issue.keys[0],
    );
  }
  const input = (issue as { input?: unknown }).input;
  if (input === undefined) message = message.replace(/, received undefined$/, '') + ' (missing)';
  const more = error.issues.length > 1 ? ` [and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''}]` : '';
  return new InputError(message + more, path, field, input);
}

function formatPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}
