// `kpsim gate` and `kpsim baseline update` end to end, as CI runs them: exit codes 0/1/2,
// Markdown to $GITHUB_STEP_SUMMARY and --markdown, and inputs left untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kpsim, tempDir } from '../helpers/cli.ts';
import { DEFAULT_COST_MODEL } from '../../src/metrics/cost-model.ts';
import { edit, fabricateRun, rerun, slowWall, writeRun } from './fixtures.ts';

const baseline = fabricateRun({ runId: 'base-run' });

function setup(): { dir: string; base: string } {
  const dir = tempDir('kpsim-gate-');
  return { dir, base: writeRun(dir, 'baseline.json', baseline) };
}

test('exit 0: an unchanged re-run passes; the Markdown summary is appended to $GITHUB_STEP_SUMMARY', () => {
  const { dir, base } = setup();
  const cur = writeRun(dir, 'current.json', rerun(baseline, 'cli'));
  const summary = join(dir, 'step-summary.md');
  writeFileSync(summary, '# earlier step\n');
  const before = [readFileSync(base), readFileSync(cur)];
  const mtimes = [statSync(base).mtimeMs, statSync(cur).mtimeMs];
  const r = kpsim(['gate', '--baseline', base, '--current', cur, '--config', 'gate.yaml', '--markdown', join(dir, 'gate.md')], {
    env: { GITHUB_STEP_SUMMARY: summary },
  });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  // A pass is short: the verdict and whatever changed (here at most a warning), not every line checked.
  assert.doesNotMatch(r.stdout, / pass +normalised by calibration\.loop/);
  assert.ok(r.stdout.split('\n').length < 30, `short output:\n${r.stdout}`);
  assert.match(
    r.stdout,
    /^gate (pass|warn): 0 regressions, 0 missing, .* complexity bands: 6 in band, 0 outside, 0 missing(, \d+ not applicable)?$/m,
  );
  assert.match(r.stdout, /^\(\d+ unchanged lines not shown: --verbose for the full table\)$/m);
  // --verbose: every line, and every band.
  const v = kpsim(['gate', '--baseline', base, '--current', cur, '--config', 'gate.yaml', '--verbose']);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /^mode +scale +metric +clock +stat +baseline +current +change +p +verdict +note$/m);
  assert.match(v.stdout, /^iptables +1000 +lookup\.latency +wall +samples .* pass +normalised by calibration\.loop/m);
  assert.match(v.stdout, /^ipvs +lookup\.latency +simulated +mean +\[-0\.1, 0\.3\] .* pass$/m);
  const md = readFileSync(summary, 'utf8');
  assert.ok(md.startsWith('# earlier step\n## '), 'appended after what was there');
  assert.match(md, /kpsim performance gate: (pass|warn)/);
  assert.match(md, /\| mode \| scale \| metric \| clock \| stat \| baseline \| current \| change \| p \| verdict \| note \|/);
  assert.equal(readFileSync(join(dir, 'gate.md'), 'utf8') + '\n', md.slice('# earlier step\n'.length));
  // The gate never rewrites what it reads.
  assert.deepEqual([readFileSync(base), readFileSync(cur)], before);
  assert.deepEqual([statSync(base).mtimeMs, statSync(cur).mtimeMs], mtimes);
  // A second run appends again.
  assert.equal(kpsim(['gate', '-b', base, '-c', cur], { env: { GITHUB_STEP_SUMMARY: summary } }).status, 0);
  assert.equal(readFileSync(summary, 'utf8').split('kpsim performance gate').length - 1, 2);
});

test('exit 1: a simulated change, a wall-clock slowdown, a band violation; the table says which', () => {
  const { dir, base } = setup();
  const sim = writeRun(dir, 'sim.json', fabricateRun({ costModel: { iptablesRuleNs: 2 * DEFAULT_COST_MODEL.iptablesRuleNs } }));
  const r = kpsim(['gate', '--baseline', base, '--current', sim]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stdout,
    /^iptables +1000 +lookup\.latency +simulated +mean +8890 ns +17780 ns +\+100\.00% +FAIL +simulated numbers must match exactly/m,
  );
  assert.match(r.stdout, /^gate FAIL: \d+ regressions/m);
  const slow = writeRun(dir, 'slow.json', slowWall(baseline, 1.5, { metrics: ['lookup.latency'] }));
  const s = kpsim(['gate', '--baseline', base, '--current', slow]);
  assert.equal(s.status, 1, s.stderr);
  assert.match(s.stdout, /^ipvs +100 +lookup\.latency +wall +samples .* \+50\.00% +1\.0e-4 +FAIL/m);
  const bent = writeRun(
    dir,
    'bent.json',
    edit(baseline, (run) => {
      run.fits.find((f) => f.mode === 'iptables' && f.metric === 'lookup.rules_evaluated')!.exponent = 1.5;
    }),
  );
  const b = kpsim(['gate', '--baseline', base, '--current', bent]);
  assert.equal(b.status, 1, b.stderr);
  assert.match(b.stdout, /^iptables +lookup\.rules_evaluated +simulated +mean +\[0\.8, 1\.2\] +0\.968 +1\.500 .* FAIL$/m);
  assert.match(b.stdout, /^gate FAIL: 0 regressions, 0 missing, .*1 outside/m);
});

