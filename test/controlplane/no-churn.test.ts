// `kpsim churn` on a scenario without churn says so: no "one every Infinity s", no "p50 NaN s".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSummary, runChurn } from '../../src/controlplane/index.ts';
import { loadScenario } from '../../src/scenario/load.ts';

test('a scenario without a churn section: "churn: none", the resyncs alone, no Infinity or NaN', () => {
  const run = runChurn(loadScenario('scenarios/small.yaml'), { mode: 'iptables', nodes: 2, durationNs: 60e9 });
  const text = formatSummary(run.summary);
  assert.match(text, /^churn: none, no API change in 60\.00 s .*--rate N adds N changes per second/m);
  assert.match(text, /^network programming latency: no samples/m);
  assert.match(text, /^sync duration: full +n=\d+/m);
  assert.doesNotMatch(text, /Infinity|NaN/);
});
