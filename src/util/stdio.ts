// `-` as a file argument: standard input where a file is read, standard output where one is
// written (`kpsim generate ... --out - | kpsim trace --cluster - ...`).
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-write.ts';
import { InputError } from './errors.ts';

export const STDIO = '-';

let stdinRead = false;

/** How messages name an input or output: "(stdin)" / "(stdout)" for "-". */
export function ioName(path: string, output = false): string {
  return path === STDIO ? (output ? '(stdout)' : '(stdin)') : path;
}

/** The text of a file, or of standard input for "-" (which only one argument may be). */
export function readText(path: string): string {
  if (path !== STDIO) return readFileSync(path, 'utf8');
  if (stdinRead) throw new InputError('standard input can feed only one argument; give a file for the other', '-');
  stdinRead = true;
  return readFileSync(0, 'utf8');
}

/** Writes a file atomically (nothing half-written), or to standard output for "-". */
export function writeText(path: string, content: string | Iterable<string>): void {
  if (path !== STDIO) return writeFileAtomic(path, content);
  if (typeof content === 'string') process.stdout.write(content);
  else for (const chunk of content) process.stdout.write(chunk);
}

/** readText, an unreadable file becoming an InputError: "FILE: cannot read <what>: <reason>". */
export function readInput(path: string, what: string): string {
  try {
    return readText(path);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read ${what}: ${(err as Error).message}`, path);
  }
}