test('exit 0 with warnings; an ignore list from --config turns a failure into a pass', () => {
  const { dir, base } = setup();
  const warn = writeRun(dir, 'warn.json', slowWall(baseline, 1.07, { metrics: ['lookup.latency'] }));
  const w = kpsim(['gate', '--baseline', base, '--current', warn]);
  assert.equal(w.status, 0, w.stderr);
  assert.match(w.stdout, /^gate warn: 0 regressions, 0 missing, [1-9]\d* warnings?/m);
  const cur = writeRun(dir, 'cur.json', fabricateRun({ costModel: { iptablesRuleNs: 20 } }));
  assert.equal(kpsim(['gate', '--baseline', base, '--current', cur]).status, 1);
  const conf = join(dir, 'gate.yaml');
  writeFileSync(conf, 'ignore:\n  - lookup.latency\n  - { metric: "throughput.*" }\n');
  const r = kpsim(['gate', '--baseline', base, '--current', cur, '--config', conf]);
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /\d+ ignored/);
});

test('exit 2: malformed or missing baseline, current or config, with the file and what is wrong', () => {
  const { dir, base } = setup();
  const cur = writeRun(dir, 'current.json', baseline);
  const bad = (name: string, content: string) => {
    const f = join(dir, name);
    writeFileSync(f, content);
    return f;
  };
  const cases: [string[], RegExp][] = [
    [['--baseline', bad('badjson.json', '{"schema": "kpsim-results/1", "rows": [')], /baseline results: .*badjson\.json: malformed JSON/],
    [
      ['--baseline', bad('wrong.json', JSON.stringify({ schema: 'something-else/2', rows: [] }))],
      /baseline results: .*wrong\.json: schema: not a kpsim results file \(expected schema "kpsim-results\/1"\) \(got "something-else\/2"\)/,
    ],
    [
      [
        '--baseline',
        writeRun(
          dir,
          'noscale.json',
          edit(baseline, (run) => {
            delete (run.rows[3] as Partial<(typeof run.rows)[3]>).scale;
          }),
        ),
      ],
      /baseline results: .*noscale\.json: rows\[3\]\.scale: missing field/,
    ],
    [
      [
        '--baseline',
        writeRun(
          dir,
          'nomode.json',
          edit(baseline, (run) => {
            delete (run.rows[0] as Partial<(typeof run.rows)[0]>).mode;
          }),
        ),
      ],
      /baseline results: .*nomode\.json: rows\[0\]: row must have mode, metric, clock/,
    ],
    [
      [
        '--baseline',
        writeRun(
          dir,
          'badsample.json',
          edit(baseline, (run) => {
            (run.samples[1].values as unknown[])[5] = 'fast';
          }),
        ),
      ],
      /baseline results: .*badsample\.json: samples\[1\]\.values\[5\]: expected number, received string \(got "fast"\)/,
    ],
    [
      [
        '--baseline',
        writeRun(
          dir,
          'nullrow.json',
          edit(baseline, (run) => {
            (run.rows as unknown[])[2] = null;
          }),
        ),
      ],
      /baseline results: .*nullrow\.json: rows\[2\]: must be an object \(got null\)/,
    ],
    [
      [
        '--baseline',
        writeRun(
          dir,
          'empty.json',
          edit(baseline, (run) => {
            run.rows = [];
            run.samples = [];
          }),
        ),
      ],
      /baseline results: .*empty\.json: rows: no rows and no samples: nothing to compare against/,
    ],
    [['--baseline', join(dir, 'nope.json')], /baseline results: .*nope\.json: cannot read results: ENOENT/],
  ];
  for (const [args, pattern] of cases) {
    const r = kpsim(['gate', ...args, ...(args.includes('--current') ? [] : ['--current', cur])]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
    assert.match(r.stderr, /^kpsim: error: /);
    assert.match(r.stderr, pattern);
    assert.equal(r.stdout, '', 'no verdict table on bad input');
  }
  // The current run is checked the same way.
  const r = kpsim(['gate', '--baseline', base, '--current', bad('cur-bad.json', 'not json')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /current results: .*cur-bad\.json: malformed JSON/);
  // Config errors name the config file and the field.
  const conf = bad('gate.yaml', 'wallSamples:\n  factor: 1.2\n');
  const c = kpsim(['gate', '--baseline', base, '--current', cur, '--config', conf]);
  assert.equal(c.status, 2);
  assert.match(c.stderr, /gate\.yaml: wallSamples\.factor: unknown field factor/);
  const c2 = kpsim(['gate', '--baseline', base, '--current', cur, '--config', join(dir, 'missing.yaml')]);
  assert.equal(c2.status, 2);
  assert.match(c2.stderr, /missing\.yaml: cannot read gate config/);
  // Usage errors.
  assert.equal(kpsim(['gate', '--baseline', base]).status, 2);
  const m = kpsim(['gate', '--baseline', base, '--current', cur, '--markdown', cur]);
  assert.equal(m.status, 2);
  assert.match(m.stderr, /would overwrite an input of the gate/);
  assert.deepEqual(JSON.parse(readFileSync(cur, 'utf8')), baseline);
});

test('baseline update writes the run atomically; the gate of that run against it passes', () => {
  const dir = tempDir('kpsim-baseline-');
  const from = writeRun(dir, 'results.json', baseline);
  const out = join(dir, 'bench', 'baseline.json');
  const r = kpsim(['baseline', 'update', '--from', from, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /^baseline: wrote .*bench\/baseline\.json from .*results\.json \(run base-run, scenario fixture seed 1\): 6 points, \d+ rows, 12 sample sets, 8 fits$/m,
  );
  // The run whole, its raw wall-clock samples kept to 5 significant digits.
  const rounded = edit(baseline, (x) => {
    for (const set of x.samples) set.values = set.values.map((v: number) => Number(v.toPrecision(5)));
  });
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), rounded);
  assert.deepEqual(readdirSync(join(dir, 'bench')), ['baseline.json'], 'no temporary file left');
  assert.equal(kpsim(['gate', '--baseline', out, '--current', from]).status, 0);
  // Refusals: failed points, a single shard, a file that is not results.
  const failed = writeRun(
    dir,
    'failed.json',
    edit(baseline, (x) => {
      x.points[0].status = 'failed';
    }),
  );
  const f = kpsim(['baseline', 'update', '--from', failed, '--out', join(dir, 'b2.json')]);
  assert.equal(f.status, 2);
  assert.match(f.stderr, /failed\.json: points: 1 point failed \(iptables\/100\/1\).*--allow-failed/);
  assert.equal(kpsim(['baseline', 'update', '--from', failed, '--out', join(dir, 'b2.json'), '--allow-failed']).status, 0);
  const shard = writeRun(
    dir,
    'shard.json',
    edit(baseline, (x) => {
      x.meta.shard = { index: 2, count: 4 };
    }),
  );
  const s = kpsim(['baseline', 'update', '--from', shard, '--out', join(dir, 'b3.json')]);
  assert.equal(s.status, 2);
  assert.match(s.stderr, /is shard 2\/4 of a sweep: merge the shards first/);
  const junk = join(dir, 'junk.json');
  writeFileSync(junk, '[]');
  assert.equal(kpsim(['baseline', 'update', '--from', junk, '--out', join(dir, 'b4.json')]).status, 2);
  assert.deepEqual(
    readdirSync(dir).filter((x) => /^b[34]\.json|\.tmp$/.test(x)),
    [],
    'nothing written on refusal',
  );
  // Without --out the default path is bench/baseline.json (checked through --help, not by writing into the repo).
  assert.match(kpsim(['baseline', 'update', '--help']).stdout, /default: "bench\/baseline\.json"/);
});

test('kpsim --help lists gate and baseline', () => {
  const r = kpsim(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /\n  gate /);
  assert.match(r.stdout, /\n  baseline /);
  assert.equal(kpsim(['baseline']).status, 2, 'a bare `kpsim baseline` is a usage error');
});
