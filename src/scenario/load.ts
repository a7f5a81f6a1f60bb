// Loads a scenario file (YAML or JSON) and reports schema errors by file, field path and value.
import { basename, extname } from 'node:path';
import { parseDataText } from '../util/data-text.ts';
import { InputError, schemaError } from '../util/errors.ts';
import { ioName, readInput } from '../util/stdio.ts';
import { type Scenario, scenarioSchema } from './schema.ts';

/** Re-exported for the section parsers that import it from here. */
export { schemaError };

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
  const value = parseDataText(text, path);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError('a scenario must be a mapping of fields (seed, nodes, services, ...)', path, '(top level)', value);
  }
  return value;
}
