// One error type for bad input, so the CLI can print it plainly and exit non-zero.
import type { z } from 'zod';

export class InputError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly field?: string,
    readonly value?: unknown,
    /** What to do about it, after the value: "...(got X); HINT". */
    readonly hint?: string,
  ) {
    super(formatInputError(message, file, field, value) + (hint ? `; ${hint}` : ''));
    this.name = 'InputError';
  }
}

function formatInputError(message: string, file?: string, field?: string, value?: unknown): string {
  // A field path may hold a name from the input: control characters are shown escaped, never raw.
  const where = [file, field]
    .filter(Boolean)
    .join(': ')
    .replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
  const got = value === undefined ? '' : ` (got ${describe(value)})`;
  return `${where ? where + ': ' : ''}${message}${got}`;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? text.slice(0, 77) + '...' : text;
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
