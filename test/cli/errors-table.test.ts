// Runs every row of the table in docs/errors.md, so the documented messages and exit codes cannot
// drift from what kpsim does: each command runs as written from the repository root ($TMP is a
// fresh folder), must exit with the row's code, print the row's message on stderr, and print no
// stack trace. The rows run in process through the CLI's main() (the same code bin/kpsim.js runs);
// a few also run as real processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { kpsim, ROOT, tempDir } from '../helpers/cli.ts';

interface Row {
  n: number;
  input: string;
  command: string;
  message: string;
  exit: number;
}

const ROW = /^\| (\d+) \| (.+?) \| `((?:[A-Z_][A-Z0-9_]*=\S* )*kpsim [^`]+)` \| `([^`]+)` \| (\d+) \|$/;

export function errorRows(): Row[] {
  const rows: Row[] = [];
  for (const line of readFileSync(join(ROOT, 'docs/errors.md'), 'utf8').split('\n')) {
    const m = ROW.exec(line);
    if (m) rows.push({ n: Number(m[1]), input: m[2], command: m[3], message: m[4], exit: Number(m[5]) });
    else assert.ok(!/^\| \d+ \|/.test(line), `docs/errors.md: a table row the test cannot read: ${line}`);
  }
  return rows;
}

/**
 * Splits a command line as a shell would for these rows: spaces, '...' and "..." quoting, and
 * leading NAME=value words that set environment variables.
 */
function argv(command: string, tmp: string): { args: string[]; env: Record<string, string> } {
  const words: string[] = [];
  for (const m of command.replaceAll('$TMP', tmp).matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]);
  const env: Record<string, string> = {};
  while (/^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const word = words.shift() as string;
    env[word.slice(0, word.indexOf('='))] = word.slice(word.indexOf('=') + 1);
  }
  assert.equal(words[0], 'kpsim', command);
  return { args: words.slice(1), env };
}

/** Variables kpsim reads that a row sets when it needs them: unset otherwise (this test may itself run in an Indexed Job). */
const ROW_ENV = ['JOB_COMPLETION_INDEX'];

async function inProcess({ args, env }: ReturnType<typeof argv>): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  const names = [...new Set([...ROW_ENV, ...Object.keys(env)])];
  const saved = names.map((name) => process.env[name]);
  for (const name of names)
    if (name in env) process.env[name] = env[name];
    else delete process.env[name];
  process.stdout.write = (chunk: string | Uint8Array) => out.push(String(chunk)) > 0;
  process.stderr.write = (chunk: string | Uint8Array) => err.push(String(chunk)) > 0;
  process.exitCode = undefined;
  try {
    const status = await main(args);
    return { status, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
    process.exitCode = undefined;
    names.forEach((name, i) => {
      if (saved[i] === undefined) delete process.env[name];
      else process.env[name] = saved[i];
    });
  }
}

const STACK = /^\s+at .+(:\d+:\d+\)?|<anonymous>\)?)$|internal error/m;

test('docs/errors.md: every row exits with its code, prints its message and no stack trace', async () => {
  const rows = errorRows();
  assert.ok(rows.length >= 80, `expected the whole table, read ${rows.length} rows`);
  assert.deepEqual(
    rows.map((r) => r.n),
    rows.map((_, i) => i + 1),
    'rows are numbered 1, 2, 3, ...',
  );
  const failures: string[] = [];
  for (const row of rows) {
    const tmp = tempDir('kpsim-errors-');
    const r = await inProcess(argv(row.command, tmp));
    const problems = [
      r.status !== row.exit && `exit ${r.status}, documented ${row.exit}`,
      !r.stderr.includes(row.message) && 'the documented message is not on stderr',
      STACK.test(r.stderr) && 'a stack trace or internal error on stderr',
    ].filter(Boolean);
    if (problems.length > 0) failures.push(`row ${row.n} (${row.command}): ${problems.join('; ')}\n  stderr: ${r.stderr.trim()}`);
  }
  assert.deepEqual(failures, [], failures.join('\n'));
});

test('docs/errors.md: rows run as real processes exit with the same codes', () => {
  const rows = errorRows();
  // One of each kind: a cluster check, an option commander rejects, a sweep refused before it starts,
  // a variable from the environment.
  const sample = [
    rows[0],
    rows.find((r) => r.command.includes('--scales 0')),
    rows.find((r) => r.command.startsWith('kpsim merge')),
    rows.find((r) => r.command.startsWith('JOB_COMPLETION_INDEX=')),
  ];
  for (const row of sample) {
    assert.ok(row, 'the sample rows exist');
    const { args, env } = argv(row.command, tempDir('kpsim-errors-'));
    const r = kpsim(args, { env });
    assert.equal(r.status, row.exit, `${row.command}: ${r.stderr}`);
    assert.ok(r.stderr.includes(row.message), `${row.command}: ${r.stderr}`);
  }
});
