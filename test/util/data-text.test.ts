// The one YAML/JSON reader: where a syntax error is, and what an alias bomb or deep nesting gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonErrorOffset, lineColumn, parseDataDocuments, parseDataText } from '../../src/util/data-text.ts';
import { InputError } from '../../src/util/errors.ts';

const fails = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof InputError && re.test(e.message));

test('JSON syntax errors are located by line and column, whatever V8 says', () => {
  fails(() => parseDataText('{\n  "a": 1,\n  "b": }\n', 'x.json'), /^x\.json: malformed JSON at line 3, column 8: Unexpected token '}'$/);
  fails(() => parseDataText('{"a": 1', 'x.json'), /^x\.json: malformed JSON at line 1, column 8: /);
  fails(() => parseDataText('', 'x.json'), /^x\.json: malformed JSON at line 1, column 1: unexpected end of input$/);
  for (const [text, at] of [
    ['[1,]', 3],
    ['{"a":1}x', 7],
    ['{"a":[1,{"b":2},]}', 16],
    ['{"a" 1}', 5],
    ['{,}', 1],
  ] as const) {
    assert.equal(jsonErrorOffset(text), at, text);
    assert.throws(() => JSON.parse(text));
  }
  assert.deepEqual(lineColumn('ab\ncd', 4), { line: 2, col: 2 });
});

test('YAML: errors with line and column; an alias bomb and an unresolved alias are bad input', () => {
  fails(() => parseDataText('a: [1\nb: 2\n', 'x.yaml'), /^x\.yaml: malformed YAML at line 2, column 1: /);
  const bomb = [
    'a: &a [x, x, x, x, x, x, x, x, x, x]',
    ...'bcdef'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcde'[i]}`).join(', ')}]`),
  ].join('\n');
  fails(() => parseDataText(bomb, 'x.yaml'), /x\.yaml: YAML aliases expand too far \(more than 100 per document/);
  fails(() => parseDataText('a: *nowhere\n', 'x.yaml'), /x\.yaml: malformed YAML: Unresolved alias/);
  // A few aliases are fine.
  assert.deepEqual(parseDataText('a: &x [1, 2]\nb: *x\n', 'x.yaml'), { a: [1, 2], b: [1, 2] });
  fails(() => parseDataText('a: 1\n---\nb: 2\n', 'x.yaml'), /expected one YAML document, found 2/);
  assert.equal(parseDataDocuments('---\na: 1\n---\nb: 2\n', 'x.yaml').length, 2);
});

test('a text that starts like JSON but is YAML flow style still loads; nesting that deep is bad input', () => {
  assert.deepEqual(parseDataText('{a: 1}', 'x.yaml'), { a: 1 });
  fails(() => parseDataText('['.repeat(100_000), 'x.yaml'), /x\.yaml: malformed (JSON|YAML)/);
});
