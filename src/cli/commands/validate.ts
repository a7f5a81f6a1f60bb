import type { Command } from 'commander';
import { parseCluster } from '../../cluster/load.ts';
import { formatSummary, summarize } from '../../cluster/summary.ts';
import { type Problem, assertValidCluster } from '../../cluster/validate.ts';
import { parseScenario } from '../../scenario/load.ts';
import { generateCluster, scenarioScales } from '../../scenario/generate.ts';
import { InputError } from '../../util/errors.ts';
import { addClusterOptions, printWarnings, warningLines } from '../cluster-input.ts';
import { checkScenarioSections } from '../scenario-check.ts';
import { ioName, readInput } from '../../util/stdio.ts';

export function registerValidate(program: Command): void {
  const cmd = program
    .command('validate')
    .summary('check a scenario or cluster file and print a summary')
    .description(
      'Check a scenario or a cluster file and print a summary (nodes, services by type,\nendpoints, CIDRs). A scenario is generated at each of its scale points to check it fits.',
    )
    .argument('<file>', 'scenario (YAML/JSON) or cluster dump (Kubernetes List, JSON or YAML)')
    .option('--json', 'print the summary as JSON');
  addClusterOptions(cmd).action((file: string, opts: { strict?: boolean; json?: boolean; serviceCidr?: string; clusterCidr?: string }) => {
    const summaries: { label: string; summary: ReturnType<typeof summarize>; warnings: Problem[] }[] = [];
    const text = readInput(file, 'file');
    const name = ioName(file);
    if (looksLikeScenario(text)) {
      for (const [flag, v, field] of [
        ['--service-cidr', opts.serviceCidr, 'serviceCIDR'],
        ['--cluster-cidr', opts.clusterCidr, 'clusterCIDR'],
      ] as const)
        if (v !== undefined)
          throw new InputError(`applies to cluster files; a scenario sets its range in cluster.${field}`, undefined, flag, v);
      const scenario = parseScenario(text, name);
      checkScenarioSections(scenario);
      for (const scale of scenarioScales(scenario)) {
        const cluster = generateCluster(scenario, scale);
        const warnings = assertValidCluster(cluster, name);
        summaries.push({
          label: `scenario ${scenario.name}, ${scale} services (seed ${scenario.seed})`,
          summary: summarize(cluster),
          warnings,
        });
      }
    } else {
      const { cluster, skipped, warnings } = parseCluster(text, name, { serviceCidr: opts.serviceCidr, clusterCidr: opts.clusterCidr });
      for (const [kind, n] of Object.entries(skipped))
        warnings.push({ level: 'warning', field: '(items)', message: `${n} ${kind} object${n > 1 ? 's' : ''} not modelled, skipped` });
      summaries.push({ label: `cluster ${name}`, summary: summarize(cluster), warnings });
    }
    const warnings = summaries.flatMap((s) => s.warnings);
    if (opts.json) {
      process.stdout.write(JSON.stringify(summaries, null, 2) + '\n');
    } else {
      for (const s of summaries) process.stdout.write(`${s.label}\n${indent(formatSummary(s.summary))}\n`);
      printWarnings(name, warningLines({ warnings }));
    }
    if (opts.strict && warnings.length > 0) {
      const w = warnings[0];
      throw new InputError(`${w.message} (--strict)`, name, w.field, w.value);
    }
  });
}

/** A Kubernetes object or List has a `kind`; a scenario does not. */
function looksLikeScenario(text: string): boolean {
  const head = text.slice(0, 4096);
  return !/(^|\n)\s*"?kind"?\s*:/.test(head) && !/"kind"\s*:/.test(head);
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ');
}
