// One error type for bad input, so the CLI can print it plainly and exit non-zero.

export class InputError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly field?: string,
    readonly value?: unknown,
  ) {
    super(formatInputError(message, file, field, value));
    this.name = 'InputError';
  }
}

function formatInputError(message: string, file?: string, field?: string, value?: unknown): string {
  const where = [file, field].filter(Boolean).join(': ');
  const got = value === undefined ? '' : ` (got ${describe(value)})`;
  return `${where ? where + ': ' : ''}${message}${got}`;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? text.slice(0, 77) + '...' : text;
}
