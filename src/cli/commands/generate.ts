import type { Command } from 'commander';
import { writeClusterFile } from '../../cluster/k8s-io.ts';
import { summarize } from '../../cluster/summary.ts';
import { loadScenario } from '../../scenario/load.ts';
import { generateCluster, scenarioScales } from '../../scenario/generate.ts';
import { InputError } from '../../util/errors.ts';
import { ioName } from '../../util/stdio.ts';
import { parseCount } from '../options.ts';

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .summary('generate a cluster from a scenario, as a Kubernetes List')
    .description(
      'Generate a cluster from a scenario and write it as a Kubernetes List\n(Node, Service and EndpointSlice objects, as `kubectl get nodes,services,endpointslices -A -o json` prints them).',
    )
    .argument('<scenario>', 'scenario file (YAML or JSON), e.g. scenarios/small.yaml')
    .option('--scale <services>', "number of services (default: the scenario's only scale point)", parseCount)
    .requiredOption(
      '-o, --out <file>',
      'output file; .json (kubectl -o json layout) or .yaml (multi-document); - for standard output (JSON)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  kpsim generate scenarios/small.yaml --out /tmp/cluster.json\n  kpsim generate scenarios/scale-sweep.yaml --scale 10000 --out /tmp/10k.json\n  kpsim generate scenarios/small.yaml --out - | kpsim rules --cluster -',
    )
    .action((file: string, opts: { scale?: number; out: string }) => {
      const started = performance.now();
      const scenario = loadScenario(file);
      const scales = scenarioScales(scenario);
      let scale = opts.scale;
      if (scale === undefined) {
        if (scales.length > 1)
          throw new InputError(
            `the scenario has ${scales.length} scale points (${scales.join(', ')}); choose one with --scale N`,
            file,
            'services',
            scenario.services,
          );
        scale = scales[0];
      }
      const cluster = generateCluster(scenario, scale);
      writeClusterFile(cluster, opts.out);
      const s = summarize(cluster);
      const secs = ((performance.now() - started) / 1000).toFixed(2);
      process.stderr.write(
        `kpsim: wrote ${ioName(opts.out, true)}: ${s.nodes} nodes, ${s.services} services, ${s.endpointSlices} endpointslices, ${s.endpoints.total} endpoints (seed ${scenario.seed}, ${secs} s wall-clock)\n`,
      );
    });
}
