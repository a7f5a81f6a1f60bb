import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kpsim, tempDir } from '../helpers/cli.ts';
import { syntheticResults } from './fixture.ts';

test('kpsim report <run-dir> writes index.html and the charts and says how to open it', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'results.json'), JSON.stringify(syntheticResults()));
  const r = kpsim(['report', dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /report: .*index\.html \(7 charts in .*charts\)/);
  assert.match(r.stdout, /open it in a browser .*: (xdg-open|open|start) .*index\.html/);
  assert.match(r.stdout, /file:\/\/.*index\.html/);
  assert.ok(existsSync(join(dir, 'index.html')));
  assert.ok(existsSync(join(dir, 'charts', 'lookup-latency.svg')));
});

test('kpsim report exits 2 with a clear message on a missing folder or bad results.json', () => {
  const dir = tempDir();
  const missing = kpsim(['report', join(dir, 'nope')]);
  assert.equal(missing.status, 2, missing.stderr);
  assert.match(missing.stderr, /kpsim: error: .*nope: run folder not found/);

  const empty = kpsim(['report', dir]);
  assert.equal(empty.status, 2, empty.stderr);
  assert.match(empty.stderr, /results\.json: cannot read results/);

  writeFileSync(join(dir, 'results.json'), '{"schema": "kpsim-results/1", "rows": [');
  const malformed = kpsim(['report', dir]);
  assert.equal(malformed.status, 2, malformed.stderr);
  assert.match(malformed.stderr, /results\.json: malformed JSON/);

  writeFileSync(join(dir, 'results.json'), '{"schema": "something-else"}');
  const wrong = kpsim(['report', dir]);
  assert.equal(wrong.status, 2, wrong.stderr);
  assert.match(wrong.stderr, /not a kpsim results file/);
  assert.equal(existsSync(join(dir, 'index.html')), false, 'nothing written');

  const file = join(dir, 'results.json');
  const notDir = kpsim(['report', file]);
  assert.equal(notDir.status, 2);
  assert.match(notDir.stderr, /not a folder/);
});
