// The one reader of YAML and JSON inputs (scenarios, clusters, KubeProxyConfigurations, gate
// configs, results): syntax errors name the line and column, and an alias bomb or a structure
// nested too deeply is bad input, never a crash.
import { parseAllDocuments } from 'yaml';
import { InputError } from './errors.ts';

/** Aliases one YAML document may expand (the yaml library's own default): past it, an alias bomb. */
export const MAX_YAML_ALIASES = 100;

/** Every document of a YAML stream (empty ones left out), or the one value of a JSON text. */
export function parseDataDocuments(text: string, file: string): unknown[] {
  if (/\.json$/i.test(file)) return [parseJson(text, file)];
  const head = text.trimStart();
  if (head.startsWith('{') || head.startsWith('[')) {
    // Looks like JSON (kubectl -o json); a YAML flow mapping also starts so, and is read as YAML.
    try {
      return [JSON.parse(text)];
    } catch {
      try {
        return parseYaml(text, file);
      } catch {
        return [parseJson(text, file)];
      }
    }
  }
  return parseYaml(text, file);
}

function parseYaml(text: string, file: string): unknown[] {
  let docs;
  try {
    docs = parseAllDocuments(text);
  } catch (err) {
    throw tooDeep(err, file);
  }
  const out: unknown[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const e = doc.errors[0];
    if (e) {
      const at = e.linePos?.[0];
      throw new InputError(
        `malformed YAML${at ? ` at line ${at.line}, column ${at.col}` : ''}: ${e.message.split('\n')[0].replace(/( at line \d+, column \d+)?:?$/, '')}`,
        file,
      );
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    } catch (err) {
      if (err instanceof ReferenceError && /^Excessive alias count/.test(err.message))
        throw new InputError(
          `YAML aliases expand too far (more than ${MAX_YAML_ALIASES} per document, as in an alias bomb): write the values out or use fewer aliases`,
          file,
        );
      if (err instanceof ReferenceError) throw new InputError(`malformed YAML: ${err.message}`, file);
      throw tooDeep(err, file);
    }
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** The one document of a YAML or JSON text (undefined when empty). */
export function parseDataText(text: string, file: string): unknown {
  const docs = parseDataDocuments(text, file);
  if (docs.length > 1) throw new InputError(`expected one YAML document, found ${docs.length} (separated by ---)`, file);
  return docs[0];
}

/** JSON.parse, with a syntax error located by line and column. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw tooDeep(err, file);
    const { line, col } = lineColumn(text, jsonErrorOffset(text));
    const what = err.message
      .replace(/,? (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '')
      .replace(/ at position \d+.*$/s, '')
      .replace(/^Unexpected end of JSON input$/, 'unexpected end of input');
    throw new InputError(`malformed JSON at line ${line}, column ${col}: ${what.split('\n')[0]}`, file);
  }
}

function tooDeep(err: unknown, file: string): unknown {
  if (err instanceof RangeError) return new InputError('nested too deeply to read', file);
  return err;
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, col: offset - start + 1 };
}

const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

/**
 * Offset of the first syntax error of a text JSON.parse refused (Node 20's messages do not always
 * say where): a small scanner with its own stack, so deep nesting cannot overflow it.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const stack: string[] = [];
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const token = (re: RegExp): boolean => {
    re.lastIndex = i;
    if (!re.test(text)) return false;
    i = re.lastIndex;
    return true;
  };
  // `"key":` of an object member; false when it is not there.
  const key = (): boolean => {
    ws();
    if (!token(STRING)) return false;
    ws();
    if (text[i] !== ':') return false;
    i++;
    return true;
  };
  // After a value: a comma, a closing bracket, or (at the top) the end.
  let expectValue = true;
  for (;;) {
    ws();
    if (expectValue) {
      const c = text[i];
      if (c === '{' || c === '[') {
        i++;
        ws();
        if (text[i] === (c === '{' ? '}' : ']')) {
          i++;
          expectValue = false;
          continue;
        }
        stack.push(c);
        if (c === '{' && !key()) return i;
        continue;
      }
      if (token(STRING) || token(NUMBER) || ['true', 'false', 'null'].some((w) => text.startsWith(w, i) && (i += w.length))) {
        expectValue = false;
        continue;
      }
      return i;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return i < text.length ? i : text.length;
    const c = text[i];
    if (c === (top === '{' ? '}' : ']')) {
      stack.pop();
      i++;
      continue;
    }
    if (c !== ',') return i;
    i++;
    expectValue = true;
    if (top === '{' && !key()) return i;
  }
}
