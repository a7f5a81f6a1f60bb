import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_GATE_CONFIG, loadGateConfig } from '../../gate/config.ts';
import { formatMarkdown, formatText } from '../../gate/format.ts';
import { compareRuns } from '../../gate/gate.ts';
import { readGateInput } from '../../gate/inputs.ts';
import { writeReport } from '../../report/index.ts';
import { writeText } from '../../util/stdio.ts';
import { InputError } from '../../util/errors.ts';

export function registerGate(program: Command): void {
  program
    .command('gate')
    .summary('compare a run against a baseline and fail on a performance regression (CI)')
    .description(
      "Compare a run's results.json against a baseline results file. Simulated-clock numbers must\nmatch exactly (or within configured thresholds); wall-clock samples are normalised by the\ncalibration loop and need a change beyond 1.1x at p < 0.002 (seeded permutation test) to fail;\nsingle wall-clock values fail beyond 2x; fitted complexity exponents must stay in their bands.\nExit codes: 0 pass (warnings allowed), 1 regression, 2 bad usage or input. See docs/gate.md.",
    )
    .requiredOption('-b, --baseline <file>', 'baseline results (e.g. bench/baseline.json)')
    .requiredOption('-c, --current <file>', 'results of the run under test (reports/<run-id>/results.json or its folder)')
    .option('--config <file>', 'gate config (YAML); default: the built-in defaults, the same as gate.yaml')
    .option('--markdown <file>', 'also write the Markdown summary to this file (- : print it instead of the table)')
    .option(
      '--html <dir>',
      'also write a comparison report (index.html and charts/) to this folder: what changed first, the baseline in every chart',
    )
    .option('-v, --verbose', 'print every line the gate checked, not only the verdict and what changed')
    .option(
      '--allow-cost-model-change',
      'compare runs priced by different cost models (--cost-model) with a warning, instead of refusing (exit 2)',
    )
    .addHelpText(
      'after',
      '\nThe Markdown summary is appended to $GITHUB_STEP_SUMMARY when that variable is set.\n\nExamples:\n  kpsim gate --baseline bench/baseline.json --current reports/merged/results.json --config gate.yaml\n  kpsim gate -b bench/baseline.json -c reports/merged --html reports/merged/compare --verbose',
    )
    .action(
      async (opts: {
        baseline: string;
        current: string;
        config?: string;
        markdown?: string;
        html?: string;
        verbose?: boolean;
        allowCostModelChange?: boolean;
      }) => {
        const config = opts.config ? loadGateConfig(opts.config) : DEFAULT_GATE_CONFIG;
        if (opts.markdown && opts.markdown !== '-') {
          const md = resolve(opts.markdown);
          for (const input of [opts.baseline, opts.current, opts.config]) {
            if (input && (resolve(input) === md || resolve(input, 'results.json') === md))
              throw new InputError('would overwrite an input of the gate; choose another file', opts.markdown, '--markdown');
          }
        }
        const base = readGateInput(opts.baseline, 'baseline');
        const cur = readGateInput(opts.current, 'current');
        const report = compareRuns(
          base.results,
          cur.results,
          config,
          { baseline: base.file, current: cur.file },
          { allowCostModelChange: opts.allowCostModelChange },
        );
        // With --markdown - the Markdown is the output; otherwise the text table is.
        if (opts.markdown !== '-') process.stdout.write(formatText(report, { verbose: opts.verbose }));
        if (opts.html) {
          const files = await writeReport(opts.html, cur.results, {
            comparison: { baseline: base.results, baselineFile: base.file, gate: report },
          });
          (opts.markdown === '-' ? process.stderr : process.stdout).write(`comparison report: ${files[0]}\n`);
        }
        const markdown = formatMarkdown(report);
        if (opts.markdown) writeText(opts.markdown, markdown);
        const summary = process.env.GITHUB_STEP_SUMMARY;
        if (summary) {
          try {
            appendFileSync(summary, markdown + '\n');
          } catch (err) {
            process.stderr.write(`kpsim: warning: cannot append to $GITHUB_STEP_SUMMARY (${summary}): ${(err as Error).message}\n`);
          }
        }
        if (report.outcome === 'FAIL') process.exitCode = 1;
      },
    );
}
